"""The one action by which a contact is recorded, whatever door it came through.

Email (pipe, IMAP, ESP webhooks), Twilio texts and calls, the manual log and quick log, the
app's own sent emails and the unmatched queue's "attach" call ``contact_record`` once the
contact's fields are known; the call-log import and ``ingest_email FILE …`` call
``contacts_record_bulk``, the same rules set-based. Each applies, in the caller's transaction:

* **Prompted or not** (``contact_is_prompted``): an outbound contact never is; an inbound
  email is when it answers one of ours (the caller passes that evidence, read from the
  message's headers or reply address); an inbound call, voicemail or text is when the team
  contacted the candidate within the callback window before it (``followups.rules``).
* **Queue**: a contact without a candidate waits in the unmatched queue of the teams concerned.
* **Contamination**: an outbound contact on an application whose silence test is observing,
  made after the deadline, contaminates the test (the first such contact wins). Whether to
  *ask* before logging one by hand is the manual log's business (``WouldContaminate``).
* **Scores**: the application's score is marked stale (``candidates.freshness``).
* **Webhooks**: a ``contact.recorded`` event (``hiring.events``) for the outbound webhooks.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime

from candidates.freshness import mark_scores_stale
from followups import routing, rules
from followups.models import Channel, Contact, Direction
from hiring import events
from hiring.models import SilenceTest, SilenceTestState
from hiring.services import silence_test_contaminate


def contact_is_prompted(contact: Contact, *, answers_ours: bool = False) -> bool:
    """The prompted rule (module docstring). ``answers_ours``: an email's evidence that it
    replies to one of the team's messages."""
    if contact.direction != Direction.INBOUND:
        return False
    if contact.channel == Channel.EMAIL:
        return answers_ours
    return rules.answers_stored_outreach(contact)


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
        if deadline is not None and rules.contaminates(
            direction=contact.direction,
            occurred_at=contact.occurred_at,
            test_state=SilenceTestState.OBSERVING,
            deadline_at=deadline,
        ):
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
    events.events_emit(event=events.CONTACT_RECORDED, ids=[contact.pk], at=now)
    return contact


def contacts_record_bulk(
    *,
    contacts: list[Contact],
    now: datetime,
    queue_requisitions: Sequence[Sequence[int]],
    answers_ours: Sequence[bool] | None = None,
    drain_scores: bool = True,
) -> list[Contact]:
    """``contact_record`` for many new contacts, set-based: one insert, one queue insert, one
    UPDATE for the prompted rule's callback half, one read for contamination.
    ``queue_requisitions`` and ``answers_ours`` (emails' evidence, see ``contact_record``) are
    per contact, in the same order."""
    answers = [False] * len(contacts) if answers_ours is None else answers_ours
    for contact, answers_this in zip(contacts, answers, strict=True):
        # The email half needs no query; calls and texts get theirs in one UPDATE below.
        contact.is_prompted = contact.channel == Channel.EMAIL and contact_is_prompted(
            contact, answers_ours=answers_this
        )
    created = Contact.objects.bulk_create(contacts)
    Contact.queue_requisitions.through.objects.bulk_create(
        Contact.queue_requisitions.through(contact_id=contact.pk, requisition_id=requisition)
        for contact, requisitions in zip(created, queue_requisitions, strict=True)
        for requisition in requisitions
    )
    # Only calls and texts from known candidates can be callbacks: no query when there are none.
    maybe = [
        c.pk
        for c in created
        if rules.may_be_callback(
            direction=c.direction, channel=c.channel, candidate_id=c.candidate_id
        )
    ]
    if maybe:
        Contact.objects.filter(pk__in=maybe).filter(rules.callback_q()).update(is_prompted=True)
    _contaminate(created, now=now)
    mark_scores_stale((c.application_id for c in created), drain=drain_scores)
    events.events_emit(event=events.CONTACT_RECORDED, ids=[c.pk for c in created], at=now)
    return created
