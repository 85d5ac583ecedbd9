"""The integrations admin as an admin (Admins group, staff, not a superuser) uses it: the
signing secret shown once then masked, URLs validated, redeliver from the log, every write
audited."""

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from hiring import events
from integrations import services
from integrations.models import Delivery, DeliveryState, Endpoint, EndpointKind
from tests.factories import RequisitionFactory, UserFactory


@pytest.fixture
def admin_client(client):
    user = UserFactory(admin=True)
    assert not user.is_superuser
    client.force_login(user)
    client.user = user
    return client


def _form(**overrides):
    return {
        "name": "ATS",
        "kind": EndpointKind.STANDARD,
        "url": "https://ats.example.com/hooks/persist",
        "events": [events.APPLICATION_STAGE_CHANGED, events.SCORE_CHANGED],
        "requisition": "",
        "active": "on",
        **overrides,
    }


def test_an_admin_registers_an_endpoint_and_sees_its_secret_once(admin_client):
    response = admin_client.post(reverse("admin:integrations_endpoint_add"), _form())
    assert response.status_code == 200
    endpoint = Endpoint.objects.get()
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.secret in response.content.decode()
    assert endpoint.events == sorted([events.APPLICATION_STAGE_CHANGED, events.SCORE_CHANGED])
    assert endpoint.created_by == admin_client.user
    # Afterwards only its last characters.
    page = admin_client.get(reverse("admin:integrations_endpoint_change", args=[endpoint.pk]))
    assert endpoint.secret not in page.content.decode()
    assert endpoint.secret[-4:] in page.content.decode()
    assert AuditEvent.objects.filter(action="admin_changed", object_id=str(endpoint.pk)).exists()


@pytest.mark.parametrize(
    "url", ["ftp://ats.example.com/x", "http://ats.example.com/x", "https://u:p@ats.example.com/"]
)
def test_an_endpoint_url_that_may_not_be_called_is_a_form_error(admin_client, url):
    response = admin_client.post(reverse("admin:integrations_endpoint_add"), _form(url=url))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not Endpoint.objects.exists()


def test_a_posted_secret_is_ignored(admin_client):
    admin_client.post(
        reverse("admin:integrations_endpoint_add"), _form(secret="whsec_chosenByTheAttacker")
    )
    assert Endpoint.objects.get().secret != "whsec_chosenByTheAttacker"


def test_rotating_the_secret_shows_the_new_one_once_and_is_audited(admin_client):
    endpoint = services.endpoint_create(
        name="ATS",
        kind=EndpointKind.STANDARD,
        url="https://ats.example.com/hooks",
        event_names=[events.SCORE_CHANGED],
    )
    old = endpoint.secret
    response = admin_client.post(
        reverse("admin:integrations_endpoint_changelist"),
        {"action": "rotate_secret", "_selected_action": [endpoint.pk]},
    )
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    assert endpoint.secret in response.content.decode()
    assert AuditEvent.objects.filter(
        action="admin_changed", object_id=str(endpoint.pk), details__action="rotate_secret"
    ).exists()


def test_a_slack_endpoint_needs_a_requisition_and_a_slack_url(admin_client, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    response = admin_client.post(
        reverse("admin:integrations_endpoint_add"),
        _form(kind=EndpointKind.SLACK, url="https://hooks.slack.com/services/T/B/X", events=[]),
    )
    assert "requisition" in response.context["adminform"].form.errors
    requisition = RequisitionFactory()
    admin_client.post(
        reverse("admin:integrations_endpoint_add"),
        _form(
            kind=EndpointKind.SLACK,
            url="https://hooks.slack.com/services/T/B/X",
            events=[],
            requisition=requisition.pk,
        ),
    )
    assert Endpoint.objects.get().events == [events.SILENCE_DIGEST_READY]


def test_the_delivery_log_is_read_only_but_redeliver_works_and_is_audited(admin_client):
    endpoint = services.endpoint_create(
        name="ATS",
        kind=EndpointKind.STANDARD,
        url="https://ats.example.com/hooks",
        event_names=[events.SCORE_CHANGED],
    )
    delivery = Delivery.objects.create(
        endpoint=endpoint,
        event=events.SCORE_CHANGED,
        message_id="msg_test",
        payload={"type": "score.changed"},
        state=DeliveryState.DELIVERED,
        attempts=1,
        next_attempt_at=timezone.now(),
        created_at=timezone.now(),
    )
    changelist = reverse("admin:integrations_delivery_changelist")
    assert admin_client.get(changelist).status_code == 200
    change = reverse("admin:integrations_delivery_change", args=[delivery.pk])
    assert admin_client.post(change, {"state": "cancelled"}).status_code == 403
    admin_client.post(changelist, {"action": "redeliver", "_selected_action": [delivery.pk]})
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING
    assert AuditEvent.objects.filter(
        action="admin_changed", object_id=str(delivery.pk), details__action="redeliver"
    ).exists()


def test_recruiters_and_managers_cannot_open_the_integrations_admin(client):
    for user in (UserFactory(recruiter=True), UserFactory(hiring_manager=True)):
        client.force_login(user)
        response = client.get(reverse("admin:integrations_endpoint_changelist"))
        assert response.status_code in {302, 403}
