"""Calls and texts: record one exactly once, on the right timeline (or the unmatched queue).

Used by the Twilio webhooks (``followups.twilio_webhooks``) and usable by any other path that
knows a call's or text's provider id (e.g. a call-log import).

Prompted or unprompted: an inbound call, voicemail or text is *prompted* when the team made an
outbound contact (any channel) to the candidate within ``settings.CALLBACK_WINDOW_HOURS`` before
it: the candidate is calling back. Otherwise it is the candidate's own initiative.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from candidates.models import CandidatePhone
from candidates.normalize import normalize_phone
from followups import routing
from followups.models import Channel, Contact, Direction, MatchStatus
from followups.recording import contact_record
from followups.services import FUTURE_TOLERANCE

#: Channels a phone number identifies the candidate on.
PHONE_CHANNELS = (Channel.PHONE, Channel.VOICEMAIL, Channel.SMS)
#: One call is stored once whichever of these it was classified as (same CallSid).
CALL_CHANNELS = (Channel.PHONE, Channel.VOICEMAIL)


class PhoneOutcome(NamedTuple):
    status: str  # "stored" | "duplicate"
    contact: Contact


@dataclass(frozen=True)
class _PhoneMatch:
    status: str
    number: str = ""  # E.164, empty when the number could not be read
    candidate_id: int | None = None
    application_id: int | None = None
    note: str = ""
    requisition_ids: tuple[int, ...] = ()  # when queued: the teams concerned


def _match_phone(
    raw: str, *, region: str | None, what: str, inbound: bool, occurred_at: datetime
) -> _PhoneMatch:
    """The candidate and application of a call or text: ``followups.routing``'s rule, where an
    inbound one answering the team's outreach concerns the application that outreach was for."""

    try:
        number = normalize_phone(raw, region=region)
    except ValidationError:
        shown = raw.strip()[:60] or "(none)"
        return _PhoneMatch(
            MatchStatus.UNMATCHED,
            note=f"The {what} number {shown} is not a phone number we can read "
            "(withheld or not a phone), so it is never matched automatically.",
        )
    candidate_ids = sorted(
        set(CandidatePhone.objects.filter(number=number).values_list("candidate_id", flat=True))
    )
    answered = frozenset()
    if inbound and candidate_ids:
        answered = routing.answered_applications(candidate_ids, occurred_at=occurred_at)
    found = routing.route(
        candidate_ids, identifier=number, what=f"{what} number", concerned=answered
    )
    return _PhoneMatch(
        found.status,
        number=number,
        candidate_id=found.candidate_id,
        application_id=found.application_id,
        note=found.note,
        requisition_ids=found.requisition_ids,
    )


def _existing(channel: str, external_id: str) -> Contact | None:
    if not external_id:
        return None
    family = CALL_CHANNELS if channel in CALL_CHANNELS else (channel,)
    return Contact.objects.filter(channel__in=family, external_id=external_id).first()


@transaction.atomic
def phone_contact_record(
    *,
    channel: str,
    direction: str,
    candidate_number: str,
    occurred_at: datetime,
    external_id: str,
    duration_seconds: int | None = None,
    summary: str = "",
    source: str,
    now: datetime,
    default_region: str | None = None,
) -> PhoneOutcome:
    """Store one call, voicemail or text exactly once.

    ``candidate_number`` is the candidate's side (the caller or sender for inbound, the called
    number for outbound), in any format ``phonenumbers`` reads; a national-format number is read
    in ``default_region`` (ISO 3166 alpha-2). It is matched against the candidates' numbers in
    E.164: no candidate or several put the contact in the unmatched queue with a note.

    The same ``external_id`` (call or message SID) is a repeated delivery: ``duplicate`` and
    nothing changes, also when two deliveries race (the unique constraint decides). An
    outbound call while the application's silence test is observing contaminates it: it has
    already happened, so there is nothing to confirm.
    """
    if channel not in PHONE_CHANNELS:
        raise ValidationError(f"{channel!r} is not a call or text channel.", code="channel")
    Direction(direction)
    if occurred_at.tzinfo is None:
        raise ValidationError("The contact time needs a time zone.", code="naive")
    if occurred_at > now + FUTURE_TOLERANCE:
        raise ValidationError("A contact cannot be recorded in the future.", code="future")
    if duration_seconds is not None and duration_seconds < 0:
        raise ValidationError("A call cannot last less than nothing.", code="duration")
    external_id = external_id.strip()
    if "\x00" in external_id:
        # Not a provider's id, and PostgreSQL cannot store it: a refusal, not a database error.
        raise ValidationError("The provider id contains a NUL character.", code="external_id")
    # PostgreSQL text cannot hold NUL; like the email path, drop it rather than lose the text.
    summary = summary.replace("\x00", "")
    if len(external_id) > 255:
        raise ValidationError("The provider id is longer than 255 characters.", code="external_id")

    existing = _existing(channel, external_id)
    if existing is not None:
        return PhoneOutcome("duplicate", existing)

    outbound = direction == Direction.OUTBOUND
    what = "called" if outbound else "sender's" if channel == Channel.SMS else "caller's"
    match = _match_phone(
        candidate_number,
        region=default_region,
        what=what,
        inbound=not outbound,
        occurred_at=occurred_at,
    )
    try:
        with transaction.atomic():
            contact = Contact(
                candidate_id=match.candidate_id,
                application_id=match.application_id,
                channel=channel,
                direction=direction,
                occurred_at=occurred_at,
                source=source,
                summary=summary.strip(),
                external_id=external_id,
                duration_seconds=duration_seconds,
                phone_number=match.number,
                match_status=match.status,
                match_note=match.note[:300],
            )
            # An outbound call during an observing silence test has already happened: the
            # recording action marks the test contaminated, there is nothing to confirm.
            contact_record(contact=contact, now=now, queue_requisitions=match.requisition_ids)
    except IntegrityError:
        # A concurrent delivery of the same SID inserted first (the second insert waits on the
        # unique index until the first commits). Anything else is a real error.
        existing = _existing(channel, external_id)
        if existing is None:
            raise
        return PhoneOutcome("duplicate", existing)
    return PhoneOutcome("stored", contact)


@transaction.atomic
def call_voicemail_set(*, contact_id: int, link: str, now: datetime) -> bool:
    """A stored inbound call turned out to have left a voicemail (a dialer reports the
    recording after the call's end): it moves to the voicemail channel, with the link, through
    the recording action. False when it is not an inbound phone call (already a voicemail, or
    an outbound call)."""
    contact = Contact.objects.select_for_update().filter(pk=contact_id).first()
    if contact is None or (contact.channel, contact.direction) != (
        Channel.PHONE,
        Direction.INBOUND,
    ):
        return False
    contact.channel = Channel.VOICEMAIL
    summary = "Voicemail left."
    if link:
        summary += f" Recording: {link}"
    contact.summary = summary.replace("\x00", "")
    contact_record(contact=contact, now=now)
    return True
