"""Outcomes that tell the truth (issue #23): a withdrawal is not silence, contact before the
deadline only is not silence, and the stored score always equals its recomputation — in the
sweeper's decision, the score, the digest, the silence board, the ranking and its CSV, and the
insights' rates. Every contact goes through the real actions (``contact_log``,
``contact_details_set``), every move through ``application_move``."""

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from candidates.models import StageTransition
from candidates.services import application_move
from dashboards.insights import _outcomes_by_week
from followups.models import Channel, ContactTag, Direction, PersistenceScore
from followups.quality import contact_details_set
from followups.services import contact_log
from hiring.models import SilenceAction, SilenceOutcome, SilenceTest, SilenceTestState, StageKind
from scoring.ranking import GROUP_CLOSED_APPLICATION, requisition_ranking
from scoring.scores import score_for, scores_recompute
from silence.selectors import silence_board, silence_digest_content
from silence.services import silence_tests_sweep
from tests.factories import RequisitionFactory, SilenceTestFactory, stage_of

pytestmark = pytest.mark.django_db


def _auto_rejecting(requisition):
    stage = stage_of(requisition, StageKind.SILENCE_TEST)
    stage.silence_action = SilenceAction.AUTO_REJECT
    stage.save()
    return requisition


def _log(test, at, *, channel=Channel.EMAIL, summary="Hello", tags=()):
    contact = contact_log(
        application=test.application,
        channel=channel,
        direction=Direction.INBOUND,
        occurred_at=at,
        summary=summary,
        logged_by=None,
        now=timezone.now(),
    )
    if tags:
        contact_details_set(contact=contact, duration_seconds=None, tags=list(tags), actor=None)
    return contact


def _sweep(capture):
    with capture(execute=True):
        return silence_tests_sweep(now=timezone.now())


def _stored_equals_recomputed(application):
    stored = PersistenceScore.objects.get(application=application, is_current=True)
    fresh = score_for(application.pk, now=timezone.now())
    assert (stored.score, stored.outcome, stored.lines) == (
        fresh.score,
        fresh.outcome,
        [{"rule": ln.rule, "text": ln.text, "points": ln.points} for ln in fresh.lines],
    )
    return stored


def _row(requisition, application):
    return next(
        r
        for r in requisition_ranking(requisition, viewer=requisition.hiring_manager)
        if r.application.pk == application.pk
    )


def _csv_rows(client, requisition):
    client.force_login(requisition.hiring_manager)
    response = client.get(reverse("followups:ranking_csv", args=[requisition.pk]))
    return {r["candidate"]: r for r in csv.DictReader(io.StringIO(response.content.decode()))}


def _digest_text(test) -> str:
    test.refresh_from_db()
    return silence_digest_content(digest=test.digest).text


# --- 1. A withdrawal is its own outcome -----------------------------------------------------------


def test_an_opt_out_after_the_deadline_is_withdrew_everywhere_and_never_auto_rejected(
    client, django_capture_on_commit_callbacks
):
    req = _auto_rejecting(RequisitionFactory())
    test = SilenceTestFactory(closing=True, application__requisition=req)
    name = test.application.candidate.full_name
    with django_capture_on_commit_callbacks(execute=True):
        _log(
            test,
            test.deadline_at + dt.timedelta(days=3),
            summary="Thank you — I have accepted another offer and withdraw.",
            tags=["opt_out"],
        )
    result = _sweep(django_capture_on_commit_callbacks)

    test.refresh_from_db()
    assert (test.state, test.outcome) == (SilenceTestState.CLOSED, SilenceOutcome.WITHDREW)
    # Never moved to Rejected with "did not reach out".
    assert result.auto_rejected == 0
    test.application.refresh_from_db()
    assert test.application.stage.kind == StageKind.SILENCE_TEST
    assert not StageTransition.objects.filter(reason__contains="did not reach out").exists()

    stored = _stored_equals_recomputed(test.application)
    assert (stored.score, stored.outcome) == (0, "withdrew")

    text = _digest_text(test)
    assert "Stayed silent (0)" in text
    assert f"Withdrew (1) — they have left the process:\n  - {name}" in text

    [closed] = silence_board(requisition=req).closed
    assert closed.outcome == SilenceOutcome.WITHDREW

    row = _row(req, test.application)
    assert (row.application.outcome_shown, row.application.outcome_label) == (
        "withdrew",
        "Withdrew",
    )
    assert row.group == GROUP_CLOSED_APPLICATION
    assert _csv_rows(client, req)[name]["outcome"] == "withdrew"
    # Not in the reached-out-vs-no-follow-up rate.
    assert _outcomes_by_week(req) == [] or all(r + s == 0 for _w, r, s in _outcomes_by_week(req))


