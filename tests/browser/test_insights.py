"""The insights charts render in the browser as non-empty SVGs, with no console errors (the
strict Content-Security-Policy would report any inline style or script)."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scoring.scores import scores_recompute
from silence.services import silence_tests_sweep
from tests.factories import ContactFactory, RequisitionFactory, SilenceTestFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_insights_charts_render_without_errors(live_server, log_in):
    manager = UserFactory(hiring_manager=True)
    requisition = RequisitionFactory(hiring_manager=manager)
    tests = [
        SilenceTestFactory(closing=True, application__requisition=requisition) for _ in range(3)
    ]
    ContactFactory(
        application=tests[0].application, occurred_at=tests[0].deadline_at + dt.timedelta(hours=5)
    )
    silence_tests_sweep(now=timezone.now())
    scores_recompute(application_ids=[t.application_id for t in tests], now=timezone.now())

    page = log_in(manager, form=False)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/requisitions/{requisition.pk}/insights/")

    charts = page.locator("svg[role=img]")
    expect(charts).to_have_count(4)
    for index in range(4):
        chart = charts.nth(index)
        box = chart.bounding_box()
        assert box is not None
        assert box["width"] > 100
        assert box["height"] > 50
        # Drawn marks, not just an empty frame.
        assert chart.locator("rect").count() >= 1
        assert chart.locator("title").count() >= 1
    assert errors == []
