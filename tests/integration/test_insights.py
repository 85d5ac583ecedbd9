"""The requisition insights page: four server-side SVG charts from a constant number of queries."""

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from candidates.models import Application, StageTransition
from dashboards.charts import conversions
from dashboards.insights import requisition_insights
from hiring.models import SilenceTest, SilenceTestState, StageKind
from scoring.scores import scores_recompute
from silence.services import silence_tests_sweep
from tests.clients import Client
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
    # Reach up to the furthest stage: A2, at the test without history, passed the stages
    # before it too.
    assert data.funnel == [
        ("Applied", 3),
        ("Phone screen", 2),
        ("Interview 1", 2),
        ("Interview 2", 2),
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


def _never_above_100_percent(funnel) -> None:
    values = [n for _name, n in funnel]
    assert all(later <= earlier for earlier, later in itertools.pairwise(values)), funnel
    assert all(rate is None or rate <= 100 for rate in conversions(funnel)), funnel


def test_funnel_never_exceeds_100_percent_with_skipped_or_reordered_stages():
    """Issue #15, defect 5: six went Interview 1 → Interview 2 and one skipped Interview 1:
    counting "ever in this stage" showed Interview 2 at 7 of 6 (116.7 %). Reach counts every
    stage up to the furthest one reached, in today's order, also after the admin swaps the two
    stages."""
    req = RequisitionFactory()
    applied = stage_of(req, StageKind.APPLIED)
    interview_1, interview_2 = req.pipeline.stages.filter(kind=StageKind.INTERVIEW).order_by(
        "order"
    )
    for _ in range(6):
        a = ApplicationFactory(requisition=req, stage=interview_2)
        StageTransitionFactory(application=a, to_stage=applied)
        StageTransitionFactory(application=a, from_stage=applied, to_stage=interview_1)
        StageTransitionFactory(application=a, from_stage=interview_1, to_stage=interview_2)
    skipped = ApplicationFactory(requisition=req, stage=interview_2)
    StageTransitionFactory(application=skipped, to_stage=applied)
    StageTransitionFactory(application=skipped, from_stage=applied, to_stage=interview_2)
    ApplicationFactory(requisition=req, stage=applied)

    funnel = requisition_insights(requisition=req).funnel
    _never_above_100_percent(funnel)
    assert funnel[:5] == [
        ("Applied", 8),
        ("Phone screen", 7),
        ("Interview 1", 7),
        ("Interview 2", 7),
        ("Silence test", 0),
    ]

    # The admin swaps Interview 1 and Interview 2 (through a free order, as the unique
    # (pipeline, order) constraint wants).
    order_1, order_2 = interview_1.order, interview_2.order
    interview_1.order = 999
    interview_1.save(update_fields=["order"])
    interview_2.order = order_1
    interview_2.save(update_fields=["order"])
    interview_1.order = order_2
    interview_1.save(update_fields=["order"])

    funnel = requisition_insights(requisition=req).funnel
    _never_above_100_percent(funnel)
    # By identity: the six who went through Interview 1 (now later) passed Interview 2 too.
    assert funnel[:4] == [
        ("Applied", 8),
        ("Phone screen", 7),
        ("Interview 2", 7),
        ("Interview 1", 6),
    ]


def test_stage_admin_warns_before_and_after_reordering_a_stage_in_use(db):
    req = RequisitionFactory()
    admin_user = UserFactory(admin=True)
    interview_1 = stage_of(req, StageKind.INTERVIEW)
    application = ApplicationFactory(requisition=req, stage=interview_1)
    StageTransitionFactory(application=application, to_stage=interview_1)
    client = Client()
    client.force_login(admin_user)
    url = reverse("admin:hiring_stage_change", args=[interview_1.pk])

    form_page = client.get(url)
    assert form_page.status_code == 200
    assert "is in use (1 application is in it or went through it)" in form_page.text

    data = {
        "pipeline": interview_1.pipeline_id,
        "name": interview_1.name,
        "order": 999,
        "kind": interview_1.kind,
        "stuck_after_days": interview_1.stuck_after_days or "",
        "silence_weekday": interview_1.silence_weekday,
        "silence_local_time": interview_1.silence_local_time.strftime("%H:%M"),
        "silence_lead_hours": interview_1.silence_lead_hours,
        "silence_window_business_days": interview_1.silence_window_business_days,
        "silence_action": interview_1.silence_action,
    }
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    interview_1.refresh_from_db()
    assert interview_1.order == 999
    warnings = [str(m) for m in response.context["messages"]]
    assert any("changing its order changes how the insights funnel" in m for m in warnings)


def test_stage_admin_says_nothing_about_an_unused_stage(db):
    req = RequisitionFactory()
    admin_user = UserFactory(admin=True)
    offer = stage_of(req, StageKind.OFFER)
    client = Client()
    client.force_login(admin_user)
    form_page = client.get(reverse("admin:hiring_stage_change", args=[offer.pk]))
    assert "is in use" not in form_page.text
