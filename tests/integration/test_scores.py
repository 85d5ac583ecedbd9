"""Stored scores: recomputed as contacts arrive and tests close, history, bulk recompute with a
constant number of queries, weights versions with preview, ranking, CSV and overrides."""

import csv
import datetime as dt
import io

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ, Schedule

from candidates.freshness import mark_scores_stale
from candidates.models import Application, StaleScore
from followups.models import (
    ContactSource,
    ContactTag,
    PersistenceScore,
    Promise,
    PromiseStatus,
    RankOverride,
    ScoringWeights,
)
from followups.quality import contact_details_set
from hiring.models import SilenceTestState, StageKind
from hiring.schedules import STALE_SCORES, TASK_FUNCS
from scoring.scores import (
    INLINE_REFRESH_LIMIT,
    score_for,
    score_inputs,
    score_inputs_bulk,
    scores_recompute,
    stale_scores_after_commit,
    stale_scores_drain,
    weights_current,
    weights_preview,
    weights_version_create,
)
from scoring.tasks import drain_stale_scores
from silence.services import silence_test_announce, silence_tests_sweep
from tests.factories import (
    ApplicationFactory,
    ContactFactory,
    RequisitionFactory,
    ScorecardFactory,
    SilenceTestFactory,
    UserFactory,
    stage_of,
)


def current(app) -> PersistenceScore:
    return PersistenceScore.objects.get(application=app, is_current=True)


def _closed_with_call(requisition, hours_after=17, **contact_kwargs):
    test = SilenceTestFactory(closing=True, application__requisition=requisition)
    ContactFactory(
        application=test.application,
        occurred_at=test.deadline_at + dt.timedelta(hours=hours_after),
        **contact_kwargs,
    )
    return test


def test_closing_a_test_stores_an_explained_score(django_capture_on_commit_callbacks):
    req = RequisitionFactory()
    reached = _closed_with_call(req)
    silent = SilenceTestFactory(closing=True, application__requisition=req)
    with django_capture_on_commit_callbacks(execute=True):
        silence_tests_sweep(now=timezone.now())
    score = current(reached.application)
    assert score.outcome == "reached_out"
    assert score.score >= 50
    assert sum(line["points"] for line in score.lines) == score.score
    assert score.weights == weights_current()
    assert score.silence_test_id == reached.pk
    assert (current(silent.application).score, current(silent.application).outcome) == (0, "silent")


def test_a_new_contact_recomputes_on_commit_and_keeps_history(django_capture_on_commit_callbacks):
    test = SilenceTestFactory(closing=True)
    test.state, test.outcome = SilenceTestState.CLOSED, "silent"
    test.save()
    scores_recompute(application_ids=[test.application_id], now=timezone.now())
    assert current(test.application).score == 0
    with django_capture_on_commit_callbacks(execute=True):
        contact = ContactFactory(
            application=test.application, occurred_at=test.deadline_at + dt.timedelta(hours=2)
        )
    first = current(test.application)
    assert first.score > 0
    with django_capture_on_commit_callbacks(execute=True):
        contact_details_set(contact=contact, duration_seconds=300, tags=["pushy"], actor=None)
    second = current(test.application)
    assert second.score < first.score
    assert PersistenceScore.objects.filter(application=test.application).count() == 3
    assert any("ush" in line["text"] for line in second.lines)


@pytest.mark.parametrize("tag", ["opt_out", "pushy", "adds_value", "inappropriate"])
def test_tagging_an_existing_contact_leaves_the_stored_score_equal_to_its_recomputation(
    tag, django_capture_on_commit_callbacks
):
    # Tags are bulk-inserted (no save(), no per-row hook): the action itself must mark the
    # score stale in its transaction, or the old score stays until the window closes.
    req = RequisitionFactory()
    test = _closed_with_call(req)
    with django_capture_on_commit_callbacks(execute=True):
        silence_tests_sweep(now=timezone.now())
    before = current(test.application)
    assert before.outcome == "reached_out"
    contact = test.application.contacts.get()
    with django_capture_on_commit_callbacks(execute=True):
        contact_details_set(contact=contact, duration_seconds=None, tags=[tag], actor=None)
    stored = current(test.application)
    fresh = score_for(test.application_id, now=timezone.now())
    assert (stored.score, stored.outcome, stored.lines) == (
        fresh.score,
        fresh.outcome,
        [{"rule": ln.rule, "text": ln.text, "points": ln.points} for ln in fresh.lines],
    )
    assert stored.score != before.score
    assert not _marked()


