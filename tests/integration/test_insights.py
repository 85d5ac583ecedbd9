"""The requisition insights page: four server-side SVG charts from a constant number of queries."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from candidates.models import Application, StageTransition
from dashboards.insights import requisition_insights
from hiring.models import SilenceTest, SilenceTestState, StageKind
from scoring.scores import scores_recompute
from silence.services import silence_tests_sweep
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    ContactFactory,
    RequisitionFactory,
    SilenceTestFactory,
    StageTransitionFactory,
    UserFactory,
    stage_of,
)

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
MAX_QUERIES = 8


def _small_fixture():
    """A1 went Applied → Screen → Silence test and called 30h after the deadline; A2 is at the
    test (no transition history) and stayed silent; A3 only applied."""
    req = RequisitionFactory(title=f"AE {HOSTILE}")
    applied = stage_of(req, StageKind.APPLIED)
    screen = stage_of(req, StageKind.SCREEN)
    silence = stage_of(req, StageKind.SILENCE_TEST)
    silence.name = f"Silence {HOSTILE}"
    silence.save(update_fields=["name"])

    test1 = SilenceTestFactory(
        closing=True,
        application__requisition=req,
        application__candidate=CandidateFactory(first_name=HOSTILE),
    )
    a1 = test1.application
    StageTransitionFactory(application=a1, to_stage=applied)
    StageTransitionFactory(application=a1, from_stage=applied, to_stage=screen)
    StageTransitionFactory(application=a1, from_stage=screen, to_stage=silence)
    ContactFactory(application=a1, occurred_at=test1.deadline_at + dt.timedelta(hours=30))

    test2 = SilenceTestFactory(closing=True, application__requisition=req)
    a3 = ApplicationFactory(requisition=req)

    now = timezone.now()
    silence_tests_sweep(now=now)
    scores_recompute(application_ids=[a1.pk, test2.application_id, a3.pk], now=now)
    return req, test1, test2


def test_selector_returns_the_chart_data():
    req, test1, _test2 = _small_fixture()
    data = requisition_insights(requisition=req)
    assert data.funnel == [
        ("Applied", 2),
        ("Phone screen", 1),
        ("Interview 1", 0),
        ("Interview 2", 0),
        (f"Silence {HOSTILE}", 2),
        ("Final", 0),
        ("Offer", 0),
        ("Hired", 0),
    ]
    assert len(data.scores) == 2
    assert data.latency_hours == [pytest.approx(30)]
    local_day = test1.deadline_at.astimezone(ZoneInfo(req.time_zone)).date()
    monday = local_day - dt.timedelta(days=local_day.weekday())
    assert data.outcomes_by_week == [(monday, 1, 1)]


def test_page_renders_four_charts_with_escaped_names(client):
    req, _test1, _test2 = _small_fixture()
    client.force_login(req.hiring_manager)
    response = client.get(reverse("hiring:insights", args=[req.pk]))
    assert response.status_code == 200
    html = response.text
    assert html.count("<svg") == 4
    assert html.count('role="img"') == 4
    assert html.count("<details") == 4
    assert "No data yet" not in html
    assert "<script>alert" not in html
    assert "onerror=alert(1)>" not in html
    assert "Silence &lt;script&gt;" in html
    assert "24\u201348h" in html


def test_board_links_to_insights(client):
    req = RequisitionFactory()
    client.force_login(req.hiring_manager)
    html = client.get(reverse("hiring:requisition_board", args=[req.pk])).text
    assert reverse("hiring:insights", args=[req.pk]) in html


def test_empty_requisition_shows_no_data_charts(client):
    req = RequisitionFactory()
    client.force_login(req.hiring_manager)
    html = client.get(reverse("hiring:insights", args=[req.pk])).text
    assert html.count("<svg") == 4
    assert html.count("No data yet") >= 3  # the funnel of an empty pipeline too


def test_another_team_gets_404(client):
    req = RequisitionFactory()
    client.force_login(UserFactory(hiring_manager=True))
    assert client.get(reverse("hiring:insights", args=[req.pk])).status_code == 404


def _bulk(req, rows: int):
    applied = stage_of(req, StageKind.APPLIED)
    silence = stage_of(req, StageKind.SILENCE_TEST)
    apps = ApplicationFactory.create_batch(rows, requisition=req, at_silence_test=True)
    StageTransition.objects.bulk_create(
        StageTransition(application=a, from_stage=applied, to_stage=silence, at=timezone.now())
        for a in apps
    )
    now = timezone.now()
    SilenceTest.objects.bulk_create(
        SilenceTest(
            application=a,
            stage=silence,
            announced_at=now - dt.timedelta(days=9 + i % 30),
            deadline_at=now - dt.timedelta(days=6 + i % 30),
            window_closes_at=now - dt.timedelta(days=3 + i % 30),
            time_zone=req.time_zone,
            state=SilenceTestState.CLOSED,
            closed_at=now - dt.timedelta(days=3 + i % 30),
            outcome="silent" if i % 2 else "reached_out",
        )
        for i, a in enumerate(apps)
    )
    scores_recompute(application_ids=[a.pk for a in apps], now=now)


@pytest.mark.parametrize("rows", [5, 500])
def test_constant_queries(client, rows, django_assert_max_num_queries):
    req = RequisitionFactory()
    _bulk(req, rows)
    client.force_login(req.hiring_manager)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(reverse("hiring:insights", args=[req.pk]))
    assert response.text.count("<svg") == 4
    assert Application.objects.filter(requisition=req).count() == rows
    data = requisition_insights(requisition=req)
    assert dict(data.funnel)["Silence test"] == rows
    assert sum(r + s for _w, r, s in data.outcomes_by_week) == rows
