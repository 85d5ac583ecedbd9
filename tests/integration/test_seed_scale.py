"""``seed_scale`` at small sizes: real PostgreSQL (COPY, sequences, constraints), idempotence
guard, and a constant number of queries per batch for the bulk rescore over its data."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from candidates.models import (
    Application,
    Candidate,
    CandidateEmail,
    CandidatePhone,
    StageTransition,
)
from candidates.normalize import E164_REGEX
from devdata.scale import SCALE_PREFIX, seed_scale
from followups.models import Contact, Direction, MatchStatus
from hiring.models import (
    Requisition,
    SilenceOutcome,
    SilenceTest,
    SilenceTestState,
    StageKind,
)
from scoring.scores import scores_recompute_all

SIZES = ("--requisitions", "3", "--applications", "60", "--contacts", "600", "--seed", "7")
AT_OR_AFTER_SILENCE = (StageKind.SILENCE_TEST, StageKind.FINAL, StageKind.OFFER, StageKind.HIRED)


def _seed(*extra: str) -> str:
    out = io.StringIO()
    call_command("seed_scale", *SIZES, *extra, stdout=out)
    return out.getvalue()


def _follow_ups(test: SilenceTest):
    """Unprompted, human, inbound contacts inside the test's window (as the score counts them)."""
    return Contact.objects.filter(
        application_id=test.application_id,
        direction=Direction.INBOUND,
        is_prompted=False,
        is_automated=False,
        occurred_at__gt=test.deadline_at,
        occurred_at__lte=min(test.window_closes_at, timezone.now()),
    )


def test_seed_scale_creates_the_requested_sizes_through_the_constraints():
    output = _seed()
    # Every deferred foreign key checked now, inside the test's transaction.
    connection.check_constraints()

    requisitions = Requisition.objects.filter(title__startswith=SCALE_PREFIX)
    assert requisitions.count() == 3
    assert requisitions.values("time_zone").distinct().count() == 3
    applications = Application.objects.filter(requisition__in=requisitions)
    assert applications.count() == 60
    assert Contact.objects.count() == 600
    assert Contact.objects.filter(match_status=MatchStatus.UNMATCHED).count() == 600 // 300
    # One candidate per application at most; everyone has 1-2 addresses and one E.164 number.
    candidates = Candidate.objects.annotate(
        n_emails=Count("emails", distinct=True), n_phones=Count("phones", distinct=True)
    )
    assert 0 < candidates.count() <= 60
    assert set(candidates.values_list("n_emails", flat=True)) <= {1, 2}
    assert set(candidates.values_list("n_phones", flat=True)) == {1}
    assert not CandidateEmail.objects.exclude(address__regex=r"^[a-z0-9.]+@[a-z0-9.-]+$").exists()
    assert not CandidatePhone.objects.exclude(number__regex=E164_REGEX).exists()
    # Every application has its creation transition, first in its history.
    assert StageTransition.objects.filter(from_stage__isnull=True).count() == 60
    # Silence tests exactly for the applications that reached the silence-test stage.
    tested = set(SilenceTest.objects.values_list("application_id", flat=True))
    reached = set(
        applications.filter(
            Q(stage__kind__in=AT_OR_AFTER_SILENCE)
            | Q(transitions__to_stage__kind=StageKind.SILENCE_TEST)
        ).values_list("id", flat=True)
    )
    assert tested == reached
    for test in SilenceTest.objects.all():
        assert test.deadline_at >= test.announced_at
        if test.state == SilenceTestState.CLOSED:
            assert test.digest_id is not None
            assert _follow_ups(test).exists() == (test.outcome == SilenceOutcome.REACHED_OUT)
        elif test.state == SilenceTestState.WAITING:
            assert test.deadline_at > timezone.now()
    # The phases are timed.
    assert "contacts" in output
    assert "FK checks" in output
    assert "Done in" in output


def test_seed_scale_refuses_a_second_run_without_force_and_replaces_with_it():
    _seed()
    first_ids = set(Application.objects.values_list("id", flat=True))
    with pytest.raises(CommandError, match="--force"):
        _seed()
    assert Application.objects.count() == 60

    _seed("--force")
    connection.check_constraints()
    assert Requisition.objects.filter(title__startswith=SCALE_PREFIX).count() == 3
    assert Application.objects.count() == 60
    assert Contact.objects.count() == 600
    assert not first_ids & set(Application.objects.values_list("id", flat=True))


def _recompute_all_queries(applications: int, now) -> int:
    """Queries of ``scores_recompute_all`` (batches of 20) over a fresh scale dataset."""
    with transaction.atomic():
        seed_scale(
            now=now,
            requisitions=3,
            applications=applications,
            contacts=applications * 10,
            seed=applications,
        )
        with CaptureQueriesContext(connection) as context:
            written = scores_recompute_all(now=now, batch_size=20)
        transaction.set_rollback(True)
    assert written == applications  # every batch computed and wrote its scores
    return sum(
        1
        for query in context.captured_queries
        if not query["sql"].startswith(("SAVEPOINT", "RELEASE"))
    )


def test_bulk_recompute_over_scale_data_uses_a_bounded_number_of_queries_per_batch():
    now = timezone.now()
    one, two, three = (_recompute_all_queries(n, now) for n in (20, 40, 60))
    # A batch costs three reads, plus an UPDATE re-deciding closed tests' outcomes only when one
    # may have changed and the retire/insert of changed scores (scoring/scores.py): what it
    # holds decides which, never how many applications there are.
    batches = (two - one, three - two)
    assert all(3 <= cost <= 8 for cost in batches), batches
    assert one <= 3 + max(batches)  # per call: the ids and the weights


def test_seed_scale_has_silence_tests_in_every_state_whatever_the_weekday():
    for now in (timezone.now(), timezone.now() - timedelta(days=1, hours=7)):
        with transaction.atomic():
            seed_scale(now=now, requisitions=4, applications=400, contacts=2000, seed=11)
            states = set(SilenceTest.objects.values_list("state", "outcome").distinct())
            transaction.set_rollback(True)
        assert {
            (SilenceTestState.WAITING, ""),
            (SilenceTestState.OBSERVING, ""),
            (SilenceTestState.CLOSED, SilenceOutcome.REACHED_OUT),
            (SilenceTestState.CLOSED, SilenceOutcome.SILENT),
        } <= states, now