def _observing_tests(count: int):
    tests = [SilenceTestFactory(observing=True) for _ in range(count)]
    scores_recompute(application_ids=[t.application_id for t in tests], now=timezone.now())
    return tests


def _new_call(test) -> None:
    ContactFactory(
        application=test.application, occurred_at=test.deadline_at + dt.timedelta(hours=1)
    )


def _agrees_with_single_path(test) -> bool:
    stored = current(test.application)
    expected = score_for(test.application_id, now=timezone.now())
    return (stored.score, stored.outcome) == (expected.score, expected.outcome)


def _marked() -> set[int]:
    return set(StaleScore.objects.values_list("application_id", flat=True))


def test_a_change_marks_the_score_stale_in_its_transaction_and_the_drain_after_commit_clears_it(
    django_capture_on_commit_callbacks,
):
    (test,) = _observing_tests(1)
    before = current(test.application).pk
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _new_call(test)
        # Marked with the change, before any commit: one row, whatever the number of changes.
        _new_call(test)
        assert _marked() == {test.application_id}
        assert current(test.application).pk == before
    for callback in callbacks:
        callback()  # the commit happened: the drain runs
    assert _marked() == set()
    assert current(test.application).pk != before
    assert _agrees_with_single_path(test)


def test_a_process_dying_between_commit_and_drain_leaves_marks_the_scheduled_drain_recomputes(
    django_capture_on_commit_callbacks,
):
    tests = _observing_tests(3)
    before = {t.pk: current(t.application).pk for t in tests}
    with django_capture_on_commit_callbacks(execute=False):
        for test in tests:
            _new_call(test)
    # The after-commit callbacks never ran (the process died): the marks are still there.
    assert _marked() == {t.application_id for t in tests}
    assert drain_stale_scores() == 3  # the minutely task
    assert _marked() == set()
    assert all(current(t.application).pk != before[t.pk] for t in tests)
    assert all(_agrees_with_single_path(t) for t in tests)


def test_a_rolled_back_change_leaves_no_mark_and_no_drain(django_capture_on_commit_callbacks):
    (test,) = _observing_tests(1)
    before = current(test.application).pk

    def store_then_roll_back():
        with transaction.atomic():
            _new_call(test)
            raise RuntimeError("rolled back")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        store_then_roll_back()
    assert callbacks == []
    assert _marked() == set()
    assert current(test.application).pk == before


def test_a_drain_of_some_applications_leaves_the_other_marks():
    tests = _observing_tests(2)
    mark_scores_stale([t.application_id for t in tests], drain=False)
    assert stale_scores_drain(application_ids=[tests[0].application_id]) == 1
    assert _marked() == {tests[1].application_id}


def test_many_marks_after_a_commit_go_to_one_queued_drain_task():
    many = list(range(1, INLINE_REFRESH_LIMIT + 2))  # more than are drained inline
    stale_scores_after_commit(many)
    assert [row.task["func"] for row in OrmQ.objects.all()] == ["scoring.tasks.drain_stale_scores"]


def test_the_stale_score_drain_is_scheduled_every_minute():
    schedule = Schedule.objects.get(name=STALE_SCORES)
    assert (schedule.func, schedule.minutes) == ("scoring.tasks.drain_stale_scores", 1)
    assert schedule.func in TASK_FUNCS


def test_unchanged_inputs_write_no_new_history_row():
    test = _closed_with_call(RequisitionFactory())
    now = timezone.now()
    assert scores_recompute(application_ids=[test.application_id], now=now) == 1
    assert scores_recompute(application_ids=[test.application_id], now=now) == 0
    assert PersistenceScore.objects.filter(application=test.application).count() == 1


