import hashlib
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formataddr, make_msgid
from functools import cached_property, reduce
from operator import or_

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django_q.tasks import async_task

from candidates.models import CandidateEmail
from followups import routing, sql
from followups.email_parsing import NotAnEmail, ParsedEmail, parse_email, reply_token
from followups.models import (
    Channel,
    Contact,
    ContactSource,
    Direction,
    EmailAttachment,
    InboundMessage,
    MailgunWebhookToken,
    MatchStatus,
    ReplyToken,
)
from followups.recording import contact_record, contacts_record_bulk
from followups.rules import would_contaminate

#: Local part of the app's reply address: reply+<token>@REPLY_DOMAIN.
REPLY_LOCAL_PART = "reply"
#: Random bytes in a reply token: 32 lower-case hex characters (addresses are compared
#: lower-cased, so the token must survive case folding).
REPLY_TOKEN_BYTES = 16

#: Contacts logged by hand may be back-dated, but not into the future beyond clock skew.
FUTURE_TOLERANCE = timedelta(minutes=5)

logger = logging.getLogger(__name__)


class WouldContaminate(ValidationError):
    """Logging this outbound contact would contaminate a running silence test."""


DONT_CHASE_MESSAGE = (
    "Don't chase — the silence test is running. Contacting the candidate now makes the test "
    "not comparable. Confirm only if the contact really happened."
)


def _check_dont_chase(
    *, application, direction: str, occurred_at: datetime, confirm_contamination: bool
) -> bool:
    """True when an outbound contact at ``occurred_at`` falls in a running silence test.

    Raises ``WouldContaminate`` unless the user confirmed: the team must not chase.
    """
    observing = would_contaminate(
        application_id=application.pk, direction=direction, occurred_at=occurred_at
    )
    if observing and not confirm_contamination:
        raise WouldContaminate(DONT_CHASE_MESSAGE, code="would_contaminate")
    return observing


@transaction.atomic
def contact_log(
    *,
    application,
    channel: str,
    direction: str,
    occurred_at: datetime,
    summary: str,
    logged_by,
    now: datetime,
    confirm_contamination: bool = False,
) -> Contact:
    """Log a contact on an application's timeline.

    An outbound contact while the application's silence test is observing raises
    ``WouldContaminate`` unless ``confirm_contamination``; once confirmed, the test is marked
    contaminated (and shows so everywhere).
    """
    if occurred_at.tzinfo is None:
        raise ValidationError("The contact time needs a time zone.")
    if occurred_at > now + FUTURE_TOLERANCE:
        raise ValidationError("A contact cannot be logged in the future.", code="future")
    Channel(channel)
    Direction(direction)
    _check_dont_chase(
        application=application,
        direction=direction,
        occurred_at=occurred_at,
        confirm_contamination=confirm_contamination,
    )
    contact = Contact(
        candidate_id=application.candidate_id,
        application=application,
        channel=channel,
        direction=direction,
        occurred_at=occurred_at,
        summary=summary.strip(),
        logged_by=logged_by,
        source=ContactSource.MANUAL,
    )
    return contact_record(contact=contact, now=now)


def email_subject_validate(subject: str) -> None:
    """A subject is one header line: a line break would inject header fields (``Bcc:``) and
    Django refuses to send it (``BadHeaderError``) after the page said "queued"."""
    if any(char in subject for char in "\r\n\x00"):
        raise ValidationError(
            "The subject must be a single line (no line breaks).", code="subject_line_break"
        )