def test_tagging_an_opt_out_after_the_window_closed_re_decides_the_test_and_the_score(
    django_capture_on_commit_callbacks,
):
    # The Monday email came in the window (a follow-up: reached out); the manager reads it and
    # tags it opt-out only after the window closed.
    test = SilenceTestFactory(closing=True)
    with django_capture_on_commit_callbacks(execute=True):
        contact = _log(test, test.deadline_at + dt.timedelta(days=3), summary="I withdraw.")
    _sweep(django_capture_on_commit_callbacks)
    test.refresh_from_db()
    assert test.outcome == SilenceOutcome.REACHED_OUT
    with django_capture_on_commit_callbacks(execute=True):
        contact_details_set(contact=contact, duration_seconds=None, tags=["opt_out"], actor=None)
    test.refresh_from_db()
    assert test.outcome == SilenceOutcome.WITHDREW
    assert _stored_equals_recomputed(test.application).outcome == "withdrew"
    # And untagged: back to reached out, in the test and in the score.
    with django_capture_on_commit_callbacks(execute=True):
        contact_details_set(contact=contact, duration_seconds=None, tags=[], actor=None)
    test.refresh_from_db()
    assert test.outcome == SilenceOutcome.REACHED_OUT
    assert _stored_equals_recomputed(test.application).outcome == "reached_out"


# --- 2. Contact before the deadline only ---------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "channel", "before", "shown"),
    [
        # Called at 16:59 on the deadline day.
        (None, Channel.PHONE, dt.timedelta(minutes=1), "phone call"),
        # Emailed from Sydney on Saturday morning: Friday afternoon in the requisition's zone.
        ("los_angeles", Channel.EMAIL, dt.timedelta(hours=1), "email"),
    ],
)
def test_contact_before_the_deadline_only_is_shown_with_the_contact_not_as_silence(
    client, django_capture_on_commit_callbacks, zone, channel, before, shown
):
    req = _auto_rejecting(RequisitionFactory(**({zone: True} if zone else {})))
    test = SilenceTestFactory(closing=True, application__requisition=req)
    name = test.application.candidate.full_name
    at = test.deadline_at - before
    with django_capture_on_commit_callbacks(execute=True):
        _log(test, at, channel=channel, summary="Any news?")
    result = _sweep(django_capture_on_commit_callbacks)

    test.refresh_from_db()
    assert test.outcome == SilenceOutcome.EARLY_ONLY
    # They did contact the team: not rejected as "did not reach out".
    assert result.auto_rejected == 0
    test.application.refresh_from_db()
    assert test.application.stage.kind == StageKind.SILENCE_TEST

    stored = _stored_equals_recomputed(test.application)
    assert (stored.score, stored.outcome) == (0, "early_only")
    assert f"(last: {shown}" in " ".join(line["text"] for line in stored.lines)

    local = at.astimezone(ZoneInfo(req.time_zone))
    text = _digest_text(test)
    assert "Stayed silent (0)" in text
    assert f"  - {name}: {shown}, {local:%a %d %b %H:%M %Z}" in text
    assert "Contacted before the deadline only (1)" in text

    [closed] = silence_board(requisition=req).closed
    assert closed.early_contact == f"{shown}, {local:%a %d %b %H:%M %Z}"
    row = _row(req, test.application)
    assert row.application.outcome_label == "Contacted before the deadline only"
    assert _csv_rows(client, req)[name]["outcome"] == "early_only"


def test_insights_rates_count_early_contact_as_no_follow_up_and_leave_withdrawals_out(
    django_capture_on_commit_callbacks,
):
    req = RequisitionFactory()
    reached, early, withdrew, silent = (
        SilenceTestFactory(closing=True, application__requisition=req) for _ in range(4)
    )
    with django_capture_on_commit_callbacks(execute=True):
        _log(reached, reached.deadline_at + dt.timedelta(hours=2))
        _log(early, early.deadline_at - dt.timedelta(minutes=1))
        _log(withdrew, withdrew.deadline_at + dt.timedelta(hours=2), tags=["opt_out"])
    _sweep(django_capture_on_commit_callbacks)
    outcomes = dict(
        SilenceTest.objects.filter(application__requisition=req).values_list("pk", "outcome")
    )
    assert [outcomes[t.pk] for t in (reached, early, withdrew, silent)] == [
        "reached_out",
        "early_only",
        "withdrew",
        "silent",
    ]
    [(_week, reached_count, no_follow_up)] = _outcomes_by_week(req)
    assert (reached_count, no_follow_up) == (1, 2)