@pytest.mark.parametrize("rows", [5, 60])
def test_bulk_score_loading_uses_a_constant_number_of_queries(rows, django_assert_num_queries):
    req = RequisitionFactory()
    tests = [_closed_with_call(req) for _ in range(rows)]
    ids = [t.application_id for t in tests]
    # the company calendar (closure days) is one, the applications in a Withdrawn stage one
    with django_assert_num_queries(6):
        inputs = score_inputs(ids)
    assert len(inputs) == rows
    with django_assert_num_queries(4):  # the company calendar (closure days) is one
        bulk_inputs, current_scores = score_inputs_bulk(ids, now=timezone.now())
    assert len(bulk_inputs) == rows
    assert not current_scores
    # weights and company calendar (2) + savepoint and release (2) + writer lock (1) + reads (3)
    # + insert (1) + the webhook endpoints subscribed to score.changed (1); no closed test's
    # outcome can have changed, so none is re-decided
    with django_assert_num_queries(10):
        assert scores_recompute(application_ids=ids, now=timezone.now(), batch_size=1000) == rows
    # unchanged: the lock and the reads only
    with django_assert_num_queries(8):
        assert scores_recompute(application_ids=ids, now=timezone.now(), batch_size=1000) == 0
    for test in tests:
        ContactFactory(application=test.application, occurred_at=test.deadline_at, prompted=True)
    # changed: retire the old current rows, then insert (and the endpoints' lookup)
    with django_assert_num_queries(11):
        assert scores_recompute(application_ids=ids, now=timezone.now(), batch_size=1000) == rows


@pytest.mark.parametrize("batch_size", [2, 5])
def test_bulk_recompute_costs_the_same_queries_per_batch_whatever_the_batch_size(
    batch_size, django_assert_num_queries
):
    req = RequisitionFactory()
    ids = [_closed_with_call(req).application_id for _ in range(4 * batch_size)]
    ContactFactory.create_batch(3, application_id=ids[0], prompted=True)
    # weights and company calendar (2) + per batch: savepoint and release (2), writer lock (1),
    # reads (3), insert (1), the webhook endpoints subscribed to score.changed (1)
    with django_assert_num_queries(2 + 4 * 8):
        scores_recompute(application_ids=ids, now=timezone.now(), batch_size=batch_size)


def test_new_weights_version_changes_scores_after_a_bulk_recompute(
    django_capture_on_commit_callbacks,
):
    test = _closed_with_call(RequisitionFactory())
    scores_recompute(application_ids=[test.application_id], now=timezone.now())
    before = current(test.application).score
    values = {f: getattr(weights_current(), f) for f in ("base_reached_out",)}
    admin = UserFactory(admin=True)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        weights = weights_version_create(
            values={**_weights_values(), "base_reached_out": values["base_reached_out"] + 20},
            note="Reaching out matters more",
            actor=admin,
        )
    assert weights.version == 2
    assert len(callbacks) == 1  # the background rescore
    scores_recompute(application_ids=[test.application_id], now=timezone.now())
    after = current(test.application)
    assert after.weights == weights
    assert after.score == min(100, before + 20)


def test_a_new_weights_version_queues_the_rescore_the_task_guard_allows(
    django_capture_on_commit_callbacks,
):
    # The change used to queue the pre-#14 path "followups.tasks.rescore_all", which the
    # enqueue guard refuses: the commit callback raised and no score was ever rescored (the
    # issue #23 state machine found it).
    admin = UserFactory(admin=True)
    with django_capture_on_commit_callbacks(execute=True):
        weights_version_create(
            values={**_weights_values(), "base_reached_out": 70}, note="More", actor=admin
        )
    assert [row.task["func"] for row in OrmQ.objects.all()] == ["scoring.tasks.rescore_all"]