@transaction.atomic
def email_send(
    *,
    application,
    sender,
    subject: str,
    body: str,
    now: datetime,
    confirm_contamination: bool = False,
) -> Contact:
    """Email the candidate from the app with a tokenised Reply-To, so the answer is matched
    to this application and known to be prompted. Sent by a task after the commit."""
    address = (
        CandidateEmail.objects.filter(candidate_id=application.candidate_id)
        .order_by("-is_primary", "address")
        .values_list("address", flat=True)
        .first()
    )
    if not address:
        raise ValidationError("The candidate has no email address.", code="no_address")
    if not subject.strip() or not body.strip():
        raise ValidationError("Write a subject and a message.", code="empty")
    email_subject_validate(subject)
    _check_dont_chase(
        application=application,
        direction=Direction.OUTBOUND,
        occurred_at=now,
        confirm_contamination=confirm_contamination,
    )
    message_id = make_msgid(domain=settings.REPLY_DOMAIN).strip("<>")
    contact = Contact(
        candidate_id=application.candidate_id,
        application=application,
        channel=Channel.EMAIL,
        direction=Direction.OUTBOUND,
        occurred_at=now,
        summary=subject.strip()[:200],
        subject=subject.strip()[:998],
        body_text=body.strip(),
        logged_by=sender,
        source=ContactSource.MANUAL,
        external_id=message_id,
    )
    contact_record(contact=contact, now=now)
    ReplyToken.objects.create(
        token=secrets.token_hex(REPLY_TOKEN_BYTES), application=application, contact=contact
    )
    transaction.on_commit(lambda: async_task("followups.tasks.send_candidate_email", contact.pk))
    return contact


def candidate_email_deliver(*, contact_id: int) -> bool:
    """Send an email logged by ``email_send`` (the task body). Returns False if already sent."""
    contact = Contact.objects.select_related("reply_token", "logged_by").get(pk=contact_id)
    address = (
        CandidateEmail.objects.filter(candidate_id=contact.candidate_id)
        .order_by("-is_primary", "address")
        .values_list("address", flat=True)
        .first()
    )
    sender_name = contact.logged_by.get_full_name() if contact.logged_by else ""
    # One line: a line break in a user's name would make Django refuse the From header
    # (BadHeaderError) and the task fail on every retry.
    sender_name = " ".join(sender_name.split())
    message = EmailMessage(
        subject=contact.subject,
        body=contact.body_text,
        from_email=formataddr((sender_name, settings.DEFAULT_FROM_EMAIL))
        if sender_name
        else settings.DEFAULT_FROM_EMAIL,
        to=[address],
        reply_to=[f"{REPLY_LOCAL_PART}+{contact.reply_token.token}@{settings.REPLY_DOMAIN}"],
        headers={"Message-ID": f"<{contact.external_id}>"},
    )
    message.send()
    return True


# --- Email capture ------------------------------------------------------------------------------

#: A Date header further back than this before receipt is not trusted as the contact time.
MAX_TRUSTED_SEND_DELAY = timedelta(days=7)


#: Of a message refused for its size only the start is kept: its header, so a person sees who
#: sent what and when (the sender's own mail system has the message and the refusal).
REFUSED_HEAD_BYTES = 64 * 1024

#: Messages ``emails_ingest`` reads set-based and stores in one transaction.
EMAIL_CHUNK = 200


@dataclass(frozen=True)
class IngestOutcome:
    status: str  # "stored" | "duplicate" | "rejected" | "too large" | "not a message" (batch)
    contact_id: int | None = None
    message_id: str = ""
    detail: str = ""


@dataclass(frozen=True)
class _Match:
    status: str
    candidate_id: int | None = None
    application_id: int | None = None
    note: str = ""
    prompted_by_token: bool = False
    #: When queued: the requisitions whose recruiters triage it (``followups.routing``).
    requisition_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class _AddressLookup:
    """What the database knows about a message's addresses, read in one query."""

    team: frozenset[str]  # those that are an active user's email (lower-cased)
    candidates: dict[str, frozenset[int]]  # address -> candidates who have it
    application_of: dict[int, int | None]  # candidate -> applications_for_candidates' choice
    application_count: dict[int, int]  # candidate -> how many applications they have


class _Known:
    """What matching and the prompted rule read about some messages before any is stored, in
    set-based queries: the same reads for one message (``email_ingest``) and for a chunk of
    many (``emails_ingest``)."""

    def __init__(
        self,
        lookup: _AddressLookup,
        tokens: dict[str, tuple[int, int]],
        ours: frozenset[str],
    ):
        self.lookup = lookup
        self.tokens = tokens  # reply token -> (application id, candidate id)
        self.ours = ours  # the Message-IDs they reference that are emails the team sent

    @cached_property
    def applications(self) -> routing.Applications:
        """The applications of every candidate the lookup found, for ``routing.decide``: read
        once, when the first message needs more than the lookup's one-application answer."""
        return routing.applications_by_candidate(
            {cid for ids in self.lookup.candidates.values() for cid in ids}
        )


