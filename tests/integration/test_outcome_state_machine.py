"""A stateful property test over the real actions (issue #23): whatever sequence of contacts,
tags, queue attachments, stage moves, announcements, weights changes, clock advances and sweeps
happens, after every step each application's stored score equals a fresh recomputation from the
database, every closed test's outcome is the sweeper's rule applied to the database now, and no
application shows a test state its stage contradicts.

Every step calls what production calls — ``contact_log`` (calls, texts, email logged by hand),
``email_ingest`` (a raw message, matched or queued), ``contact_attach`` (the unmatched queue),
``contact_details_set`` (tags), ``application_move``, ``silence_test_announce``,
``weights_version_create``, ``silence_tests_sweep`` — never a raw ORM write, and runs the
callbacks its transaction registers on commit (the stale-score drain) as a commit would. The
weights change's background rescore is run as the cluster would run it.

Bounded (``MAX_EXAMPLES`` runs of ``STEPS`` steps) so that it runs in the suite; the ``ci``
hypothesis profile (tests/conftest.py) derandomises it, so CI always runs the same sequences.
"""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.test import TestCase
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    multiple,
    rule,
)

from candidates.models import Application
from candidates.services import application_move
from followups.models import Channel, Contact, Direction, MatchStatus, PersistenceScore
from followups.quality import contact_details_set
from followups.rules import silence_outcome_case
from followups.services import contact_log, email_ingest
from followups.triage import contact_attach
from hiring.models import (
    OPEN_SILENCE_STATES,
    SilenceAction,
    SilenceTest,
    SilenceTestState,
    StageKind,
)
from scoring.scores import (
    score_inputs,
    scores_recompute,
    weights_as_rules,
    weights_current,
    weights_version_create,
)
from scoring.tasks import rescore_all
from silence.services import silence_test_announce, silence_tests_sweep
from tests.emails import make_email
from tests.factories import ApplicationFactory, RequisitionFactory, UserFactory, stage_of

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 12
STEPS = 15
#: Monday 2 March 2026, 9:00 in New York (the requisition's zone).
START = dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC)
MOVES = (
    StageKind.SILENCE_TEST,
    StageKind.INTERVIEW,
    StageKind.WITHDRAWN,
    StageKind.REJECTED,
)
TAG_SETS = ((), ("opt_out",), ("pushy",), ("adds_value",), ("opt_out", "adds_value"))


