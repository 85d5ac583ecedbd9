"""Decision emails: the text is admin-controlled, the names in it are hostile."""

import datetime as dt

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from decisions.models import EmailTemplate, ScheduledEmail, TemplateKind
from decisions.services import application_reject, scheduled_emails_send_due
from hiring.models import StageKind
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    EmailTemplateFactory,
    RequisitionFactory,
    UserFactory,
    closed_silence_test,
)


@pytest.fixture
def sync_outbound(monkeypatch):
    monkeypatch.setattr(
        "followups.services.async_task", lambda func, *args, **kwargs: import_string(func)(*args)
    )


def _reject_and_send(test, manager, django_capture_on_commit_callbacks):
    now = timezone.now()
    application_reject(
        application=test.application,
        actor=manager,
        reason="Silent",
        email_kind=TemplateKind.REJECTION_SILENT,
        now=now,
    )
    with django_capture_on_commit_callbacks(execute=True):
        scheduled_emails_send_due(now=now + dt.timedelta(hours=2))
    [message] = mail.outbox
    return message


def test_a_name_with_header_fields_cannot_add_recipients_or_headers(
    sync_outbound, django_capture_on_commit_callbacks
):
    manager = UserFactory(hiring_manager=True, first_name="Eve\r\nBcc: boss@example.com")
    requisition = RequisitionFactory(hiring_manager=manager, title="AE\nX-Injected: yes")
    EmailTemplateFactory(pipeline=requisition.pipeline, subject="{first_name}: {requisition_title}")
    candidate = CandidateFactory(
        first_name="Mallory\r\nBcc: all@example.com\r\n\r\nbody", email="mallory@example.com"
    )
    test = closed_silence_test(requisition=requisition, candidate=candidate)
    message = _reject_and_send(test, manager, django_capture_on_commit_callbacks)
    assert message.bcc == []
    raw = message.message().as_bytes()
    fields = [line.split(b":", 1)[0].lower() for line in raw.split(b"\n\n", 1)[0].split(b"\n")]
    assert b"bcc" not in fields
    assert b"x-injected" not in fields
    assert message.subject == "Mallory Bcc: all@example.com body: AE X-Injected: yes"


def test_template_syntax_written_by_an_admin_or_a_candidate_is_sent_as_text(
    sync_outbound, django_capture_on_commit_callbacks, settings
):
    manager = UserFactory(hiring_manager=True)
    requisition = RequisitionFactory(hiring_manager=manager)
    EmailTemplateFactory(
        pipeline=requisition.pipeline,
        body="{{ settings.SECRET_KEY }} {% debug %} {0.__class__} {first_name}",
    )
    candidate = CandidateFactory(
        first_name="{requisition_title}{{ request }}", email="curly@example.com"
    )
    test = closed_silence_test(requisition=requisition, candidate=candidate)
    message = _reject_and_send(test, manager, django_capture_on_commit_callbacks)
    assert settings.SECRET_KEY not in message.body
    assert message.body == (
        "{{ settings.SECRET_KEY }} {% debug %} {0.__class__} {requisition_title}{{ request }}"
    )


def test_the_sender_claims_rows_with_skip_locked():
    requisition = RequisitionFactory()
    EmailTemplateFactory(pipeline=requisition.pipeline)
    test = closed_silence_test(requisition=requisition)
    application_reject(
        application=test.application,
        actor=requisition.hiring_manager,
        reason="Silent",
        email_kind=TemplateKind.REJECTION_SILENT,
        now=timezone.now(),
    )
    with CaptureQueriesContext(connection) as queries:
        scheduled_emails_send_due(now=timezone.now() + dt.timedelta(hours=2))
    claims = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"]]
    assert claims
    assert "SKIP LOCKED" in claims[0]
    assert ScheduledEmail._meta.db_table in claims[0]


def test_a_bulk_post_with_another_teams_ids_moves_none_of_them(client):
    manager = UserFactory(hiring_manager=True)
    own = RequisitionFactory(hiring_manager=manager)
    others = [ApplicationFactory(requisition=RequisitionFactory()) for _ in range(3)]
    client.force_login(manager)
    response = client.post(
        reverse("decisions:bulk", args=[own.pk]),
        {
            "applications": [a.pk for a in others],
            "action": "reject",
            "reason": "x",
            "email_kind": TemplateKind.REJECTION_SILENT,
        },
        follow=True,
    )
    assert "0 rejected, 3 refused" in response.text
    for application in others:
        application.refresh_from_db()
        assert application.stage.kind == StageKind.APPLIED
        assert application.candidate.first_name not in response.text
    assert not ScheduledEmail.objects.exists()
    assert not EmailTemplate.objects.filter(pipeline=own.pipeline).exists()