def _addresses_lookup(addresses: list[str]) -> _AddressLookup:
    wanted = sorted({a for a in addresses if a})
    if not wanted:
        return _AddressLookup(frozenset(), {}, {}, {})
    team: set[str] = set()
    candidates: dict[str, set[int]] = {}
    application_of: dict[int, int | None] = {}
    application_count: dict[int, int] = {}
    # The application is chosen as ``applications_for_candidates`` chooses it;
    # tests/integration/test_email_capture.py checks both agree.
    for kind, address, candidate_id, application_id, count in sql.addresses_lookup(wanted):
        if kind == "team":
            team.add(address)
        else:
            candidates.setdefault(address, set()).add(candidate_id)
            application_of[candidate_id] = application_id
            application_count[candidate_id] = count
    return _AddressLookup(
        frozenset(team),
        {a: frozenset(ids) for a, ids in candidates.items()},
        application_of,
        application_count,
    )


def _is_team_address(address: str, team: frozenset[str]) -> bool:
    domain = address.rpartition("@")[2]
    return address in team or domain in settings.TEAM_EMAIL_DOMAINS


def _is_outbound(parsed: ParsedEmail, team: frozenset[str]) -> bool:
    return bool(parsed.from_address) and _is_team_address(parsed.from_address, team)


def _reply_token_of(parsed: ParsedEmail) -> str | None:
    token = reply_token(
        parsed.recipients, reply_local=REPLY_LOCAL_PART, reply_domain=settings.REPLY_DOMAIN
    )
    return token.lower() if token else None


def _referenced(parsed: ParsedEmail) -> set[str]:
    return {*parsed.in_reply_to, *parsed.references}


def _team_email_ids(message_ids: set[str]) -> frozenset[str]:
    """Which of these Message-IDs are emails the team sent: the prompted rule's evidence."""
    if not message_ids:
        return frozenset()
    return frozenset(
        Contact.objects.filter(
            channel=Channel.EMAIL, direction=Direction.OUTBOUND, external_id__in=message_ids
        )
        # The partial unique index's predicate, which PostgreSQL does not prove from an IN list
        # longer than 100 values (a chunk's references): without it, a sequential scan.
        .exclude(external_id="")
        .values_list("external_id", flat=True)
    )


def _known_for(parsed_messages: list[ParsedEmail]) -> _Known:
    """The reads of ``_Known`` for these messages: the address lookup, then (only when some
    message carries them) the reply tokens and the team's emails they reference."""
    lookup = _addresses_lookup(
        [a for parsed in parsed_messages for a in (parsed.from_address, *parsed.recipients)]
    )
    inbound = [p for p in parsed_messages if not _is_outbound(p, lookup.team)]
    wanted = {token for p in inbound if (token := _reply_token_of(p))}
    tokens = (
        {
            token: (application_id, candidate_id)
            for token, application_id, candidate_id in ReplyToken.objects.filter(
                token__in=wanted
            ).values_list("token", "application_id", "application__candidate_id")
        }
        if wanted
        else {}
    )
    # A reply the token already matched is prompted: its references need not be read.
    referenced = {m for p in inbound if _reply_token_of(p) not in tokens for m in _referenced(p)}
    return _Known(lookup, tokens, _team_email_ids(referenced))


def applications_for_candidates(candidate_ids) -> dict[int, int]:
    """Candidate id -> the application one team's contact of theirs belongs to: the one whose
    silence test is open, else the most recently active one (``followups.routing``'s choice;
    across teams routing queues the contact instead)."""
    loaded = routing.applications_by_candidate(candidate_ids)
    return {
        candidate_id: routing.choose(apps).id
        for candidate_id, apps in loaded.by_candidate.items()
        if apps
    }


def _application_for_candidate(candidate_id: int) -> int | None:
    return applications_for_candidates({candidate_id}).get(candidate_id)


