"""The contact rules needed both in Python and in SQL, each written once, the pair side by side.

A rule that exists twice — once as a predicate over objects already in memory, once as a query
expression that lets PostgreSQL select the rows — drifts unless the two halves live together
and are tested against each other: ``tests/integration/test_rule_pairs.py`` generates contacts
and silence tests with hypothesis, stores them, and checks that the SQL half selects exactly
the rows the Python half accepts. Every other module calls these; none restates them.

* **Persistence**: an inbound contact the candidate made on their own initiative — not
  prompted, not automated, not a polite opt-out (``is_persistence``, ``persistence_q``). For a
  silence test, a *follow-up* is such a contact at or after the deadline and at or before the
  window's close (``is_follow_up``, ``window_follow_ups``); both instants are included: "if you
  haven't heard by Friday 5 pm, reach out" makes an email at 17:00:00 a follow-up. The score
  (``scoring.rules``), the sweeper's outcome and the silence board all use it.
* **Outcome** of a closed silence test, the sweeper's decision (``silence_outcome`` and
  ``silence_outcome_case``; the score's outcome uses the same predicates): *withdrew* when the
  application is in a Withdrawn stage or the candidate sent an opt-out in the test's scope
  (``is_withdrawal``, ``window_withdrawals``); else *reached out* with a follow-up; else
  *contacted before the deadline only* with an early contact (``is_early_contact``,
  ``window_early_contacts``: a persistence contact in the ``TEST_LOOKBACK`` before the deadline,
  the deadline itself excluded); else *silent*. The test's scope starts ``TEST_LOOKBACK`` before
  its deadline (tests are announced a few days before it; older contacts belong to earlier
  stages) and ends when its window closes.
* **Callback**: an inbound call, voicemail or text from a known candidate answers the team when
  the team contacted that candidate (outbound, any channel) within ``CALLBACK_WINDOW_HOURS``
  before it, bounds included (``is_callback``, ``callback_q``, ``outreach_before``).
* **Contamination**: an outbound contact on an application whose silence test is observing,
  at or after the test's deadline (``contaminates``, ``contaminating_q``,
  ``tests_contaminated_by``).

Visibility is not here: it is each model's ``visible_to(user)`` query set, and no code checks
it on an object already in memory (every view fetches through the query set), so it has no
Python half to keep in step.
"""

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Subquery, Value, When

from candidates.models import Application
from followups.models import Channel, Contact, ContactTag, Direction, QualityTag
from hiring.models import SilenceOutcome, SilenceTest, SilenceTestState, Stage, StageKind

#: How far before a silence test's deadline its scope starts: the test is announced at most
#: about a week before its deadline, and older contacts belong to earlier stages. Chasing
#: before the deadline (the score's impatience) and early contact use it.
TEST_LOOKBACK = timedelta(days=7)

# --- Persistence ----------------------------------------------------------------------------


def is_persistence(
    *, direction: str, is_prompted: bool, is_automated: bool, tags: Collection[str]
) -> bool:
    """Inbound, unprompted, human and not an opt-out (``persistence_q`` in SQL)."""
    return (
        direction == Direction.INBOUND
        and not is_prompted
        and not is_automated
        and QualityTag.OPT_OUT not in tags
    )


def is_follow_up(
    *,
    direction: str,
    is_prompted: bool,
    is_automated: bool,
    tags: Collection[str],
    occurred_at: datetime,
    deadline_at: datetime,
    window_closes_at: datetime,
) -> bool:
    """A persistence contact at or after the deadline, at or before the window's close
    (``window_follow_ups`` in SQL). The deadline instant is inclusive: "if you haven't heard
    by 17:00, reach out" makes a contact at 17:00:00 a follow-up."""
    return (
        is_persistence(
            direction=direction, is_prompted=is_prompted, is_automated=is_automated, tags=tags
        )
        and deadline_at <= occurred_at <= window_closes_at
    )


def contact_is_persistence(contact: Contact) -> bool:
    """``is_persistence`` for a stored contact (its tags are read, or taken from a prefetch)."""
    return is_persistence(
        direction=contact.direction,
        is_prompted=contact.is_prompted,
        is_automated=contact.is_automated,
        tags={t.tag for t in contact.tags.all()},
    )


def persistence_q() -> Q:
    """``is_persistence`` as a condition on contacts."""
    opt_out = ContactTag.objects.filter(contact_id=OuterRef("pk"), tag=QualityTag.OPT_OUT)
    return Q(direction=Direction.INBOUND, is_prompted=False, is_automated=False) & ~Exists(opt_out)


