"""The decision loop in Chromium: a finished silent test → Reject from home with the template
→ the email goes after the delay → the timeline shows the candidate in Rejected with history."""

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.utils import timezone
from django.utils.module_loading import import_string
from playwright.sync_api import expect

from decisions.models import ScheduledEmail, ScheduledEmailStatus
from decisions.services import scheduled_emails_send_due
from followups.models import ReplyToken
from hiring.models import StageKind
from tests.clients import Client
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    EmailTemplateFactory,
    RequisitionFactory,
    UserFactory,
    closed_silence_test,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_manager_rejects_from_home_and_the_kind_email_goes_after_the_delay(
    live_server, log_in, monkeypatch
):
    # The outbound mail task runs in-process instead of on the django-q2 cluster.
    monkeypatch.setattr(
        "followups.services.async_task", lambda func, *args, **kwargs: import_string(func)(*args)
    )
    manager = UserFactory(hiring_manager=True, first_name="Morgan", last_name="Lee")
    requisition = RequisitionFactory(hiring_manager=manager, title="Enterprise AE")
    EmailTemplateFactory(pipeline=requisition.pipeline, cancel_minutes=60)
    candidate = CandidateFactory(first_name="Priya", last_name="Raman")
    test = closed_silence_test(requisition=requisition, candidate=candidate)
    application = test.application

    page = log_in(manager, form=False)
    page.goto(f"{live_server.url}/")
    row = page.locator(f"#decision-{application.pk}")
    expect(row).to_contain_text("Priya Raman")
    expect(row).to_contain_text("Silent")
    row.get_by_role("link", name="Reject Priya Raman").click()

    # The form opens in place, with the template's preview filled in for this candidate.
    form_row = page.locator(f"#decision-{application.pk}.reject-form")
    expect(form_row).to_be_visible()
    preview = form_row.locator(".email-preview")
    expect(preview).to_contain_text("Dear Priya,")
    expect(preview).to_contain_text("Morgan Lee, Acme")
    # Changing the email re-renders only the preview.
    choice = form_row.get_by_label("Email to the candidate")
    choice.select_option(label="Don't send an email")
    expect(preview).to_contain_text("No email will be sent.")
    choice.select_option(label="Rejection after a silent test")
    expect(preview).to_contain_text("Dear Priya,")
    expect(form_row.locator("form")).to_have_count(1)
    form_row.get_by_label("Reason").fill("Stayed silent after the deadline")
    form_row.get_by_role("button", name="Reject and schedule the email").click()

    done = page.locator(f"#decision-{application.pk}.done")
    expect(done).to_contain_text("Priya Raman rejected.")
    expect(done.get_by_role("button", name="Cancel the email")).to_be_visible()
    assert page.url == f"{live_server.url}/"  # HTMX: nothing reloaded

    scheduled = ScheduledEmail.objects.get(application=application)
    assert scheduled.status == ScheduledEmailStatus.SCHEDULED
    # Inside the cancel window nothing goes.
    assert scheduled_emails_send_due(now=timezone.now()) == {}
    assert mail.outbox == []
    with time_machine.travel(scheduled.send_at + dt.timedelta(minutes=1), tick=False):
        assert scheduled_emails_send_due(now=timezone.now()) == {"sent": 1}
    [message] = mail.outbox
    assert message.subject == "Your application for Enterprise AE"
    assert message.body.startswith("Dear Priya,")
    token = ReplyToken.objects.get(application=application)
    assert message.reply_to == [f"reply+{token.token}@persist.example"]

    page.goto(f"{live_server.url}/applications/{application.pk}/")
    stage = page.locator("#stage-panel")
    expect(stage.locator(".stage-now")).to_contain_text("Rejected")
    expect(stage.locator(".timeline").first).to_contain_text("Silence test → Rejected")
    expect(stage.locator(".timeline").first).to_contain_text("Stayed silent after the deadline")
    emails = stage.locator(".scheduled-emails")
    expect(emails).to_contain_text("Rejection after a silent test")
    expect(emails.locator(".badge.status-sent")).to_have_text("Sent")
    expect(page.locator("#contacts .timeline")).to_contain_text(
        re.compile("Your application for Enterprise AE")
    )
    application.refresh_from_db()
    assert application.stage.kind == StageKind.REJECTED


def test_the_reject_form_works_without_javascript(live_server, log_in, browser):
    manager = UserFactory(hiring_manager=True)
    requisition = RequisitionFactory(hiring_manager=manager)
    EmailTemplateFactory(pipeline=requisition.pipeline)
    test = closed_silence_test(requisition=requisition)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    client = Client()
    client.force_login(manager)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name=re.compile("^Reject ")).click()
    page.wait_for_url(re.compile(r"/reject/"))
    page.get_by_label("Reason").fill("Silent")
    page.get_by_role("button", name="Reject and schedule the email").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator(".messages")).to_contain_text("rejected")
    context.close()
    test.application.refresh_from_db()
    assert test.application.stage.kind == StageKind.REJECTED


def test_bulk_move_on_a_phone_reports_moves_and_refusals(live_server, log_in):
    recruiter = UserFactory(recruiter=True)
    requisition = RequisitionFactory(recruiters=[recruiter])
    first, second = (
        ApplicationFactory(requisition=requisition, interviewing=True, candidate__first_name=name)
        for name in ("Ana", "Ben")
    )
    page = log_in(recruiter, form=False)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/requisitions/{requisition.pk}/")
    page.get_by_label(f"Select {first.candidate.full_name}").check()
    page.get_by_label(f"Select {second.candidate.full_name}").check()
    page.get_by_text("Bulk actions on the ticked candidates").click()
    page.get_by_label("Stage").select_option(label="Offer")
    page.get_by_role("button", name="Apply to the ticked candidates").click()
    expect(page.locator(".messages")).to_contain_text("0 moved, 2 refused")
    expect(page.locator(".messages")).to_contain_text("Only the hiring manager can move")
    page.get_by_label(f"Select {first.candidate.full_name}").check()
    page.get_by_text("Bulk actions on the ticked candidates").click()
    page.get_by_label("Stage").select_option(label="Final")
    page.get_by_role("button", name="Apply to the ticked candidates").click()
    expect(page.locator(".messages")).to_contain_text("1 moved.")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    first.refresh_from_db()
    assert first.stage.kind == StageKind.FINAL
