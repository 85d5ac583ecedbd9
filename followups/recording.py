"""The one action by which a contact is recorded, whatever door it came through.

Email (pipe, IMAP, ESP webhooks), Twilio texts and calls, the manual log and quick log, the
app's own sent emails and the unmatched queue's "attach" call ``contact_record`` once the
contact's fields are known; the call-log import calls ``contacts_record_bulk``, the same rules
set-based. Each applies, in the caller's transaction:

* **Prompted or not** (``contact_is_prompted``): an outbound contact never is; an inbound
  email is when it answers one of ours (the caller passes that evidence, read from the
  message's headers or reply address); an inbound call, voicemail or text is when the team
  contacted the candidate within the callback window before it (``is_callback``).
* **Queue**: a contact without a candidate waits in the unmatched queue of the teams concerned.
* **Contamination**: an outbound contact on an application whose silence test is observing,
  made after the deadline, contaminates the test (the first such contact wins). Whether to
  *ask* before logging one by hand is the manual log's business (``WouldContaminate``).
* **Scores**: the application's score is marked stale (``candidates.freshness``).
"""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef

from candidates.freshness import mark_scores_stale
from followups import routing
from followups.models import Channel, Contact, Direction
from hiring.models import SilenceTest, SilenceTestState
from hiring.services import silence_test_contaminate

#: Channels whose inbound contacts answer the team's outreach when they follow it closely.
CALLBACK_CHANNELS = (Channel.PHONE, Channel.VOICEMAIL, Channel.SMS)


def callback_window() -> timedelta:
    return timedelta(hours=settings.CALLBACK_WINDOW_HOURS)


def is_callback(*, candidate_id: int, occurred_at: datetime) -> bool:
    """True when the team contacted the candidate (outbound, any channel) within the callback
    window before ``occurred_at``: an inbound call or text at that time answers it."""
    return Contact.objects.filter(
        candidate_id=candidate_id,
        direction=Direction.OUTBOUND,
        occurred_at__gte=occurred_at - callback_window(),
        occurred_at__lte=occurred_at,
    ).exists()


def earlier_outbound() -> Exists:
    """``is_callback`` as SQL for the outer contact: an outbound contact with the same candidate
    inside the callback window before it (bounds inclusive)."""
    return Exists(
        Contact.objects.filter(
            candidate_id=OuterRef("candidate_id"),
            direction=Direction.OUTBOUND,
            occurred_at__lte=OuterRef("occurred_at"),
            occurred_at__gte=OuterRef("occurred_at") - callback_window(),
        )
    )


def contact_is_prompted(contact: Contact, *, answers_ours: bool = False) -> bool:
    """The prompted rule (module docstring). ``answers_ours``: an email's evidence that it
    replies to one of the team's messages."""
    if contact.direction != Direction.INBOUND:
        return False
    if contact.channel == Channel.EMAIL:
        return answers_ours
    if contact.channel in CALLBACK_CHANNELS and contact.candidate_id is not None:
        return is_callback(candidate_id=contact.candidate_id, occurred_at=contact.occurred_at)
    return False


def _contaminate(contacts: Sequence[Contact], *, now: datetime) -> None:
    """The contamination rule for these contacts (one query; a write per affected test)."""
    outbound = [c for c in contacts if c.direction == Direction.OUTBOUND and c.application_id]
    if not outbound:
        return
    deadlines = dict(
        SilenceTest.objects.filter(
            application_id__in={c.application_id for c in outbound},
            state=SilenceTestState.OBSERVING,
        ).values_list("application_id", "deadline_at")
    )
    first: dict[int, Contact] = {}
    for contact in sorted(outbound, key=lambda c: c.occurred_at):
        deadline = deadlines.get(contact.application_id)
        if deadline is not None and contact.occurred_at >= deadline:
            first.setdefault(contact.application_id, contact)
    for application_id, contact in first.items():
        silence_test_contaminate(application_id=application_id, contact=contact, now=now)


def contact_record(
    *,
    contact: Contact,
    now: datetime,
    answers_ours: bool = False,
    queue_requisitions: Iterable[int] = (),
    drain_scores: bool = True,
) -> Contact:
    """Store a contact (new, or an existing one the queue attached) with the rules of the
    module docstring; in the caller's transaction.

    ``queue_requisitions``: for a queued contact (no candidate), the teams whose recruiters
    triage it (none: every recruiter). ``drain_scores=False`` leaves the stale score to the
    caller's later drain (a command storing many messages drains once per batch).
    """
    contact.is_prompted = contact_is_prompted(contact, answers_ours=answers_ours)
    contact.save()
    routing.queue_for(contact, queue_requisitions)
    _contaminate([contact], now=now)
    mark_scores_stale([contact.application_id], drain=drain_scores)
    return contact


def contacts_record_bulk(
    *, contacts: list[Contact], now: datetime, queue_requisitions: Sequence[Sequence[int]]
) -> list[Contact]:
    """``contact_record`` for many new contacts, set-based: one insert, one queue insert, one
    UPDATE for the prompted rule, one read for contamination. ``queue_requisitions`` is per
    contact, in the same order."""
    for contact in contacts:
        # Emails come one at a time (``contact_record``); here only the rule's SQL half applies.
        contact.is_prompted = False
    created = Contact.objects.bulk_create(contacts)
    Contact.queue_requisitions.through.objects.bulk_create(
        Contact.queue_requisitions.through(contact_id=contact.pk, requisition_id=requisition)
        for contact, requisitions in zip(created, queue_requisitions, strict=True)
        for requisition in requisitions
    )
    answers = [
        c.pk
        for c in created
        if c.direction == Direction.INBOUND and c.candidate_id and c.channel in CALLBACK_CHANNELS
    ]
    if answers:
        Contact.objects.filter(pk__in=answers).filter(earlier_outbound()).update(is_prompted=True)
    _contaminate(created, now=now)
    mark_scores_stale(c.application_id for c in created)
    return created