def window_follow_ups() -> QuerySet:
    """``is_follow_up`` for the *outer* silence test (its ``application_id``, ``deadline_at``
    and ``window_closes_at``): the contacts that count as its follow-ups."""
    return Contact.objects.filter(
        persistence_q(),
        application_id=OuterRef("application_id"),
        occurred_at__gte=OuterRef("deadline_at"),
        occurred_at__lte=OuterRef("window_closes_at"),
    )


# --- Outcome of a silence test --------------------------------------------------------------


def is_withdrawal(
    *,
    direction: str,
    is_automated: bool,
    tags: Collection[str],
    occurred_at: datetime,
    deadline_at: datetime,
    window_closes_at: datetime,
) -> bool:
    """An opt-out from the candidate in the test's scope (``window_withdrawals`` in SQL):
    inbound, human, tagged opt-out — prompted or not, "thank you, I have accepted another
    offer" withdraws either way — from ``TEST_LOOKBACK`` before the deadline to the window's
    close, both included."""
    return (
        direction == Direction.INBOUND
        and not is_automated
        and QualityTag.OPT_OUT in tags
        and deadline_at - TEST_LOOKBACK <= occurred_at <= window_closes_at
    )


def is_early_contact(
    *,
    direction: str,
    is_prompted: bool,
    is_automated: bool,
    tags: Collection[str],
    occurred_at: datetime,
    deadline_at: datetime,
) -> bool:
    """A persistence contact before the deadline, inside the test's scope
    (``window_early_contacts`` in SQL): the candidate did reach out, too early to be a
    follow-up ("called at 16:59 on Friday")."""
    return (
        is_persistence(
            direction=direction, is_prompted=is_prompted, is_automated=is_automated, tags=tags
        )
        and deadline_at - TEST_LOOKBACK <= occurred_at < deadline_at
    )


def silence_outcome(
    *, in_withdrawn_stage: bool, withdrew: bool, followed_up: bool, contacted_early: bool
) -> str:
    """The outcome of a closed test (``silence_outcome_case`` in SQL). A withdrawal wins over
    everything: the candidate has left, whatever they did before; a follow-up wins over early
    contact (the early one was impatience, the follow-up still counts)."""
    if in_withdrawn_stage or withdrew:
        return SilenceOutcome.WITHDREW
    if followed_up:
        return SilenceOutcome.REACHED_OUT
    if contacted_early:
        return SilenceOutcome.EARLY_ONLY
    return SilenceOutcome.SILENT


def window_withdrawals() -> QuerySet:
    """``is_withdrawal`` for the *outer* silence test: the candidate's opt-outs in its scope."""
    opt_out = ContactTag.objects.filter(contact_id=OuterRef("pk"), tag=QualityTag.OPT_OUT)
    return Contact.objects.filter(
        Exists(opt_out),
        application_id=OuterRef("application_id"),
        direction=Direction.INBOUND,
        is_automated=False,
        occurred_at__gte=OuterRef("deadline_at") - TEST_LOOKBACK,
        occurred_at__lte=OuterRef("window_closes_at"),
    )


def window_early_contacts() -> QuerySet:
    """``is_early_contact`` for the *outer* silence test: its early contacts."""
    return Contact.objects.filter(
        persistence_q(),
        application_id=OuterRef("application_id"),
        occurred_at__gte=OuterRef("deadline_at") - TEST_LOOKBACK,
        occurred_at__lt=OuterRef("deadline_at"),
    )


def in_withdrawn_stage_q() -> Exists:
    """The *outer* silence test's application is in a Withdrawn stage.

    Its stage is looked up per test (the application's ``stage_id``, then that stage's kind):
    written as a join of applications and stages, the planner hashed every application in a
    Withdrawn stage for each sweep batch, a cost that grew with the table, not the batch."""
    # order_by(): the model's default ordering would sort inside every test's lookup.
    stage_id = (
        Application.objects.filter(pk=OuterRef(OuterRef("application_id")))
        .order_by()
        .values("stage_id")
    )
    return Exists(Stage.objects.filter(pk=Subquery(stage_id), kind=StageKind.WITHDRAWN))