def test_announcing_a_silence_test_refreshes_the_stored_score(django_capture_on_commit_callbacks):
    # "No silence test yet" becomes "no follow-up yet": found stale by the state machine.
    app = ApplicationFactory(at_silence_test=True)
    scores_recompute(application_ids=[app.pk], now=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        silence_test_announce(
            application=app,
            announced_by=app.requisition.hiring_manager,
            recorded_by=app.requisition.hiring_manager,
            announced_at=timezone.now(),
            now=timezone.now(),
        )
    fresh = score_for(app.pk, now=timezone.now())
    assert [line["text"] for line in current(app).lines] == [line.text for line in fresh.lines]
    assert current(app).silence_test_id is not None


def _weights_values():
    from scoring.views import WEIGHT_FIELDS

    w = weights_current()
    return {name: getattr(w, name) for name in WEIGHT_FIELDS}


def test_invalid_weights_are_refused():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        weights_version_create(
            values={**_weights_values(), "latency_zero_hours": 1, "latency_full_hours": 10},
            note="",
            actor=UserFactory(admin=True),
        )
    assert ScoringWeights.objects.count() == 1


def test_weights_preview_shows_rank_changes_without_saving():
    req = RequisitionFactory()
    caller = _closed_with_call(req, hours_after=60, channel="phone")
    emailer = _closed_with_call(req, hours_after=1, channel="email")
    values = {**_weights_values(), "channel_call_points": 40}
    rows = {
        row.application_id: row
        for row in weights_preview(requisition=req, values=values, now=timezone.now())
    }
    assert rows[caller.application_id].proposed_rank == 1
    assert rows[caller.application_id].proposed_score > rows[caller.application_id].current_score
    assert ScoringWeights.objects.count() == 1
    assert rows[emailer.application_id].proposed_rank == 2


def test_weights_page_is_for_admins_with_preview(client):
    req = RequisitionFactory()
    _closed_with_call(req)
    client.force_login(req.hiring_manager)
    assert client.get(reverse("followups:weights_edit")).status_code == 403
    client.force_login(UserFactory(admin=True))
    data = {**_weights_values(), "note": "", "preview_requisition": req.pk, "preview": "1"}
    response = client.post(reverse("followups:weights_edit"), data)
    assert response.status_code == 200
    assert "Preview: top candidates" in response.text
    assert ScoringWeights.objects.count() == 1
    data.pop("preview")
    data["save"] = "1"
    response = client.post(reverse("followups:weights_edit"), data, follow=True)
    assert "Saved as version 2" in response.text


# --- ranking ---------------------------------------------------------------------------------


@pytest.fixture
def ranked_requisition():
    req = RequisitionFactory()
    strong = _closed_with_call(req, hours_after=15)
    weak = _closed_with_call(req, hours_after=70, channel="email")
    silent = SilenceTestFactory(closing=True, application__requisition=req)
    waiting = SilenceTestFactory(application__requisition=req)
    early = ApplicationFactory(requisition=req)
    ScorecardFactory(round__application=early, tenacity=5)
    silence_tests_sweep(now=timezone.now())
    scores_recompute(
        application_ids=Application.objects.filter(requisition=req).values_list("pk", flat=True),
        now=timezone.now(),
    )
    return req, [
        strong.application,
        weak.application,
        silent.application,
        waiting.application,
        early,
    ]


def test_ranking_orders_finished_tests_by_score_then_running_then_not_yet(
    client, ranked_requisition, django_assert_max_num_queries
):
    req, expected = ranked_requisition
    client.force_login(req.hiring_manager)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("followups:ranking", args=[req.pk]))
    text = response.text
    positions = [text.index(app.candidate.full_name) for app in expected]
    assert positions == sorted(positions)
    assert "Breakdown" in text
    assert "Silence test running" in text


