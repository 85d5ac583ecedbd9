"""Moving a candidate on the application page (issue #15, defects 2, 3 and 4): no stage is
preselected, a move back asks for a reason, and an in-page (htmx) move updates the silence-test
part of the page, the silence board and the ranking."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from candidates.models import StageTransition
from followups.models import PersistenceScore
from hiring.models import SilenceTestState, StageKind
from scoring.scores import scores_recompute
from tests.factories import (
    ApplicationFactory,
    ContactFactory,
    RequisitionFactory,
    SilenceTestFactory,
    stage_of,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _mark_page(page) -> None:
    # A full page load forgets this; an htmx swap keeps it.
    page.evaluate("window.__stillTheSamePage = true")


def _same_page(page) -> bool:
    return page.evaluate("window.__stillTheSamePage === true")


def test_move_preselects_no_stage_and_a_move_back_needs_a_reason(live_server, log_in):
    requisition = RequisitionFactory()
    test = SilenceTestFactory(
        application__requisition=requisition, application__candidate__first_name="Noor"
    )
    application = test.application
    page = log_in(requisition.hiring_manager, form=False)
    page.goto(f"{live_server.url}/applications/{application.pk}/")

    move_to = page.locator("#stage-panel #id_to_stage")
    expect(move_to).to_have_value("")  # no stage chosen for the user
    page.locator("#stage-panel button[type=submit]").click()
    # The browser asks for a stage (the field is required); nothing was sent.
    assert move_to.evaluate("el => !el.validity.valid")
    application.refresh_from_db()
    assert application.stage.kind == StageKind.SILENCE_TEST

    # Back to Applied without a reason: refused, and the silence test keeps running.
    applied = stage_of(requisition, StageKind.APPLIED)
    page.locator("#stage-panel #id_to_stage").select_option(str(applied.pk))
    page.locator("#stage-panel button[type=submit]").click()
    expect(page.locator("#stage-panel [data-error-summary]")).to_contain_text(
        "Moving back to “Applied” needs a reason"
    )
    application.refresh_from_db()
    test.refresh_from_db()
    assert application.stage.kind == StageKind.SILENCE_TEST
    assert test.state == SilenceTestState.WAITING

    page.locator("#stage-panel #id_to_stage").select_option(str(applied.pk))
    page.locator("#stage-panel #id_reason").fill("Applied to the wrong requisition first")
    page.locator("#stage-panel button[type=submit]").click()
    expect(page.locator("#stage-panel .stage-now")).to_contain_text("Applied")
    expect(page.locator("#stage-panel .timeline")).to_contain_text(
        "Applied to the wrong requisition first"
    )
    transition = StageTransition.objects.filter(application=application).latest("at", "id")
    assert (transition.to_stage, transition.reason) == (
        applied,
        "Applied to the wrong requisition first",
    )


def test_in_page_move_into_the_silence_stage_offers_the_announcement_at_once(live_server, log_in):
    requisition = RequisitionFactory()
    application = ApplicationFactory(
        requisition=requisition, stage=stage_of(requisition, StageKind.INTERVIEW)
    )
    page = log_in(requisition.hiring_manager, form=False)
    page.goto(f"{live_server.url}/applications/{application.pk}/")
    expect(page.locator("#silence-test")).not_to_contain_text("Record the announcement")
    _mark_page(page)

    silence = stage_of(requisition, StageKind.SILENCE_TEST)
    page.locator("#stage-panel #id_to_stage").select_option(str(silence.pk))
    page.locator("#stage-panel button[type=submit]").click()

    expect(page.locator("#stage-panel .stage-now")).to_contain_text("Silence test")
    announce = page.locator("#silence-test details.announce")
    expect(announce.locator("summary")).to_have_text("Record the announcement")
    expect(announce.locator("button[type=submit]")).to_be_visible()
    assert _same_page(page), "the move reloaded the page instead of swapping it in place"


def test_moving_out_of_the_silence_stage_cancels_the_test_everywhere(live_server, log_in):
    requisition = RequisitionFactory()
    test = SilenceTestFactory(
        observing=True,
        application__requisition=requisition,
        application__candidate__first_name="Ilse",
        application__candidate__last_name="Varga",
    )
    application = test.application
    ContactFactory(application=application, occurred_at=timezone.now() - dt.timedelta(hours=1))
    scores_recompute(application_ids=[application.pk], now=timezone.now())
    running = PersistenceScore.objects.get(application=application, is_current=True)
    assert any("still running" in line["text"] for line in running.lines)

    page = log_in(requisition.hiring_manager, form=False)
    page.goto(f"{live_server.url}/applications/{application.pk}/")
    expect(page.locator("#silence-test")).to_contain_text("Don't chase")
    _mark_page(page)

    final = stage_of(requisition, StageKind.FINAL)
    page.locator("#stage-panel #id_to_stage").select_option(str(final.pk))
    page.locator("#stage-panel button[type=submit]").click()
    expect(page.locator("#stage-panel .stage-now")).to_contain_text("Final")

    # On the page itself, without a reload: the test is no longer shown as running.
    section = page.locator("#silence-test")
    expect(section).not_to_contain_text("Don't chase")
    expect(section).not_to_contain_text("Observing")
    expect(section.locator("h3")).to_have_text("Earlier tests")
    expect(section).to_contain_text("Cancelled")
    assert _same_page(page)

    test.refresh_from_db()
    assert test.state == SilenceTestState.CANCELLED
    # The stored score was refreshed through the outbox when the move committed.
    current = PersistenceScore.objects.get(application=application, is_current=True)
    assert not any("still running" in line["text"] for line in current.lines)

    page.goto(f"{live_server.url}/requisitions/{requisition.pk}/silence/")
    board = {
        section.locator("h2").inner_text().split()[0]: section.inner_text()
        for section in page.locator("main section.card").all()
    }
    assert "Ilse Varga" not in board["Waiting"] + board["Observing"]
    assert "Ilse Varga" in board["Cancelled"]

    page.goto(f"{live_server.url}/requisitions/{requisition.pk}/ranking/")
    row = page.locator("table.ranking tbody tr", has_text="Ilse Varga")
    expect(row).to_contain_text("Cancelled")
    expect(row).not_to_contain_text("still running")
    assert "Silence test running" not in page.locator("table.ranking").inner_text()
