"""Each rule that exists both in Python and in SQL (``followups.rules``, the ``visible_to`` query
sets) gives the same answer both ways on generated data.

Hypothesis generates contacts, silence tests and users; each example is stored in a savepoint
that is rolled back afterwards, the SQL half selects its rows, and the Python half is applied to
each stored row. Times are drawn from the edges that matter (exactly at a deadline, a window's
close, the callback window's start) and around them, so an off-by-one bound shows.
"""

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db import transaction
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from accounts.roles import ADMINS, HIRING_MANAGERS, RECRUITERS, is_active_user, is_admin
from candidates.models import Application, Candidate
from followups import rules
from followups.models import Channel, Contact, ContactTag, Direction, MatchStatus, QualityTag
from hiring.models import Requisition, SilenceOutcome, SilenceTest, SilenceTestState, StageKind
from scoring.rules import ContactSignal, TestSignal, score_application
from scoring.scores import weights_as_rules, weights_current
from tests.factories import ApplicationFactory, RequisitionFactory, UserFactory, stage_of

pytestmark = pytest.mark.django_db

PROPERTY = hsettings(
    max_examples=50,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

BASE = dt.datetime(2025, 6, 2, 12, 0, tzinfo=dt.UTC)
DEADLINE = BASE
WINDOW_CLOSES = BASE + dt.timedelta(days=3)
ONE_US = dt.timedelta(microseconds=1)


def _edges(*points: dt.datetime) -> st.SearchStrategy[dt.datetime]:
    """Instants at, just before and just after each point, or anywhere in a few days around."""
    near = [p + d for p in points for d in (-ONE_US, dt.timedelta(0), ONE_US)]
    anywhere = st.integers(min_value=-4 * 24 * 60, max_value=8 * 24 * 60).map(
        lambda minutes: BASE + dt.timedelta(minutes=minutes)
    )
    return st.one_of(st.sampled_from(near), anywhere)


def _in_savepoint(body):
    """Run ``body`` in a savepoint rolled back afterwards: examples never see each other."""
    with transaction.atomic():
        body()
        transaction.set_rollback(True)


@pytest.fixture
def application():
    return ApplicationFactory(at_silence_test=True)


# --- Persistence ------------------------------------------------------------------------------

persistence_contacts = st.lists(
    st.fixed_dictionaries(
        {
            "direction": st.sampled_from(Direction.values),
            "channel": st.sampled_from(Channel.values),
            "is_prompted": st.booleans(),
            "is_automated": st.booleans(),
            "tags": st.sets(st.sampled_from(QualityTag.values), max_size=2),
            "occurred_at": _edges(DEADLINE, WINDOW_CLOSES),
        }
    ),
    max_size=8,
)


def _store_contacts(application, drawn) -> list[Contact]:
    contacts = Contact.objects.bulk_create(
        Contact(
            application=application,
            candidate_id=application.candidate_id,
            channel=c["channel"],
            direction=c["direction"],
            is_prompted=c["is_prompted"],
            is_automated=c["is_automated"],
            occurred_at=c["occurred_at"],
        )
        for c in drawn
    )
    ContactTag.objects.bulk_create(
        ContactTag(contact=contact, tag=tag)
        for contact, c in zip(contacts, drawn, strict=True)
        for tag in c["tags"]
    )
    return list(Contact.objects.filter(pk__in=[c.pk for c in contacts]).prefetch_related("tags"))


@PROPERTY
@given(drawn=persistence_contacts)
def test_persistence_python_and_sql_select_the_same_contacts(application, drawn):
    def body():
        contacts = _store_contacts(application, drawn)
        by_sql = set(
            Contact.objects.filter(application=application)
            .filter(rules.persistence_q())
            .values_list("pk", flat=True)
        )
        by_python = {c.pk for c in contacts if rules.contact_is_persistence(c)}
        assert by_sql == by_python

    _in_savepoint(body)


def _inbound(at, **fields):
    return {
        "direction": Direction.INBOUND,
        "channel": Channel.EMAIL,
        "is_prompted": False,
        "is_automated": False,
        "tags": set(),
        "occurred_at": at,
        **fields,
    }


@PROPERTY
@given(drawn=persistence_contacts, closed=st.booleans())
@example(  # both instants included (the deadline and the window's close); opt-outs never
    drawn=[
        _inbound(DEADLINE - ONE_US),
        _inbound(DEADLINE),
        _inbound(DEADLINE + ONE_US),
        _inbound(WINDOW_CLOSES),
        _inbound(WINDOW_CLOSES + ONE_US),
        _inbound(DEADLINE + ONE_US, tags={QualityTag.OPT_OUT}),
    ],
    closed=False,
)
@example(  # exactly at the deadline, alone, on a closed test: a follow-up in both halves
    drawn=[_inbound(DEADLINE)],
    closed=True,
)
def test_follow_up_python_and_sql_select_the_same_contacts(application, drawn, closed):
    def body():
        test = SilenceTest.objects.create(
            application=application,
            stage=application.stage,
            announced_at=DEADLINE - dt.timedelta(days=2),
            deadline_at=DEADLINE,
            window_closes_at=WINDOW_CLOSES,
            time_zone="UTC",
            state=SilenceTestState.CLOSED if closed else SilenceTestState.OBSERVING,
            outcome=SilenceOutcome.SILENT if closed else "",
        )
        contacts = _store_contacts(application, drawn)
        by_sql = set(
            SilenceTest.objects.filter(pk=test.pk)
            .annotate(ids=ArraySubquery(rules.window_follow_ups().values("pk")))
            .values_list("ids", flat=True)
            .get()
        )
        by_python = {
            c.pk
            for c in contacts
            if rules.is_follow_up(
                direction=c.direction,
                is_prompted=c.is_prompted,
                is_automated=c.is_automated,
                tags={t.tag for t in c.tags.all()},
                occurred_at=c.occurred_at,
                deadline_at=test.deadline_at,
                window_closes_at=test.window_closes_at,
            )
        }
        assert by_sql == by_python

    _in_savepoint(body)


# --- Outcome of a closed test ---------------------------------------------------------------

SCOPE_STARTS = DEADLINE - rules.TEST_LOOKBACK

outcome_contacts = st.lists(
    st.fixed_dictionaries(
        {
            "direction": st.sampled_from(Direction.values),
            "channel": st.sampled_from(Channel.values),
            "is_prompted": st.booleans(),
            "is_automated": st.booleans(),
            # Opt-out often: it decides the first branch.
            "tags": st.one_of(
                st.just({QualityTag.OPT_OUT}),
                st.sets(st.sampled_from(QualityTag.values), max_size=2),
            ),
            "occurred_at": st.one_of(
                _edges(SCOPE_STARTS, DEADLINE, WINDOW_CLOSES),
                st.integers(min_value=-9 * 24 * 60, max_value=-6 * 24 * 60).map(
                    lambda minutes: DEADLINE + dt.timedelta(minutes=minutes)
                ),
            ),
        }
    ),
    max_size=6,
)


@PROPERTY
@given(drawn=outcome_contacts, withdrawn_stage=st.booleans())
@example(  # a minute before the deadline: early; at the scope's start: early; before it: not
    drawn=[_inbound(DEADLINE - dt.timedelta(minutes=1))], withdrawn_stage=False
)
@example(drawn=[_inbound(SCOPE_STARTS)], withdrawn_stage=False)
@example(drawn=[_inbound(SCOPE_STARTS - ONE_US)], withdrawn_stage=False)
@example(  # a prompted opt-out in the window withdraws; one after the window does not
    drawn=[
        _inbound(WINDOW_CLOSES, tags={QualityTag.OPT_OUT}, is_prompted=True),
        _inbound(WINDOW_CLOSES + ONE_US, tags={QualityTag.OPT_OUT}),
    ],
    withdrawn_stage=False,
)
@example(drawn=[_inbound(DEADLINE)], withdrawn_stage=True)
def test_outcome_python_sql_and_score_decide_the_same(application, drawn, withdrawn_stage):
    """The sweeper's SQL (``silence_outcome_case``), its Python twin (``silence_outcome`` over
    ``is_withdrawal``, ``is_follow_up``, ``is_early_contact``) and the score's outcome agree
    on every closed test, and each SQL contact selection is its predicate's."""

    def body():
        if withdrawn_stage:
            Application.objects.filter(pk=application.pk).update(
                stage=stage_of(application.requisition, StageKind.WITHDRAWN)
            )
        test = SilenceTest.objects.create(
            application=application,
            stage=application.stage,
            announced_at=DEADLINE - dt.timedelta(days=2),
            deadline_at=DEADLINE,
            window_closes_at=WINDOW_CLOSES,
            time_zone="UTC",
            state=SilenceTestState.CLOSED,
            outcome=SilenceOutcome.SILENT,
        )
        contacts = _store_contacts(application, drawn)
        sql = (
            SilenceTest.objects.filter(pk=test.pk)
            .annotate(
                decided=rules.silence_outcome_case(),
                withdrawals=ArraySubquery(rules.window_withdrawals().values("pk")),
                early=ArraySubquery(rules.window_early_contacts().values("pk")),
            )
            .values("decided", "withdrawals", "early")
            .get()
        )
        facts = [(c, {t.tag for t in c.tags.all()}) for c in contacts]  # (contact, its tags)
        withdrawals = {
            c.pk
            for c, tags in facts
            if rules.is_withdrawal(
                direction=c.direction,
                is_automated=c.is_automated,
                tags=tags,
                occurred_at=c.occurred_at,
                deadline_at=DEADLINE,
                window_closes_at=WINDOW_CLOSES,
            )
        }
        early = {
            c.pk
            for c, tags in facts
            if rules.is_early_contact(
                direction=c.direction,
                is_prompted=c.is_prompted,
                is_automated=c.is_automated,
                tags=tags,
                occurred_at=c.occurred_at,
                deadline_at=DEADLINE,
            )
        }
        followed_up = any(
            rules.is_follow_up(
                direction=c.direction,
                is_prompted=c.is_prompted,
                is_automated=c.is_automated,
                tags=tags,
                occurred_at=c.occurred_at,
                deadline_at=DEADLINE,
                window_closes_at=WINDOW_CLOSES,
            )
            for c, tags in facts
        )
        assert set(sql["withdrawals"]) == withdrawals
        assert set(sql["early"]) == early
        by_python = rules.silence_outcome(
            in_withdrawn_stage=withdrawn_stage,
            withdrew=bool(withdrawals),
            followed_up=followed_up,
            contacted_early=bool(early),
        )
        assert sql["decided"] == by_python
        # The score (scoring.rules) reaches the same outcome once the window has closed.
        result = score_application(
            test=TestSignal(
                deadline_at=DEADLINE,
                window_closes_at=WINDOW_CLOSES,
                state=SilenceTestState.CLOSED,
                contaminated=False,
            ),
            contacts=[
                ContactSignal(
                    occurred_at=c.occurred_at,
                    channel=c.channel,
                    direction=c.direction,
                    is_prompted=c.is_prompted,
                    is_automated=c.is_automated,
                    tags=frozenset(tags),
                )
                for c, tags in facts
            ],
            promises=[],
            weights=weights_as_rules(weights_current()),
            now=WINDOW_CLOSES + dt.timedelta(days=30),
            in_withdrawn_stage=withdrawn_stage,
        )
        assert result.outcome == by_python

    _in_savepoint(body)


# --- Callback ---------------------------------------------------------------------------------


def _callback_window() -> dt.timedelta:
    return dt.timedelta(hours=settings.CALLBACK_WINDOW_HOURS)


callback_contacts = st.lists(
    st.fixed_dictionaries(
        {
            "who": st.sampled_from([0, 0, 1, None]),  # candidate A, candidate B, unmatched
            "direction": st.sampled_from(Direction.values),
            # Mostly the callback channels, so that pairs of contacts meet often.
            "channel": st.one_of(
                st.sampled_from(rules.CALLBACK_CHANNELS), st.sampled_from(Channel.values)
            ),
            # At BASE or the callback window's start before it (exactly, or a minute off), or
            # anywhere in the days around.
            "minutes": st.one_of(
                st.just(0),
                st.sampled_from([1, -1]),
                st.integers(min_value=-3 * 24 * 60, max_value=3 * 24 * 60),
            ),
            "at_window_start": st.booleans(),
        }
    ),
    max_size=8,
)


def _call(who, direction, minutes=0, *, at_window_start=False, channel=Channel.PHONE):
    return {
        "who": who,
        "direction": direction,
        "channel": channel,
        "minutes": minutes,
        "at_window_start": at_window_start,
    }


@PROPERTY
@given(drawn=callback_contacts)
@example(  # outreach exactly at the window's start is answered; a minute earlier is not
    drawn=[
        _call(0, Direction.INBOUND),
        _call(0, Direction.OUTBOUND, at_window_start=True),
        _call(1, Direction.INBOUND),
        _call(1, Direction.OUTBOUND, -1, at_window_start=True),
    ]
)
def test_callback_python_and_sql_select_the_same_contacts(drawn):
    a, b = ApplicationFactory.create_batch(2)
    candidates = [a.candidate_id, b.candidate_id]

    def body():
        contacts = Contact.objects.bulk_create(
            Contact(
                candidate_id=None if c["who"] is None else candidates[c["who"]],
                match_status=MatchStatus.UNMATCHED if c["who"] is None else MatchStatus.MATCHED,
                channel=c["channel"],
                direction=c["direction"],
                occurred_at=BASE
                + dt.timedelta(minutes=c["minutes"])
                - (_callback_window() if c["at_window_start"] else dt.timedelta(0)),
            )
            for c in drawn
        )
        by_sql = set(
            Contact.objects.filter(pk__in=[c.pk for c in contacts])
            .filter(rules.callback_q())
            .values_list("pk", flat=True)
        )
        by_python = {c.pk for c in contacts if rules.is_callback(c, contacts)}
        assert by_sql == by_python
        # The one-contact form (used before a contact is stored) agrees too.
        assert {c.pk for c in contacts if rules.answers_stored_outreach(c)} == by_python

    _in_savepoint(body)


# --- Contamination ----------------------------------------------------------------------------

contamination_cases = st.fixed_dictionaries(
    {
        "tests": st.lists(
            st.one_of(
                st.none(),
                st.tuples(
                    # Observing first: hypothesis starts from the first choices.
                    st.sampled_from(
                        [SilenceTestState.OBSERVING]
                        + [s for s in SilenceTestState.values if s != SilenceTestState.OBSERVING]
                    ),
                    st.sampled_from([DEADLINE, DEADLINE + dt.timedelta(hours=1)]),
                ),
            ),
            min_size=2,
            max_size=2,
        ),
        "contacts": st.lists(
            st.tuples(
                st.sampled_from([0, 1, None]),  # application A, B, none
                st.sampled_from([Direction.OUTBOUND, Direction.INBOUND]),
                st.one_of(st.just(DEADLINE), _edges(DEADLINE, DEADLINE + dt.timedelta(hours=1))),
            ),
            max_size=8,
        ),
    }
)


@PROPERTY
@given(case=contamination_cases)
@example(  # an outbound contact exactly at the observing test's deadline contaminates it
    case={
        "tests": [(SilenceTestState.OBSERVING, DEADLINE), None],
        "contacts": [(0, Direction.OUTBOUND, DEADLINE), (0, Direction.OUTBOUND, DEADLINE - ONE_US)],
    }
)
def test_contamination_python_and_sql_select_the_same_contacts(case):
    applications = ApplicationFactory.create_batch(2, at_silence_test=True)

    def body():
        tests = {}
        for application, drawn in zip(applications, case["tests"], strict=True):
            if drawn is None:
                continue
            state, deadline = drawn
            tests[application.pk] = SilenceTest.objects.create(
                application=application,
                stage=application.stage,
                announced_at=deadline - dt.timedelta(days=2),
                deadline_at=deadline,
                window_closes_at=deadline + dt.timedelta(days=3),
                time_zone="UTC",
                state=state,
                outcome=SilenceOutcome.SILENT if state == SilenceTestState.CLOSED else "",
            )
        contacts = Contact.objects.bulk_create(
            Contact(
                application=None if which is None else applications[which],
                candidate_id=applications[which or 0].candidate_id,
                channel=Channel.EMAIL,
                direction=direction,
                occurred_at=at,
            )
            for which, direction, at in case["contacts"]
        )
        by_sql = set(
            Contact.objects.filter(pk__in=[c.pk for c in contacts])
            .filter(rules.contaminating_q())
            .values_list("pk", flat=True)
        )
        by_python = {
            c.pk
            for c in contacts
            if c.application_id in tests
            and rules.contaminates(
                direction=c.direction,
                occurred_at=c.occurred_at,
                test_state=tests[c.application_id].state,
                deadline_at=tests[c.application_id].deadline_at,
            )
        }
        assert by_sql == by_python
        # The form used before a contact is stored (the manual log's "don't chase") agrees.
        assert {
            c.pk
            for c in contacts
            if c.application_id
            and rules.would_contaminate(
                application_id=c.application_id, direction=c.direction, occurred_at=c.occurred_at
            )
        } == by_python

    _in_savepoint(body)


# --- Visibility -------------------------------------------------------------------------------
# The visibility rule has no Python half in the product (no code checks it on an object already
# in memory: every door fetches through ``visible_to``), so the Python side here is the rule as
# hiring.policy states it, applied to each generated row.

ROLE_SETS = st.sets(st.sampled_from([ADMINS, HIRING_MANAGERS, RECRUITERS]), max_size=2)


@PROPERTY
@given(
    users=st.lists(st.tuples(ROLE_SETS, st.booleans()), min_size=1, max_size=4),
    requisitions=st.lists(
        st.tuples(st.integers(0, 3), st.sets(st.integers(0, 3), max_size=2)),
        min_size=1,
        max_size=3,
    ),
    applications=st.lists(st.integers(0, 2), max_size=4),
)
def test_visibility_query_sets_select_what_the_rule_states(users, requisitions, applications):
    def body():
        people = [UserFactory(roles=sorted(roles), is_active=active) for roles, active in users]
        reqs = [
            RequisitionFactory(
                hiring_manager=people[manager % len(people)],
                recruiters=[people[r % len(people)] for r in recruiters],
            )
            for manager, recruiters in requisitions
        ]
        apps = [ApplicationFactory(requisition=reqs[i % len(reqs)]) for i in applications]
        for user in people:
            user.refresh_from_db()

            def sees(requisition, user=user):
                return is_active_user(user) and (
                    is_admin(user)
                    or requisition.hiring_manager_id == user.pk
                    or requisition.recruiters.filter(pk=user.pk).exists()
                )

            mine = {r.pk for r in reqs}
            assert set(
                Requisition.objects.visible_to(user)
                .filter(pk__in=mine)
                .values_list("pk", flat=True)
            ) == {r.pk for r in reqs if sees(r)}
            assert set(
                Application.objects.visible_to(user)
                .filter(pk__in=[a.pk for a in apps])
                .values_list("pk", flat=True)
            ) == {a.pk for a in apps if sees(a.requisition)}
            candidates = {a.candidate_id for a in apps}
            assert set(
                Candidate.objects.visible_to(user)
                .filter(pk__in=candidates)
                .values_list("pk", flat=True)
            ) == (
                candidates
                if is_active_user(user) and is_admin(user)
                else {a.candidate_id for a in apps if sees(a.requisition)}
            )

    _in_savepoint(body)