def silence_outcome_case() -> Case:
    """``silence_outcome`` as an expression on silence tests (the sweeper's decision)."""
    return Case(
        When(
            in_withdrawn_stage_q() | Exists(window_withdrawals()),
            then=Value(SilenceOutcome.WITHDREW),
        ),
        When(Exists(window_follow_ups()), then=Value(SilenceOutcome.REACHED_OUT)),
        When(Exists(window_early_contacts()), then=Value(SilenceOutcome.EARLY_ONLY)),
        default=Value(SilenceOutcome.SILENT),
    )


# --- Callback -------------------------------------------------------------------------------

#: Channels whose inbound contacts answer the team's outreach when they follow it closely.
CALLBACK_CHANNELS = (Channel.PHONE, Channel.VOICEMAIL, Channel.SMS)


def callback_window() -> timedelta:
    return timedelta(hours=settings.CALLBACK_WINDOW_HOURS)


def may_be_callback(*, direction: str, channel: str, candidate_id: int | None) -> bool:
    """The half of the callback rule that needs no other contact: an inbound call, voicemail
    or text from a known candidate."""
    return (
        direction == Direction.INBOUND and channel in CALLBACK_CHANNELS and candidate_id is not None
    )


def is_callback(contact: Contact, others: Iterable[Contact]) -> bool:
    """Whether ``contact`` answers the team's outreach among ``others`` (``callback_q`` in SQL):
    an outbound contact to the same candidate within the callback window before it."""
    if not may_be_callback(
        direction=contact.direction, channel=contact.channel, candidate_id=contact.candidate_id
    ):
        return False
    earliest = contact.occurred_at - callback_window()
    return any(
        o.direction == Direction.OUTBOUND
        and o.candidate_id == contact.candidate_id
        and earliest <= o.occurred_at <= contact.occurred_at
        for o in others
    )


def outreach_before(occurred_at) -> QuerySet:
    """The team's outbound contacts (any candidate) that a contact at ``occurred_at`` — a value
    or an ``OuterRef`` — may answer: within the callback window before it, bounds included.
    Callers narrow it to the candidate."""
    return Contact.objects.filter(
        direction=Direction.OUTBOUND,
        occurred_at__lte=occurred_at,
        occurred_at__gte=occurred_at - callback_window(),
    )


def callback_q() -> Q:
    """``is_callback`` as a condition on contacts (against every stored contact)."""
    answered = outreach_before(OuterRef("occurred_at")).filter(
        candidate_id=OuterRef("candidate_id")
    )
    return Q(
        direction=Direction.INBOUND, channel__in=CALLBACK_CHANNELS, candidate__isnull=False
    ) & Exists(answered)


def answers_stored_outreach(contact: Contact) -> bool:
    """``is_callback`` for one contact (stored or not) against the stored contacts: one query,
    when the contact may be a callback at all."""
    return (
        may_be_callback(
            direction=contact.direction, channel=contact.channel, candidate_id=contact.candidate_id
        )
        and outreach_before(contact.occurred_at).filter(candidate_id=contact.candidate_id).exists()
    )


# --- Contamination --------------------------------------------------------------------------


def contaminates(*, direction: str, occurred_at: datetime, test_state: str, deadline_at) -> bool:
    """Whether a contact contaminates a silence test of its application
    (``contaminating_q`` in SQL): outbound, the test observing, at or after its deadline."""
    return (
        direction == Direction.OUTBOUND
        and test_state == SilenceTestState.OBSERVING
        and occurred_at >= deadline_at
    )


def tests_contaminated_by(*, application_id, occurred_at) -> QuerySet:
    """The silence tests an outbound contact on ``application_id`` at ``occurred_at`` (values
    or ``OuterRef``s) contaminates."""
    return SilenceTest.objects.filter(
        application_id=application_id,
        state=SilenceTestState.OBSERVING,
        deadline_at__lte=occurred_at,
    )


def contaminating_q() -> Q:
    """``contaminates`` as a condition on contacts (against the stored silence tests)."""
    return Q(direction=Direction.OUTBOUND) & Exists(
        tests_contaminated_by(
            application_id=OuterRef("application_id"), occurred_at=OuterRef("occurred_at")
        )
    )


def would_contaminate(*, application_id: int, direction: str, occurred_at: datetime) -> bool:
    """``contaminates`` for a contact not stored yet, against the stored tests (one query for
    an outbound contact, none otherwise)."""
    return (
        direction == Direction.OUTBOUND
        and tests_contaminated_by(application_id=application_id, occurred_at=occurred_at).exists()
    )