def test_ranking_csv_has_the_contract_columns(client, ranked_requisition):
    req, expected = ranked_requisition
    client.force_login(req.hiring_manager)
    response = client.get(f"/requisitions/{req.pk}/ranking.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["candidate"] for r in rows] == [a.candidate.full_name for a in expected]
    assert rows[0]["rank"] == "1"
    assert int(rows[0]["score"]) > int(rows[1]["score"]) > 0
    assert rows[2]["outcome"] == "silent"
    assert rows[2]["score"] == "0"
    assert "after the deadline" in rows[0]["breakdown"]
    assert {"stage", "test_state", "scorecard_average", "override"} <= set(rows[0])


@pytest.mark.parametrize("query", ["min_score=abc", "sort=evil", "min_score=80&max_score=10"])
def test_ranking_csv_with_invalid_filters_says_so_instead_of_exporting_every_row(
    client, ranked_requisition, query
):
    """Found in Chromium: a hand-edited link exported the whole ranking as if filtered."""
    req, _expected = ranked_requisition
    client.force_login(req.hiring_manager)
    response = client.get(f"/requisitions/{req.pk}/ranking.csv?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert "not exported" in response.text


def test_ranking_csv_is_404_for_another_team(client, ranked_requisition):
    req, _expected = ranked_requisition
    client.force_login(UserFactory(hiring_manager=True))
    assert client.get(f"/requisitions/{req.pk}/ranking.csv").status_code == 404


def test_csv_cells_cannot_start_a_formula(client):
    req = RequisitionFactory()
    app = ApplicationFactory(requisition=req, candidate__first_name="=HYPERLINK(evil)")
    client.force_login(req.hiring_manager)
    content = client.get(f"/requisitions/{req.pk}/ranking.csv").content.decode()
    assert "'=HYPERLINK" in content
    assert app.pk


def test_manager_overrides_position_with_a_reason_and_history(client, ranked_requisition):
    req, expected = ranked_requisition
    client.force_login(req.hiring_manager)
    url = reverse("followups:rank_override", args=[expected[1].pk])
    response = client.post(url, {"position": 1, "reason": "Met her at the customer event"})
    assert response.status_code == 302
    client.post(url, {"position": 1, "outcome": "reached_out", "reason": "Second thoughts"})
    assert RankOverride.objects.filter(application=expected[1]).count() == 2
    assert RankOverride.objects.filter(application=expected[1], is_active=True).count() == 1
    text = client.get(reverse("followups:ranking", args=[req.pk])).text
    assert text.index(expected[1].candidate.full_name) < text.index(expected[0].candidate.full_name)
    assert "Second thoughts" in text


def test_override_needs_a_reason_and_the_hiring_manager(client, ranked_requisition):
    req, expected = ranked_requisition
    recruiter = UserFactory(recruiter=True)
    req.recruiters.add(recruiter)
    url = reverse("followups:rank_override", args=[expected[1].pk])
    client.force_login(req.hiring_manager)
    response = client.post(url, {"position": 1, "reason": ""}, follow=True)
    assert "Override not saved" in response.text
    client.force_login(recruiter)
    assert client.post(url, {"position": 1, "reason": "I like them"}).status_code == 403
    assert not RankOverride.objects.exists()


def test_latency_counts_business_hours_in_the_requisitions_zone():
    from zoneinfo import ZoneInfo

    sydney = ZoneInfo("Australia/Sydney")
    req = RequisitionFactory(sydney=True)
    deadline = dt.datetime(2026, 11, 20, 17, 0, tzinfo=sydney)  # Friday
    test = SilenceTestFactory(
        application__requisition=req,
        announced_at=deadline - dt.timedelta(days=3),
        deadline_at=deadline,
        window_closes_at=deadline + dt.timedelta(days=6),
        state=SilenceTestState.CLOSED,
        outcome="reached_out",
        time_zone="Australia/Sydney",
    )
    ContactFactory(
        application=test.application,
        occurred_at=dt.datetime(2026, 11, 23, 9, 0, tzinfo=sydney),  # Monday 9 am
    )
    scores_recompute(application_ids=[test.application_id], now=deadline + dt.timedelta(days=7))
    texts = [line["text"] for line in current(test.application).lines]
    # Friday 17:00-24:00 and Monday 00:00-09:00 local: 16 business hours, not 64.
    assert any("64 h after the deadline, 16 h counting business days" in t for t in texts), texts


def test_ranking_filters_by_outcome_score_and_channel(client, ranked_requisition):
    req, expected = ranked_requisition
    client.force_login(req.hiring_manager)
    url = reverse("followups:ranking", args=[req.pk])
    text = client.get(url, {"outcome": "silent"}).text
    assert expected[2].candidate.full_name in text
    assert expected[0].candidate.full_name not in text
    text = client.get(url, {"min_score": 1}).text
    assert expected[0].candidate.full_name in text
    assert expected[2].candidate.full_name not in text
    text = client.get(url, {"channel": "email"}).text
    assert expected[1].candidate.full_name in text
    assert expected[0].candidate.full_name not in text
    text = client.get(url, {"outcome": "reached_out", "max_score": 0}).text
    assert "No candidate matches these filters" in text


def test_ranking_score_range_upside_down_is_a_form_error_not_an_empty_list(
    client, ranked_requisition
):
    req, _expected = ranked_requisition
    client.force_login(req.hiring_manager)
    response = client.get(
        reverse("followups:ranking", args=[req.pk]), {"min_score": 60, "max_score": 20}
    )
    assert response.status_code == 200
    assert "is below “Score from” (60)" in response.text
    assert 'aria-invalid="true"' in response.text
    assert "No candidate matches these filters" not in response.text


def test_ranking_says_one_candidate_matches_in_the_singular(client, ranked_requisition):
    req, _expected = ranked_requisition
    client.force_login(req.hiring_manager)
    text = client.get(reverse("followups:ranking", args=[req.pk]), {"outcome": "silent"}).text
    assert "1 candidate matches the filters." in text
    text = client.get(reverse("followups:ranking", args=[req.pk]), {"min_score": 1}).text
    assert "2 candidates match the filters." in text


def test_ranking_sorts_by_name_and_keeps_the_overall_rank(client, ranked_requisition):
    req, expected = ranked_requisition
    client.force_login(req.hiring_manager)
    response = client.get(reverse("followups:ranking", args=[req.pk]), {"sort": "name"})
    names = sorted(expected, key=lambda a: a.candidate.last_name.lower())
    positions = [response.text.index(a.candidate.full_name) for a in names]
    assert positions == sorted(positions)


@pytest.mark.parametrize("rows", [5, 500])
def test_ranking_page_paginates_with_constant_queries(client, rows, django_assert_max_num_queries):
    req = RequisitionFactory()
    ApplicationFactory.create_batch(rows, requisition=req)
    client.force_login(req.hiring_manager)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("followups:ranking", args=[req.pk]), {"page": 2})
    assert response.status_code == 200
    if rows > 50:
        assert f"Page 2 of {-(-rows // 50)}" in response.text
        assert response.text.count('class="breakdown"') <= 50


def test_ranking_rows_have_a_candidate_quick_view(client, ranked_requisition):
    req, expected = ranked_requisition
    client.force_login(req.hiring_manager)
    text = client.get(reverse("followups:ranking", args=[req.pk])).text
    assert text.count('class="quick-view small"') == len(expected)
    assert "First follow-up" in text


def test_a_sweep_batch_that_rolls_back_leaves_no_stale_mark():
    (test,) = _observing_tests(1)

    def failing_batch():
        with transaction.atomic():
            mark_scores_stale([test.application_id])
            assert _marked() == {test.application_id}
            raise RuntimeError("the sweep failed")

    with pytest.raises(RuntimeError, match="the sweep failed"):
        failing_batch()
    assert _marked() == set()


# --- the bulk path agrees with the single-application path ----------------------------------


def _tag(contact, *tags):
    for tag in tags:
        ContactTag.objects.create(contact=contact, tag=tag)
    return contact


def _promise(application, status, description, due_at):
    Promise.objects.create(
        application=application,
        status=status,
        description=description,
        due_at=due_at,
        resolved_at=None if status == PromiseStatus.OPEN else due_at,
    )


def _varied_applications(now) -> list[Application]:
    """Applications in every situation the scoring rules tell apart: no test, each test state,
    a cancelled later test, contamination, time zones with holidays; contacts of every kind
    (prompted, outbound, automated, future, after the window, chasing before the deadline and
    before the lookback, at the deadline), tags on follow-ups and on other contacts, cadence
    bursts, several channels, promises."""
    apps = []
    hour = dt.timedelta(hours=1)
    for req in (
        RequisitionFactory(),
        RequisitionFactory(berlin=True),
        RequisitionFactory(sydney=True),
        RequisitionFactory(los_angeles=True),
    ):
        # No silence test: only prompted replies, opt-outs and inappropriate contacts show.
        lone = ApplicationFactory(requisition=req)
        ContactFactory(application=lone, occurred_at=now - 30 * hour, prompted=True)
        _tag(ContactFactory(application=lone, occurred_at=now - 20 * hour), "opt_out")
        _tag(ContactFactory(application=lone, occurred_at=now - 10 * hour), "pushy")
        ContactFactory(application=lone, occurred_at=now + 5 * hour)
        apps.append(lone)
        rude = ApplicationFactory(requisition=req)
        _tag(ContactFactory(application=rude, occurred_at=now - 2 * hour), "inappropriate")
        _tag(ContactFactory(application=rude, prompted=True, occurred_at=now - hour), "opt_out")
        # The first prompted contact is an opt-out; a later one is still a prompted reply.
        ContactFactory(application=rude, prompted=True, occurred_at=now - 3 * hour)
        apps.append(rude)
        apps.append(ApplicationFactory(requisition=req))  # nothing at all

        for state in ("waiting", "observing", "closed"):
            test = SilenceTestFactory(
                closing=True,
                application__requisition=req,
                state=state,
                outcome="reached_out" if state == "closed" else "",
            )
            app, deadline = test.application, test.deadline_at
            # Chasing inside the lookback, before it, and exactly at the deadline.
            ContactFactory(application=app, occurred_at=deadline - 2 * 24 * hour)
            ContactFactory(application=app, occurred_at=deadline - 9 * 24 * hour, channel="sms")
            _tag(
                ContactFactory(application=app, occurred_at=deadline - 30 * 24 * hour),
                "pushy",
            )
            ContactFactory(application=app, occurred_at=deadline)
            # Follow-ups: a burst within 24 h on several channels, tagged.
            for offset, channel, tags in (
                (17, "email", ("adds_value",)),
                (18, "linkedin", ("just_checking_in",)),
                (19, "phone", ()),
                (30, "in_person", ("adds_value", "professional")),
                (31, "other", ("pushy",)),
                (40, "voicemail", ("professional",)),
            ):
                _tag(
                    ContactFactory(
                        application=app,
                        occurred_at=deadline + offset * hour,
                        channel=channel,
                        summary=f"  Follow-up  on {channel}\nwith a long summary " * 3,
                    ),
                    *tags,
                )
            ContactFactory(application=app, occurred_at=deadline + 2 * hour, outbound=True)
            ContactFactory(application=app, occurred_at=deadline + 3 * hour, auto_reply=True)
            ContactFactory(application=app, occurred_at=deadline + 4 * hour, prompted=True)
            ContactFactory(application=app, occurred_at=test.window_closes_at + hour)
            ContactFactory(application=app, occurred_at=now + hour)
            _promise(app, PromiseStatus.KEPT, "Send references", deadline + hour)
            _promise(app, PromiseStatus.BROKEN, "Call on Monday", deadline + 2 * hour)
            _promise(app, PromiseStatus.OPEN, "Visit the office", deadline + 3 * hour)
            apps.append(app)

        # Silent, but chased before the deadline and only answered when prompted.
        silent = SilenceTestFactory(
            closing=True, application__requisition=req, state="closed", outcome="silent"
        )
        ContactFactory(application=silent.application, occurred_at=silent.deadline_at - hour)
        ContactFactory(
            application=silent.application, occurred_at=silent.deadline_at + hour, prompted=True
        )
        _promise(silent.application, PromiseStatus.KEPT, "Promise", silent.deadline_at)
        apps.append(silent.application)

        # Contaminated, and an inappropriate follow-up zeroes it.
        dirty = SilenceTestFactory(
            closing=True,
            application__requisition=req,
            state="closed",
            outcome="reached_out",
            contaminated_at=now - 3 * 24 * hour,
        )
        ContactFactory(application=dirty.application, occurred_at=dirty.deadline_at + 5 * hour)
        _tag(
            ContactFactory(application=dirty.application, occurred_at=dirty.deadline_at + 6 * hour),
            "inappropriate",
        )
        apps.append(dirty.application)

        # A later cancelled test: the earlier one still counts.
        earlier = SilenceTestFactory(
            closing=True, application__requisition=req, state="closed", outcome="reached_out"
        )
        SilenceTestFactory(
            application=earlier.application,
            state="cancelled",
            announced_at=now - dt.timedelta(days=1),
        )
        ContactFactory(application=earlier.application, occurred_at=earlier.deadline_at + hour)
        apps.append(earlier.application)

        # Withdrew by stage, and contacted before the deadline only (a minute early).
        gone = SilenceTestFactory(
            closing=True, application__requisition=req, state="closed", outcome="silent"
        )
        ContactFactory(application=gone.application, occurred_at=gone.deadline_at + hour)
        Application.objects.filter(pk=gone.application_id).update(
            stage=stage_of(req, StageKind.WITHDRAWN)
        )
        apps.append(gone.application)
        early = SilenceTestFactory(
            closing=True, application__requisition=req, state="closed", outcome="early_only"
        )
        ContactFactory(
            application=early.application,
            occurred_at=early.deadline_at - dt.timedelta(minutes=1),
            channel="phone",
        )
        apps.append(early.application)
        quiet = SilenceTestFactory(
            closing=True, application__requisition=req, state="closed", outcome="silent"
        )
        apps.append(quiet.application)
        # An opt-out among follow-ups: withdrew, whatever came before.
        polite = SilenceTestFactory(
            closing=True, application__requisition=req, state="closed", outcome="withdrew"
        )
        ContactFactory(application=polite.application, occurred_at=polite.deadline_at + hour)
        _tag(
            ContactFactory(
                application=polite.application,
                occurred_at=polite.deadline_at + 40 * hour,
                channel="voicemail",
            ),
            "opt_out",
        )
        apps.append(polite.application)
    return apps


def _stored(app) -> tuple:
    score = current(app)
    return (
        score.score,
        score.outcome,
        score.comparable,
        score.lines,
        score.first_follow_up_at,
        score.silence_test_id,
    )


def _reference(app, now) -> tuple:
    result = score_for(app.pk, now=now)
    lines = [{"rule": r.rule, "text": r.text, "points": r.points} for r in result.lines]
    test_id = score_inputs([app.pk])[app.pk].test_id
    return (
        result.score,
        result.outcome,
        result.comparable,
        lines,
        result.first_follow_up_at,
        test_id,
    )


def test_bulk_recompute_stores_what_the_single_application_path_computes():
    now = timezone.now()
    apps = _varied_applications(now)
    for moment in (now, now - dt.timedelta(days=4), now + dt.timedelta(days=10)):
        scores_recompute(application_ids=[a.pk for a in apps], now=moment, batch_size=7)
        stored = {a.pk: _stored(a) for a in apps}
        assert stored == {a.pk: _reference(a, moment) for a in apps}
    outcomes = {value[1] for value in stored.values()}
    # the data covers every outcome
    assert outcomes == {"reached_out", "silent", "pending", "early_only", "withdrew"}
    rules = {line["rule"] for value in stored.values() for line in value[3]}
    assert {"cadence", "impatience", "pushy", "opt_out", "inappropriate", "adds_value"} <= rules
    assert {"withdrew", "early_only"} <= rules


def test_bulk_recompute_agrees_with_the_single_application_path_on_scale_data():
    from devdata.scale import seed_scale

    now = timezone.now()
    seed_scale(now=now, requisitions=4, applications=300, contacts=6000, seed=8)
    apps = list(Application.objects.select_related(None))
    scores_recompute(application_ids=[a.pk for a in apps], now=now, batch_size=64)
    stored = {a.pk: _stored(a) for a in apps}
    assert stored == {a.pk: _reference(a, now) for a in apps}
    assert len({value[0] for value in stored.values()}) > 5  # varied scores, not all zero


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_writers_refreshing_one_application_at_once_store_one_current_score():
    import threading

    from django.db import connection

    test = SilenceTestFactory(closing=True)
    app = test.application
    PersistenceScore.objects.all().delete()
    now = timezone.now()
    first_wrote = threading.Event()
    second_waiting = threading.Event()
    errors = []

    def first_writer():
        try:
            with transaction.atomic():
                scores_recompute(application_ids=[app.pk], now=now)
                first_wrote.set()
                # Hold the transaction (and its new current row) until the second writer is
                # blocked, as when a webhook and the sweeper refresh the same application.
                second_waiting.wait(timeout=30)
        except Exception as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=first_writer)
    thread.start()
    assert first_wrote.wait(timeout=30)

    def report_blocked():
        with connection.cursor() as cursor:  # another connection: this thread's own
            for _ in range(300):
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
                if cursor.fetchone()[0]:
                    break
                threading.Event().wait(0.05)
        connection.close()
        second_waiting.set()

    watcher = threading.Thread(target=report_blocked)
    watcher.start()
    changed = scores_recompute(application_ids=[app.pk], now=now)
    thread.join(timeout=30)
    watcher.join(timeout=30)

    assert errors == []
    assert changed == 0  # it read the first writer's committed score: nothing new to store
    assert PersistenceScore.objects.filter(application=app, is_current=True).count() == 1
    assert PersistenceScore.objects.filter(application=app).count() == 1