# --- 4. Moving to Withdrawn: the stored score is the recomputation -------------------------------


def test_moving_to_withdrawn_shows_withdrew_and_zero_in_the_ranking_and_csv_not_a_running_test(
    client, django_capture_on_commit_callbacks
):
    req = RequisitionFactory()
    test = SilenceTestFactory(observing=True, application__requisition=req)
    name = test.application.candidate.full_name
    with django_capture_on_commit_callbacks(execute=True):
        _log(test, test.deadline_at + dt.timedelta(hours=2), channel=Channel.PHONE)
    before = PersistenceScore.objects.get(application=test.application, is_current=True)
    assert before.score > 0
    assert before.outcome == "pending"
    assert "Test still running" in before.lines[0]["text"]

    with django_capture_on_commit_callbacks(execute=True):
        application_move(
            application=test.application,
            to_stage=stage_of(req, StageKind.WITHDRAWN),
            reason="Accepted another offer",
        )
    test.refresh_from_db()
    assert test.state == SilenceTestState.CANCELLED
    stored = _stored_equals_recomputed(test.application)
    assert (stored.score, stored.outcome) == (0, "withdrew")
    row = _csv_rows(client, req)[name]
    assert (row["outcome"], row["score"]) == ("withdrew", "0")
    assert "Test still running" not in row["breakdown"]
    assert _row(req, test.application).application.outcome_shown == "withdrew"


def test_moving_a_finished_candidate_to_withdrawn_re_decides_the_closed_test(
    django_capture_on_commit_callbacks,
):
    test = SilenceTestFactory(closing=True)
    _sweep(django_capture_on_commit_callbacks)
    test.refresh_from_db()
    assert test.outcome == SilenceOutcome.SILENT
    with django_capture_on_commit_callbacks(execute=True):
        application_move(
            application=test.application,
            to_stage=stage_of(test.application.requisition, StageKind.WITHDRAWN),
            reason="Withdrew by phone",
        )
    test.refresh_from_db()
    assert test.outcome == SilenceOutcome.WITHDREW
    assert _stored_equals_recomputed(test.application).outcome == "withdrew"


def test_a_bulk_recompute_re_decides_an_earlier_closed_test_and_only_when_needed(
    django_capture_on_commit_callbacks, django_assert_num_queries
):
    # The first test closed silent; the candidate is being tested again (a second test is
    # waiting). An opt-out tagged on a contact in the first test's window is only seen by the
    # sweeper's rule (the score looks at the latest test): the recompute still re-decides it.
    first = SilenceTestFactory(closing=True)
    _sweep(django_capture_on_commit_callbacks)
    first.refresh_from_db()
    assert first.outcome == SilenceOutcome.SILENT
    second = SilenceTestFactory(
        application=first.application,
        stage=first.stage,
        announced_at=first.window_closes_at + dt.timedelta(days=1),
        deadline_at=timezone.now() + dt.timedelta(days=2),
        window_closes_at=timezone.now() + dt.timedelta(days=5),
    )
    assert second.state == SilenceTestState.WAITING
    contact = _log(first, first.deadline_at + dt.timedelta(hours=3), summary="I withdraw.")
    ContactTag.objects.create(contact=contact, tag="opt_out")  # no freshness mark: the bulk path
    scores_recompute(application_ids=[first.application_id], now=timezone.now())
    first.refresh_from_db()
    assert first.outcome == SilenceOutcome.WITHDREW
    # A closed latest test whose stored outcome is the score's costs no outcome UPDATE.
    other = SilenceTestFactory(closing=True)
    _sweep(django_capture_on_commit_callbacks)
    scores_recompute(application_ids=[other.application_id], now=timezone.now())
    # weights and company calendar (2), savepoint and release (2), lock (1), reads (3)
    with django_assert_num_queries(8):
        scores_recompute(application_ids=[other.application_id], now=timezone.now())