def _match_candidate(
    addresses: list[str], *, what: str, known: _Known, parsed: ParsedEmail, team: list[str]
) -> _Match:
    """The candidate and application of an email from (or to) ``addresses``:
    ``followups.routing``'s rule. ``team``: the team members' addresses it was sent to (or,
    outbound, sent from)."""
    if not addresses:
        return _Match(MatchStatus.UNMATCHED, note=f"No readable {what} address.")
    lookup = known.lookup
    candidate_ids = sorted(
        {cid for address in addresses for cid in lookup.candidates.get(address, ())}
    )
    if len(candidate_ids) == 1 and lookup.application_count.get(candidate_ids[0], 0) <= 1:
        # The common case, already answered by the lookup: one candidate, one application.
        return _Match(
            MatchStatus.MATCHED,
            candidate_id=candidate_ids[0],
            application_id=lookup.application_of.get(candidate_ids[0]),
        )
    team_users = routing.team_user_ids(team)
    if not candidate_ids:
        # An unknown sender written to team members waits in their teams' queue only.
        return _Match(
            MatchStatus.UNMATCHED,
            note=f"No candidate has the {what} address {addresses[0]}.",
            requisition_ids=routing.requisitions_of_users(team_users),
        )
    found = routing.decide(
        candidate_ids,
        known.applications,
        identifier=addresses[0],
        what=f"{what} address",
        concerned=routing.thread_applications([*parsed.in_reply_to, *parsed.references]),
        team_users=team_users,
    )
    return _Match(
        found.status,
        candidate_id=found.candidate_id,
        application_id=found.application_id,
        note=found.note,
        requisition_ids=found.requisition_ids,
    )


def _match_email(parsed: ParsedEmail, *, outbound: bool, known: _Known) -> _Match:
    token = None if outbound else _reply_token_of(parsed)
    found = known.tokens.get(token) if token else None
    if found:
        return _Match(
            MatchStatus.MATCHED,
            candidate_id=found[1],
            application_id=found[0],
            prompted_by_token=True,
        )
    lookup = known.lookup
    if outbound:
        others = [a for a in parsed.recipients if not _is_team_address(a, lookup.team)]
        return _match_candidate(
            others, what="recipient", known=known, parsed=parsed, team=[parsed.from_address]
        )
    if not parsed.from_address:
        return _Match(
            MatchStatus.UNMATCHED,
            note="The From header could not be read as exactly one address; it is never "
            "matched automatically.",
        )
    team = [a for a in parsed.recipients if a in lookup.team]
    return _match_candidate(
        [parsed.from_address], what="sender", known=known, parsed=parsed, team=team
    )


def _contact_time(parsed: ParsedEmail, received_at: datetime) -> datetime:
    # The Date header is the sender's claim: trust it only when it is plausible next to the
    # receipt time (never after it, not days before it).
    sent = parsed.sent_at
    if sent and received_at - MAX_TRUSTED_SEND_DELAY <= sent <= received_at + FUTURE_TOLERANCE:
        return min(sent, received_at)
    return received_at


def email_answers_ours(parsed: ParsedEmail) -> bool:
    """An email's evidence for the prompted rule: it references one of the team's emails."""
    return bool(_team_email_ids(_referenced(parsed)))


def _external_id(parsed: ParsedEmail) -> str:
    return parsed.message_id or f"sha256:{parsed.fingerprint}"


def _identity_keys(parsed: ParsedEmail, provider_id: str = "") -> set[tuple[str, str]]:
    """What makes a message a repeated delivery (the unique constraints of ``InboundMessage``
    and of the contact's external id): the same Message-ID, bytes, content fingerprint or
    provider id, or a contact of that external id."""
    keys = {("fingerprint", parsed.fingerprint), ("external", _external_id(parsed))}
    if parsed.message_id:
        keys.add(("message_id", parsed.message_id))
    if parsed.content_fingerprint:
        keys.add(("content", parsed.content_fingerprint))
    if provider_id:
        keys.add(("provider", provider_id))
    return keys


