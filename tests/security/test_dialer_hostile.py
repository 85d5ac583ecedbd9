"""Hostile requests to the dialer webhooks: never a 500, never a stored contact without a valid
token or signature, bounded work."""

import base64
import json

import jwt
import pytest
from django.urls import reverse

from followups.models import Contact

TOKEN = "aircall-token"
SECRET = "dialpad-secret-long-enough-for-hs256-keys!"


@pytest.fixture(autouse=True)
def dialers_on(settings):
    settings.AIRCALL_WEBHOOK_TOKEN = TOKEN
    settings.DIALPAD_WEBHOOK_SECRET = SECRET


NESTED = "[" * 50_000 + "]" * 50_000


@pytest.mark.parametrize(
    "body",
    [
        NESTED,
        json.dumps(
            {"token": TOKEN, "event": "call.ended", "data": json.loads("[" * 500 + "]" * 500)}
        ),
        json.dumps({"token": ["not", "a", "string"], "event": "call.ended"}),
        json.dumps({"token": TOKEN + "\x00", "event": "call.ended"}),
        json.dumps(
            {
                "token": TOKEN,
                "event": "call.ended",
                "data": {"id": 1, "direction": "inbound", "raw_digits": "+1\x00650", "number": 5},
            }
        ),
    ],
)
def test_aircall_hostile_bodies_never_500(client, body):
    response = client.post(
        reverse("followups:aircall_webhook"), data=body, content_type="application/json"
    )
    assert response.status_code < 500


def test_aircall_token_in_another_type_is_refused(client):
    body = json.dumps({"token": 0, "event": "call.ended", "data": {}})
    response = client.post(
        reverse("followups:aircall_webhook"), data=body, content_type="application/json"
    )
    assert response.status_code == 403
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-jwt",
        "a.b.c",
        base64.urlsafe_b64encode(NESTED.encode()).decode().rstrip("=") + ".e30.sig",
        "x" * 300_000,
        "é.é.é",
    ],
)
def test_dialpad_hostile_tokens_never_500(client, token):
    response = client.post(
        reverse("followups:dialpad_webhook"), data=token.encode(), content_type="application/jwt"
    )
    assert 400 <= response.status_code < 500
    assert not Contact.objects.exists()


def test_dialpad_signed_claims_that_are_not_an_event_are_a_400(client):
    token = jwt.encode({"state": "hangup", "call_id": {"nested": 1}}, SECRET, algorithm="HS256")
    response = client.post(
        reverse("followups:dialpad_webhook"), data=token, content_type="application/jwt"
    )
    assert response.status_code == 400