def test_a_captured_email_is_tagged_from_the_timeline_and_the_score_follows(
    client, django_capture_on_commit_callbacks
):
    # Only hand-logged contacts could be tagged (at logging time): a captured email could not.
    req = RequisitionFactory()
    test = _closed_with_call(
        req, channel="email", source=ContactSource.IMAP, subject="Following up", summary=""
    )
    with django_capture_on_commit_callbacks(execute=True):
        silence_tests_sweep(now=timezone.now())
    before = current(test.application)
    contact = test.application.contacts.get()
    ContactTag.objects.create(contact=contact, tag="promise_made")  # set by promise tracking
    client.force_login(req.hiring_manager)
    page = client.get(reverse("candidates:application_detail", args=[test.application_id])).text
    assert reverse("followups:contact_tags_set", args=[contact.pk]) in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("followups:contact_tags_set", args=[contact.pk]), {"tags": ["adds_value"]}
        )
    assert response.status_code == 302
    assert set(contact.tags.values_list("tag", flat=True)) == {"adds_value", "promise_made"}
    stored = current(test.application)
    assert stored.score != before.score
    assert stored.score == score_for(test.application_id, now=timezone.now()).score

    other = UserFactory(hiring_manager=True)
    client.force_login(other)
    response = client.post(
        reverse("followups:contact_tags_set", args=[contact.pk]), {"tags": ["pushy"]}
    )
    assert response.status_code == 404
