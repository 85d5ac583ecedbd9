"""Decisions where the manager is: one-click advance and reject from home, rejection emails
that wait, can be cancelled and go through the outbound mail, and bulk actions per item."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from candidates.models import StageTransition
from candidates.services import application_move
from decisions.models import ScheduledEmail, ScheduledEmailStatus, TemplateKind
from decisions.services import (
    application_reject,
    scheduled_email_cancel,
    scheduled_emails_send_due,
)
from followups.models import Contact, Direction, ReplyToken
from hiring.models import StageKind
from privacy.services import candidate_data, candidate_erase
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    EmailTemplateFactory,
    RequisitionFactory,
    UserFactory,
    closed_silence_test,
    stage_of,
)


@pytest.fixture
def sync_outbound(monkeypatch, django_capture_on_commit_callbacks):
    """Run the outbound-mail task in-process (it is queued to django-q2 after the commit)."""
    monkeypatch.setattr(
        "followups.services.async_task", lambda func, *args, **kwargs: import_string(func)(*args)
    )


@pytest.fixture
def team():
    manager = UserFactory(hiring_manager=True, first_name="Morgan", last_name="Lee")
    recruiter = UserFactory(recruiter=True)
    requisition = RequisitionFactory(
        hiring_manager=manager, recruiters=[recruiter], title="Account Executive"
    )
    EmailTemplateFactory(pipeline=requisition.pipeline)
    return {"manager": manager, "recruiter": recruiter, "req": requisition}


def _reject(client, application, **data):
    return client.post(
        reverse("decisions:reject", args=[application.pk]),
        {"reason": "Stayed silent", "email_kind": TemplateKind.REJECTION_SILENT, **data},
    )


def test_home_offers_advance_and_reject_for_each_finished_test(client, team):
    test = closed_silence_test(requisition=team["req"])
    client.force_login(team["manager"])
    text = client.get(reverse("hiring:home")).text
    assert reverse("decisions:advance", args=[test.application_id]) in text
    assert reverse("decisions:reject", args=[test.application_id]) in text
    assert "Silent" in text  # the outcome's label, from the model's choices


def test_advance_moves_to_the_next_open_stage_with_history(client, team):
    test = closed_silence_test(requisition=team["req"], outcome="reached_out")
    client.force_login(team["manager"])
    response = client.post(reverse("decisions:advance", args=[test.application_id]))
    assert response.status_code == 302
    test.application.refresh_from_db()
    assert test.application.stage.kind == StageKind.FINAL
    transition = StageTransition.objects.filter(application=test.application).latest("at")
    assert transition.actor == team["manager"]


def test_advance_with_htmx_swaps_the_row_in_place(client, team):
    test = closed_silence_test(requisition=team["req"], outcome="reached_out")
    client.force_login(team["manager"])
    response = client.post(
        reverse("decisions:advance", args=[test.application_id]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert f'id="decision-{test.application_id}"' in response.text
    assert "moved to Final" in response.text


def test_reject_form_previews_the_email_with_the_candidate_filled_in(client, team):
    test = closed_silence_test(requisition=team["req"])
    client.force_login(team["manager"])
    text = client.get(reverse("decisions:reject", args=[test.application_id])).text
    first = test.application.candidate.first_name
    assert f"Dear {first}," in text
    assert "Morgan Lee, Acme" in text
    assert "Your application for Account Executive" in text


def test_reject_moves_to_rejected_and_schedules_the_email_after_the_delay(
    client, team, sync_outbound, django_capture_on_commit_callbacks
):
    test = closed_silence_test(requisition=team["req"])
    application = test.application
    client.force_login(team["manager"])
    with time_machine.travel(dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC), tick=False):
        assert _reject(client, application).status_code == 302
    application.refresh_from_db()
    assert application.stage.kind == StageKind.REJECTED
    scheduled = ScheduledEmail.objects.get(application=application)
    assert scheduled.send_at == dt.datetime(2026, 3, 10, 16, 0, tzinfo=dt.UTC)
    assert scheduled.status == ScheduledEmailStatus.SCHEDULED

    # Not before the delay.
    assert scheduled_emails_send_due(now=dt.datetime(2026, 3, 10, 15, 59, tzinfo=dt.UTC)) == {}
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        counts = scheduled_emails_send_due(now=dt.datetime(2026, 3, 10, 16, 0, tzinfo=dt.UTC))
    assert counts == {"sent": 1}
    [message] = mail.outbox
    assert message.subject == "Your application for Account Executive"
    assert message.body.startswith(f"Dear {application.candidate.first_name},")
    token = ReplyToken.objects.get(application=application)
    assert message.reply_to == [f"reply+{token.token}@persist.example"]
    scheduled.refresh_from_db()
    assert scheduled.status == ScheduledEmailStatus.SENT
    assert scheduled.contact.direction == Direction.OUTBOUND

    # Idempotent: a retried sweep sends nothing more.
    assert scheduled_emails_send_due(now=dt.datetime(2026, 3, 10, 17, 0, tzinfo=dt.UTC)) == {}
    assert len(mail.outbox) == 1

    page = client.get(reverse("candidates:application_detail", args=[application.pk])).text
    assert "Rejection after a silent test" in page
    assert "status-sent" in page


def test_a_cancelled_email_never_goes(client, team):
    test = closed_silence_test(requisition=team["req"])
    now = timezone.now()
    scheduled = application_reject(
        application=test.application,
        actor=team["manager"],
        reason="Stayed silent",
        email_kind=TemplateKind.REJECTION_SILENT,
        now=now,
    )
    client.force_login(team["manager"])
    response = client.post(reverse("decisions:scheduled_email_cancel", args=[scheduled.pk]))
    assert response.status_code == 302
    scheduled.refresh_from_db()
    assert scheduled.status == ScheduledEmailStatus.CANCELLED
    assert scheduled.cancelled_by == team["manager"]
    assert scheduled_emails_send_due(now=now + dt.timedelta(days=3)) == {}
    assert not Contact.objects.filter(application=test.application).exists()
    page = client.get(reverse("candidates:application_detail", args=[test.application_id])).text
    assert "Cancelled" in page


def test_a_sent_email_cannot_be_cancelled(team, sync_outbound):
    test = closed_silence_test(requisition=team["req"])
    now = timezone.now()
    scheduled = application_reject(
        application=test.application,
        actor=team["manager"],
        reason="Stayed silent",
        email_kind=TemplateKind.REJECTION_SILENT,
        now=now,
    )
    scheduled_emails_send_due(now=now + dt.timedelta(hours=2))
    with pytest.raises(Exception, match="already sent"):
        scheduled_email_cancel(scheduled_email=scheduled, actor=team["manager"], now=now)


def test_an_application_reopened_before_the_send_gets_no_rejection_email(team):
    test = closed_silence_test(requisition=team["req"])
    now = timezone.now()
    scheduled = application_reject(
        application=test.application,
        actor=team["manager"],
        reason="Stayed silent",
        email_kind=TemplateKind.REJECTION_SILENT,
        now=now,
    )
    application_move(
        application=test.application,
        to_stage=stage_of(team["req"], StageKind.FINAL),
        actor=team["manager"],
        reason="Changed our mind",
    )
    assert scheduled_emails_send_due(now=now + dt.timedelta(hours=2)) == {"cancelled": 1}
    scheduled.refresh_from_db()
    assert "moved back" in scheduled.status_note
    assert mail.outbox == []


def test_reject_without_a_reason_is_a_form_error_and_changes_nothing(client, team):
    test = closed_silence_test(requisition=team["req"])
    client.force_login(team["manager"])
    response = _reject(client, test.application, reason="")
    assert response.status_code == 422
    test.application.refresh_from_db()
    assert test.application.stage.kind == StageKind.SILENCE_TEST
    assert not ScheduledEmail.objects.exists()


def test_a_candidate_without_an_address_is_rejected_only_with_no_email(client, team):
    candidate = CandidateFactory(email=False)
    test = closed_silence_test(requisition=team["req"], candidate=candidate)
    client.force_login(team["manager"])
    response = _reject(client, test.application)
    assert response.status_code == 422
    assert "no email address" in response.text
    test.application.refresh_from_db()
    assert test.application.stage.kind == StageKind.SILENCE_TEST  # both or neither
    assert _reject(client, test.application, email_kind="").status_code == 302


@pytest.mark.parametrize("name", ["decisions:advance", "decisions:reject"])
def test_other_teams_applications_are_not_found(client, team, name):
    foreign = closed_silence_test(requisition=RequisitionFactory())
    client.force_login(team["manager"])
    assert client.post(reverse(name, args=[foreign.application_id])).status_code == 404
    foreign.application.refresh_from_db()
    assert foreign.application.stage.kind == StageKind.SILENCE_TEST


def test_other_teams_scheduled_emails_cannot_be_cancelled(client, team):
    other = RequisitionFactory()
    EmailTemplateFactory(pipeline=other.pipeline)
    test = closed_silence_test(requisition=other)
    scheduled = application_reject(
        application=test.application,
        actor=other.hiring_manager,
        reason="Silent",
        email_kind=TemplateKind.REJECTION_SILENT,
        now=timezone.now(),
    )
    client.force_login(team["manager"])
    response = client.post(reverse("decisions:scheduled_email_cancel", args=[scheduled.pk]))
    assert response.status_code == 404
    scheduled.refresh_from_db()
    assert scheduled.status == ScheduledEmailStatus.SCHEDULED


def test_hostile_names_are_escaped_on_the_preview_and_timeline(client, team):
    candidate = CandidateFactory(first_name='<img src=x onerror="alert(1)">')
    test = closed_silence_test(requisition=team["req"], candidate=candidate)
    client.force_login(team["manager"])
    text = client.get(reverse("decisions:reject", args=[test.application_id])).text
    assert "<img src=x" not in text
    assert "&lt;img src=x" in text
    _reject(client, test.application)
    page = client.get(reverse("candidates:application_detail", args=[test.application_id])).text
    assert "<img src=x" not in page


# --- Bulk ------------------------------------------------------------------------------------


def _bulk(client, requisition, ids, **data):
    return client.post(
        reverse("decisions:bulk", args=[requisition.pk]),
        {"applications": [str(i) for i in ids], **data},
        follow=True,
    )


def test_bulk_move_reports_each_refusal_with_its_reason(client, team):
    apps = [ApplicationFactory(requisition=team["req"], interviewing=True) for _ in range(3)]
    already = ApplicationFactory(requisition=team["req"], stage_kind=StageKind.FINAL)
    foreign = ApplicationFactory(requisition=RequisitionFactory(), interviewing=True)
    client.force_login(team["recruiter"])
    final = stage_of(team["req"], StageKind.FINAL)
    response = _bulk(
        client,
        team["req"],
        [a.pk for a in apps] + [already.pk, foreign.pk],
        action="move",
        to_stage=final.pk,
    )
    text = response.text
    assert "3 moved, 2 refused" in text
    assert "already in “Final”" in text
    assert f"#{foreign.pk}: not found" in text
    assert foreign.candidate.last_name not in text
    for app in apps:
        app.refresh_from_db()
        assert app.stage == final
    foreign.refresh_from_db()
    assert foreign.stage.kind == StageKind.INTERVIEW


def test_recruiters_cannot_set_offer_in_bulk_either(client, team):
    apps = [ApplicationFactory(requisition=team["req"], interviewing=True) for _ in range(2)]
    client.force_login(team["recruiter"])
    offer = stage_of(team["req"], StageKind.OFFER)
    text = _bulk(client, team["req"], [a.pk for a in apps], action="move", to_stage=offer.pk).text
    assert "0 moved, 2 refused" in text
    assert "Only the hiring manager can move a candidate to" in text


def test_bulk_reject_with_the_template_schedules_one_email_each(client, team):
    apps = [ApplicationFactory(requisition=team["req"], interviewing=True) for _ in range(2)]
    client.force_login(team["manager"])
    text = _bulk(
        client,
        team["req"],
        [a.pk for a in apps],
        action="reject",
        reason="Not this time",
        email_kind=TemplateKind.REJECTION_SILENT,
    ).text
    assert "2 rejected (2 emails scheduled)" in text
    assert ScheduledEmail.objects.filter(application__in=apps).count() == 2


def test_bulk_reject_with_a_missing_template_refuses_each_item_and_moves_none(client, team):
    app = ApplicationFactory(requisition=team["req"], interviewing=True)
    client.force_login(team["manager"])
    text = _bulk(
        client,
        team["req"],
        [app.pk],
        action="reject",
        reason="Not this time",
        email_kind=TemplateKind.WITHDRAWAL,
    ).text
    assert "0 rejected, 1 refused" in text
    assert "no such email template" in text
    app.refresh_from_db()
    assert app.stage.kind == StageKind.INTERVIEW


def test_bulk_export_lists_only_the_ticked_visible_applications(client, team):
    ticked, _not_ticked = (ApplicationFactory(requisition=team["req"]) for _ in range(2))
    foreign = ApplicationFactory(requisition=RequisitionFactory())
    client.force_login(team["manager"])
    response = client.post(
        reverse("decisions:bulk", args=[team["req"].pk]),
        {"applications": [ticked.pk, foreign.pk], "action": "export"},
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    names = [row[1] for row in rows[1:]]
    assert names == [ticked.candidate.full_name]


@pytest.mark.parametrize("ids", [["x"], ["99999999999999999999999"], []])
def test_bad_bulk_selections_are_a_clear_error_not_a_500(client, team, ids):
    client.force_login(team["manager"])
    response = _bulk(client, team["req"], ids, action="move", to_stage="")
    assert response.status_code == 200
    assert " moved," not in response.text
    assert "The selection is not valid." in response.text or "Tick at least one" in response.text


def test_bulk_on_another_teams_requisition_is_not_found(client, team):
    other = RequisitionFactory()
    app = ApplicationFactory(requisition=other)
    client.force_login(team["manager"])
    response = client.post(
        reverse("decisions:bulk", args=[other.pk]), {"applications": [app.pk], "action": "export"}
    )
    assert response.status_code == 404


def test_board_cards_show_the_test_state_outcome_and_score(client, team):
    test = closed_silence_test(requisition=team["req"])
    client.force_login(team["manager"])
    text = client.get(reverse("hiring:requisition_board", args=[team["req"].pk])).text
    assert "state-closed" in text
    assert "outcome-silent" in text
    assert f'value="{test.application_id}" form="bulk-form"' in text


# --- The template admin ----------------------------------------------------------------------


def _template_post(pipeline, **fields):
    return {
        "pipeline": pipeline.pk,
        "kind": TemplateKind.REJECTION_INTERVIEWS,
        "company": "Acme",
        "subject": "About {requisition_title}",
        "body": "Dear {first_name},\nthank you.",
        "send_delay": "next_business_morning",
        "cancel_minutes": 60,
        "morning_hour": 9,
        **fields,
    }


def test_admins_edit_templates_and_unknown_placeholders_are_refused(client, team):
    admin = UserFactory(admin=True)
    client.force_login(admin)
    url = reverse("admin:decisions_emailtemplate_add")
    refused = client.post(
        url, _template_post(team["req"].pipeline, body="Hi {first_name} {secret_key}")
    )
    assert refused.status_code == 200
    assert "Unknown placeholder {secret_key}" in refused.content.decode()
    subject_break = client.post(url, _template_post(team["req"].pipeline, subject="A\r\nBcc: x"))
    assert subject_break.status_code == 200
    assert client.post(url, _template_post(team["req"].pipeline)).status_code == 302
    assert (
        team["req"].pipeline.email_templates.filter(kind=TemplateKind.REJECTION_INTERVIEWS).exists()
    )


def test_the_admin_preview_shows_the_text_escaped(client, team):
    template = team["req"].pipeline.email_templates.get()
    template.body = "Dear {first_name},\n<script>alert(1)</script>"
    template.save()
    client.force_login(UserFactory(admin=True))
    page = client.get(reverse("admin:decisions_emailtemplate_change", args=[template.pk])).text
    assert "Dear Dana,<br>&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page


@pytest.mark.parametrize("role", ["manager", "recruiter"])
def test_only_admins_open_the_template_admin(client, team, role):
    client.force_login(team[role])
    response = client.get(reverse("admin:decisions_emailtemplate_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_erasing_a_candidate_deletes_the_emails_written_to_them(team):
    test = closed_silence_test(requisition=team["req"])
    application_reject(
        application=test.application,
        actor=team["manager"],
        reason="Silent",
        email_kind=TemplateKind.REJECTION_SILENT,
        now=timezone.now(),
    )
    candidate = test.application.candidate
    exported = candidate_data(candidate=candidate, viewer=None)
    assert exported["decision_emails"][0]["body"].startswith(f"Dear {candidate.first_name},")
    candidate_erase(candidate=candidate, actor=UserFactory(admin=True), reason="request")
    assert not ScheduledEmail.objects.filter(application=test.application).exists()


def test_preview_without_javascript_keeps_the_reason_and_rejects_nothing(client, team):
    test = closed_silence_test(requisition=team["req"])
    client.force_login(team["manager"])
    response = client.post(
        reverse("decisions:reject", args=[test.application_id]),
        {"reason": "Silent", "email_kind": "", "preview": "1"},
    )
    assert response.status_code == 200
    assert "No email will be sent." in response.text
    assert 'value="Silent"' in response.text
    assert "This field is required" not in response.text
    test.application.refresh_from_db()
    assert test.application.stage.kind == StageKind.SILENCE_TEST


def test_reject_and_cancel_with_htmx_swap_the_home_row(client, team):
    test = closed_silence_test(requisition=team["req"])
    client.force_login(team["manager"])
    response = client.post(
        reverse("decisions:reject", args=[test.application_id]),
        {"reason": "Silent", "email_kind": TemplateKind.REJECTION_SILENT},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert f'id="decision-{test.application_id}"' in response.text
    assert "you can cancel it until then" in response.text
    scheduled = ScheduledEmail.objects.get(application=test.application)
    cancel = client.post(
        reverse("decisions:scheduled_email_cancel", args=[scheduled.pk]),
        headers={"HX-Request": "true"},
    )
    assert cancel.status_code == 200
    assert f'id="scheduled-{scheduled.pk}"' in cancel.text
    assert "is cancelled" in cancel.text
    again = client.post(
        reverse("decisions:scheduled_email_cancel", args=[scheduled.pk]),
        headers={"HX-Request": "true"},
    )
    assert "already cancelled" in again.text


def test_htmx_reject_without_a_reason_shows_the_error_in_place(client, team):
    test = closed_silence_test(requisition=team["req"])
    client.force_login(team["manager"])
    response = client.post(
        reverse("decisions:reject", args=[test.application_id]),
        {"reason": "", "email_kind": TemplateKind.REJECTION_SILENT},
        headers={"HX-Request": "true"},
    )
    # htmx swaps only 2xx responses: the refused form comes back as one, with its error.
    assert response.status_code == 200
    assert "reject-form" in response.text
    assert "This field is required" in response.text