def _stored_keys(keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Those of ``keys`` already stored (two queries, whatever the number of messages)."""
    wanted: dict[str, list[str]] = {}
    for kind, value in keys:
        wanted.setdefault(kind, []).append(value)
    found: set[tuple[str, str]] = set()
    columns = {
        "fingerprint": "fingerprint",
        "message_id": "message_id",
        "content": "content_fingerprint",
        "provider": "provider_id",
    }
    # "<> ''" repeats the partial unique indexes' predicate: PostgreSQL proves it from an IN
    # list of at most 100 values only, and a chunk's longer list scanned the whole table.
    same = [
        Q(**{f"{column}__in": wanted[kind]}) & ~Q(**{column: ""})
        for kind, column in columns.items()
        if kind in wanted
    ]
    if same:
        for row in InboundMessage.objects.filter(reduce(or_, same)).values_list(*columns.values()):
            found.update((kind, value) for kind, value in zip(columns, row, strict=True) if value)
    if wanted.get("external"):
        found.update(
            ("external", value)
            for value in Contact.objects.filter(
                channel=Channel.EMAIL, external_id__in=wanted["external"]
            )
            .exclude(external_id="")  # the partial index's predicate, as above
            .values_list("external_id", flat=True)
        )
    return found & keys


def _inbound_message(
    *, parsed: ParsedEmail, raw: bytes, source: str, received_at: datetime, provider_id: str
) -> InboundMessage:
    return InboundMessage(
        message_id=parsed.message_id,
        fingerprint=parsed.fingerprint,
        content_fingerprint=parsed.content_fingerprint,
        provider_id=provider_id,
        source=source,
        received_at=received_at,
        size=len(raw),
        raw=raw,
    )


@dataclass(frozen=True)
class _Planned:
    """An email's contact (unsaved, its message not yet set) and what recording it needs."""

    contact: Contact
    answers_ours: bool
    queue_requisitions: tuple[int, ...]


def _email_contact_plan(
    parsed: ParsedEmail, *, known: _Known, source: str, received_at: datetime
) -> _Planned:
    """Matching, direction and the prompted evidence of one email: one rule for both paths."""
    outbound = _is_outbound(parsed, known.lookup.team)
    match = _match_email(parsed, outbound=outbound, known=known)
    contact = Contact(
        candidate_id=match.candidate_id,
        application_id=match.application_id,
        channel=Channel.EMAIL,
        direction=Direction.OUTBOUND if outbound else Direction.INBOUND,
        occurred_at=_contact_time(parsed, received_at),
        source=source,
        summary=parsed.subject[:200],
        external_id=_external_id(parsed),
        is_automated=parsed.is_automated,
        automated_reason=parsed.automated_reason[:200],
        match_status=match.status,
        match_note=match.note[:300],
        subject=parsed.subject[:998],
        body_text=parsed.text,
        from_header=parsed.from_header[:998],
    )
    answers_ours = not outbound and (
        match.prompted_by_token or bool(_referenced(parsed) & known.ours)
    )
    return _Planned(contact, answers_ours, match.requisition_ids)


def _email_attachments(parsed: ParsedEmail, contact: Contact) -> list[EmailAttachment]:
    return [
        EmailAttachment(
            contact=contact,
            filename=a.filename[:255],
            content_type=a.content_type[:255],
            size=min(a.size, 2**31 - 1),
            oversized=a.oversized,
        )
        for a in parsed.attachments
    ]


def email_ingest(
    *,
    raw: bytes,
    source: str,
    now: datetime,
    received_at: datetime | None = None,
    drain_scores: bool = True,
    provider_id: str = "",
) -> IngestOutcome:
    """Store one email exactly once and put it on the right timeline (or the unmatched queue).

    Raises ``NotAnEmail`` for bytes that are not a message (nothing is stored; callers decide
    whether to keep them with ``email_reject``). Re-delivery of the same message returns
    ``duplicate`` and changes nothing: the same Message-ID, bytes, content fingerprint (the
    same message re-encoded, as ESPs' parsed formats are) or ``provider_id`` (the ESP's own id
    of the message, ``<esp>:<id>``). A message over ``MAX_EMAIL_BYTES`` is not parsed: it is
    refused (``too large``) with a record, see ``email_refuse_too_large``. ``drain_scores=False``
    leaves the score it marks stale to the caller's drain (``contact_record``).
    """
    if len(raw) > settings.MAX_EMAIL_BYTES:
        return email_refuse_too_large(head=raw, size=len(raw), source=source, now=now)
    return _email_store(
        raw=raw,
        parsed=parse_email(raw),
        source=source,
        now=now,
        received_at=received_at or now,
        drain_scores=drain_scores,
        provider_id=provider_id[:300],
    )


def _email_store(
    *,
    raw: bytes,
    parsed: ParsedEmail,
    source: str,
    now: datetime,
    received_at: datetime,
    drain_scores: bool,
    provider_id: str,
) -> IngestOutcome:
    try:
        with transaction.atomic():
            message = _inbound_message(
                parsed=parsed,
                raw=raw,
                source=source,
                received_at=received_at,
                provider_id=provider_id,
            )
            message.save(force_insert=True)
            planned = _email_contact_plan(
                parsed, known=_known_for([parsed]), source=source, received_at=now
            )
            contact = planned.contact
            contact.message = message
            # The team writing to the candidate (say, CC'ing the capture mailbox) has already
            # happened: a running silence test is contaminated without asking.
            contact_record(
                contact=contact,
                now=now,
                answers_ours=planned.answers_ours,
                queue_requisitions=planned.queue_requisitions,
                drain_scores=drain_scores,
            )
            EmailAttachment.objects.bulk_create(_email_attachments(parsed, contact))
    except IntegrityError:
        # The unique Message-ID / fingerprint (or the contact's external id) already exists:
        # a repeated delivery. A concurrent twin blocks on the index until the first commits.
        # Any other violation is a real error: raised, never reported as a duplicate, which
        # would drop the message while telling the MTA / ESP / poller it was delivered.
        if not _email_already_stored(parsed, provider_id=provider_id):
            raise
        return IngestOutcome("duplicate", message_id=parsed.message_id)
    return IngestOutcome("stored", contact_id=contact.pk, message_id=parsed.message_id)


def _email_already_stored(parsed: ParsedEmail, *, provider_id: str = "") -> bool:
    keys = _identity_keys(parsed, provider_id)
    return bool(_stored_keys(keys))


def emails_ingest(*, raws: Sequence[bytes], source: str, now: datetime) -> list[IngestOutcome]:
    """``email_ingest`` for many messages (``ingest_email FILE …``), one outcome per input in
    order: the same rules (``_email_contact_plan``, ``_identity_keys``, ``contact_record``'s
    set-based twin), with the reads set-based and one transaction per ``EMAIL_CHUNK``.

    Differences are in the form only: bytes that are not a message are the outcome ``not a
    message`` (nothing stored) instead of ``NotAnEmail``; a message repeated within the input
    is a duplicate of its first delivery; scores are marked stale and left to the caller's
    drain. A chunk that meets a unique violation (a concurrent delivery of one of its messages)
    is stored again message by message through ``email_ingest``'s path.
    """
    outcomes: list[IngestOutcome] = []
    for start in range(0, len(raws), EMAIL_CHUNK):
        outcomes.extend(
            _emails_ingest_chunk(raws[start : start + EMAIL_CHUNK], source=source, now=now)
        )
    return outcomes


def _emails_ingest_chunk(
    raws: Sequence[bytes], *, source: str, now: datetime
) -> list[IngestOutcome]:
    outcomes: list[IngestOutcome | None] = [None] * len(raws)
    parsed_messages: list[tuple[int, bytes, ParsedEmail]] = []
    for n, raw in enumerate(raws):
        if len(raw) > settings.MAX_EMAIL_BYTES:
            outcomes[n] = email_refuse_too_large(head=raw, size=len(raw), source=source, now=now)
            continue
        try:
            parsed_messages.append((n, raw, parse_email(raw)))
        except NotAnEmail as exc:
            outcomes[n] = IngestOutcome("not a message", detail=str(exc))
    keys = {n: _identity_keys(parsed) for n, _raw, parsed in parsed_messages}
    stored = _stored_keys(set().union(*keys.values())) if keys else set()
    # Runs of messages stored together: a message that replies to one earlier in the chunk
    # starts a new run, so that its reads (the thread, the prompted evidence) see it stored,
    # as they would have one message at a time.
    runs: list[list[tuple[int, bytes, ParsedEmail]]] = [[]]
    in_run: set[str] = set()
    for n, raw, parsed in parsed_messages:
        if keys[n] & stored:
            outcomes[n] = IngestOutcome("duplicate", message_id=parsed.message_id)
            continue
        stored |= keys[n]
        if _referenced(parsed) & in_run:
            runs.append([])
            in_run = set()
        runs[-1].append((n, raw, parsed))
        in_run.add(_external_id(parsed))
    for run in runs:
        if run:
            for n, outcome in _emails_store(run, source=source, now=now):
                outcomes[n] = outcome
    return outcomes  # type: ignore[return-value]  # every input has its outcome by now


def _emails_store(
    run: list[tuple[int, bytes, ParsedEmail]], *, source: str, now: datetime
) -> list[tuple[int, IngestOutcome]]:
    try:
        with transaction.atomic():
            known = _known_for([parsed for _n, _raw, parsed in run])
            messages = InboundMessage.objects.bulk_create(
                _inbound_message(
                    parsed=parsed, raw=raw, source=source, received_at=now, provider_id=""
                )
                for _n, raw, parsed in run
            )
            plans = [
                _email_contact_plan(parsed, known=known, source=source, received_at=now)
                for _n, _raw, parsed in run
            ]
            for plan, message in zip(plans, messages, strict=True):
                plan.contact.message = message
            contacts = contacts_record_bulk(
                contacts=[plan.contact for plan in plans],
                now=now,
                queue_requisitions=[plan.queue_requisitions for plan in plans],
                answers_ours=[plan.answers_ours for plan in plans],
                drain_scores=False,
            )
            EmailAttachment.objects.bulk_create(
                a
                for (_n, _raw, parsed), contact in zip(run, contacts, strict=True)
                for a in _email_attachments(parsed, contact)
            )
    except IntegrityError:
        # Stored meanwhile by another delivery (or a real violation, which raises there).
        return [
            (
                n,
                _email_store(
                    raw=raw,
                    parsed=parsed,
                    source=source,
                    now=now,
                    received_at=now,
                    drain_scores=False,
                    provider_id="",
                ),
            )
            for n, raw, parsed in run
        ]
    return [
        (n, IngestOutcome("stored", contact_id=contact.pk, message_id=parsed.message_id))
        for (n, _raw, parsed), contact in zip(run, contacts, strict=True)
    ]


def email_reject(
    *, raw: bytes, source: str, now: datetime, reason: str, size: int | None = None
) -> IngestOutcome:
    """Keep bytes that are not an email (from a mailbox or webhook) for a person to look at.

    ``size`` is the size of what was received when ``raw`` is only its start."""
    fingerprint = hashlib.sha256(raw).hexdigest()
    _message, created = InboundMessage.objects.get_or_create(
        fingerprint=fingerprint,
        defaults={
            "source": source,
            "received_at": now,
            "size": min(len(raw) if size is None else size, 2**31 - 1),
            "raw": raw,
            "parse_error": reason[:1000],
        },
    )
    return IngestOutcome("rejected" if created else "duplicate", detail=reason)


def email_size_refusal(size: int) -> str:
    """The one wording of a size refusal, for every path (pipe, IMAP, webhooks, their logs)."""
    limit = settings.MAX_EMAIL_BYTES
    return (
        f"message of {size} bytes refused: larger than the {limit} byte limit "
        f"({limit / 1024 / 1024:g} MB, MAX_EMAIL_BYTES)"
    )


def email_refuse_too_large(*, head: bytes, size: int, source: str, now: datetime) -> IngestOutcome:
    """Record a message refused for its size: its header (at most ``REFUSED_HEAD_BYTES``) and
    the reason, in the same rejected-messages record as bytes that are not an email; the
    message itself is not parsed or stored. ``head`` may be the whole message or its start."""
    head = head[:REFUSED_HEAD_BYTES]
    ends = [head.find(sep) + len(sep) for sep in (b"\r\n\r\n", b"\n\n") if sep in head]
    if ends:
        head = head[: min(ends)]
    reason = email_size_refusal(size)
    email_reject(raw=head, source=source, now=now, reason=reason, size=size)
    logger.warning("Inbound email (%s) %s", source, reason)
    return IngestOutcome("too large", detail=reason)


def mailgun_token_claim(*, token: str, digest: str, now: datetime) -> bool:
    """Record a Mailgun signature token; False when it was already used for other content.

    The same token with the same content is the ESP retrying one delivery (accepted; the message
    is then a duplicate). Tokens older than twice the accepted signature age are pruned: a post
    carrying one is refused for its age before it gets here.
    """
    max_age = timedelta(seconds=settings.MAILGUN_WEBHOOK_MAX_AGE_SECONDS)
    MailgunWebhookToken.objects.filter(seen_at__lt=now - 2 * max_age).delete()
    seen, _created = MailgunWebhookToken.objects.get_or_create(
        token=token, defaults={"digest": digest, "seen_at": now}
    )
    return seen.digest == digest