def _committed(action, *args, **kwargs):
    """Run ``action`` as a request would: its own transaction, then what it registered to run
    on commit (the stale-score drain). A refused action (the rules said no) changes nothing."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        try:
            return action(*args, **kwargs)
        except (ValidationError, PermissionDenied):
            return None


class OutcomeMachine(RuleBasedStateMachine):
    contacts = Bundle("contacts")
    queued = Bundle("queued")

    def __init__(self):
        super().__init__()
        self._clock = time_machine.travel(START, tick=False)
        self._coordinates = self._clock.start()
        # Each run in a savepoint rolled back at teardown: runs never see each other.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.requisition = RequisitionFactory()
        self.manager = self.requisition.hiring_manager
        self.admin = UserFactory(admin=True)
        silence_stage = stage_of(self.requisition, StageKind.SILENCE_TEST)
        # The sweeper rejects silent candidates here: withdrawals and early contact must not be.
        silence_stage.silence_action = SilenceAction.AUTO_REJECT
        silence_stage.save()
        self.applications = [
            ApplicationFactory(requisition=self.requisition, at_silence_test=True) for _ in range(2)
        ]
        self.stages = {kind: stage_of(self.requisition, kind) for kind in MOVES}
        # Every application starts with a stored score, so a missing refresh shows as a
        # stored score that differs from its recomputation.
        scores_recompute(application_ids=self._ids(), now=timezone.now())

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)
        self._clock.stop()

    def _ids(self) -> list[int]:
        return [a.pk for a in self.applications]

    def _now(self) -> dt.datetime:  # frozen by time-machine; moved by advance_and_sweep
        return timezone.now()

    # --- Contacts -----------------------------------------------------------------------------

    @rule(
        target=contacts,
        which=st.integers(0, 1),
        channel=st.sampled_from([Channel.PHONE, Channel.SMS, Channel.EMAIL]),
        direction=st.sampled_from([Direction.INBOUND, Direction.INBOUND, Direction.OUTBOUND]),
        minutes_ago=st.sampled_from([0, 1, 60, 24 * 60, 3 * 24 * 60]),
    )
    def log_contact(self, which, channel, direction, minutes_ago):
        contact = _committed(
            contact_log,
            application=self.applications[which],
            channel=channel,
            direction=direction,
            occurred_at=self._now() - dt.timedelta(minutes=minutes_ago),
            summary="Following up",
            logged_by=self.manager,
            now=self._now(),
            confirm_contamination=True,
        )
        return multiple(contact) if contact is not None else multiple()

    @rule(target=contacts, which=st.integers(0, 1), minutes_ago=st.sampled_from([0, 90]))
    def receive_email(self, which, minutes_ago):
        application = self.applications[which]
        outcome = _committed(
            email_ingest,
            raw=make_email(
                from_=application.candidate.emails.get().address,
                date=self._now() - dt.timedelta(minutes=minutes_ago),
            ),
            source="pipe",
            now=self._now(),
        )
        contact = Contact.objects.filter(pk=outcome.contact_id).first()
        return multiple(contact) if contact is not None else multiple()

    @rule(target=queued)
    def receive_unknown_email(self):
        outcome = _committed(
            email_ingest,
            raw=make_email(from_="someone.new@elsewhere.example", date=self._now()),
            source="pipe",
            now=self._now(),
        )
        contact = Contact.objects.get(pk=outcome.contact_id)
        assert contact.match_status == MatchStatus.UNMATCHED
        return contact

    @rule(target=contacts, contact=consumes(queued), which=st.integers(0, 1))
    def attach_from_queue(self, contact, which):
        attached = _committed(
            contact_attach,
            contact_id=contact.pk,
            application=self.applications[which],
            add_identifier=False,
            actor=self.manager,
            now=self._now(),
        )
        return multiple(attached) if attached is not None else multiple()

    @rule(contact=contacts, tags=st.sampled_from(TAG_SETS))
    def tag(self, contact, tags):
        contact.refresh_from_db()
        _committed(
            contact_details_set, contact=contact, duration_seconds=None, tags=tags, actor=None
        )

    # --- Stages and tests ---------------------------------------------------------------------

    @rule(which=st.integers(0, 1), kind=st.sampled_from(MOVES))
    def move(self, which, kind):
        application = Application.objects.get(pk=self.applications[which].pk)
        _committed(
            application_move,
            application=application,
            to_stage=self.stages[kind],
            actor=self.manager,
            reason="Decided in the state machine",
        )

    @rule(which=st.integers(0, 1))
    def announce(self, which):
        _committed(
            silence_test_announce,
            application=self.applications[which],
            announced_by=self.manager,
            recorded_by=self.manager,
            announced_at=self._now(),
            now=self._now(),
        )

    @rule(base=st.sampled_from([30, 50, 70]), call=st.sampled_from([0, 10, 20]))
    def change_weights(self, base, call):
        _committed(
            weights_version_create,
            values={"base_reached_out": base, "channel_call_points": call},
            note="state machine",
            actor=self.admin,
        )
        rescore_all()  # the background task the change queued, as the cluster runs it

    @rule(hours=st.sampled_from([1, 8, 24, 72, 24 * 7]))
    def advance_and_sweep(self, hours):
        self._coordinates.shift(dt.timedelta(hours=hours))
        _committed(silence_tests_sweep, now=self._now())

    # --- Invariants ---------------------------------------------------------------------------

    @invariant()
    def stored_equals_recomputed_and_tests_agree_with_stages(self):
        # Scores: the stored current row of each application is what scoring it from the
        # database now gives (the reference loader, not the bulk one the drain uses).
        now = self._now()
        rules = weights_as_rules(weights_current())
        current = PersistenceScore.objects.filter(application_id__in=self._ids(), is_current=True)
        stored = {s.application_id: s for s in current}
        for application_id, data in score_inputs(self._ids()).items():
            fresh = data.score(rules=rules, now=now)
            score = stored[application_id]
            assert (score.score, score.outcome, score.comparable, score.lines) == (
                fresh.score,
                fresh.outcome,
                fresh.comparable,
                [{"rule": ln.rule, "text": ln.text, "points": ln.points} for ln in fresh.lines],
            ), f"application {application_id}: the stored score is stale"
            assert score.silence_test_id == data.test_id

        # Tests: none open outside its own silence-test stage; each closed one's outcome is the
        # sweeper's rule applied to the database now.
        stages = dict(
            Application.objects.filter(pk__in=self._ids()).values_list("pk", "stage__kind")
        )
        tests = SilenceTest.objects.filter(application_id__in=self._ids()).annotate(
            decided=silence_outcome_case(), application_stage=F("application__stage_id")
        )
        for test in tests:
            if test.state in OPEN_SILENCE_STATES:
                assert stages[test.application_id] == StageKind.SILENCE_TEST, (
                    "open test, wrong stage"
                )
                assert test.stage_id == test.application_stage, "open test of a stage left"
            if test.state == SilenceTestState.CLOSED:
                assert test.outcome == test.decided, "the closed test's outcome is stale"


OutcomeMachine.TestCase.settings = settings(
    max_examples=MAX_EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_stored_scores_and_outcomes_always_equal_their_recomputation():
    OutcomeMachine.TestCase().runTest()
