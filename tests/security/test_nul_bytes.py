"""A NUL character (which PostgreSQL text cannot store) in a signed Twilio webhook or past the
first 4 KB of a call CSV is refused or dropped with a clear answer, never a database error
(found by the Chromium pen test: the webhooks answered 500, the import failed whole with
"DataError")."""

import pytest
from django.core.exceptions import ValidationError

from followups.imports import call_import_create
from followups.models import Contact
from tests.security.helpers import TWILIO_TOKEN, twilio_post

SMS = {"MessageSid": "SM" + "3" * 32, "From": "+16502530000", "To": "+14155550199", "Body": "hi"}
CALL = {
    "CallSid": "CA" + "3" * 32,
    "CallStatus": "completed",
    "Direction": "inbound",
    "From": "+16502530000",
    "To": "+14155550199",
    "CallDuration": "60",
}


@pytest.fixture
def twilio_on(settings):
    settings.TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.PUBLIC_BASE_URL = ""


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("sms", {**SMS, "MessageSid": "SM\x00" + "3" * 30}),
        ("voice-status", {**CALL, "CallSid": "CA\x00" + "3" * 30}),
    ],
    ids=["sms-sid", "call-sid"],
)
def test_twilio_id_with_nul_is_a_400_not_a_500(client, twilio_on, path, params):
    response = twilio_post(client, f"/webhooks/twilio/{path}/", params)

    assert response.status_code == 400
    assert not Contact.objects.exists()


def test_twilio_text_with_nul_is_stored_without_it(client, twilio_on):
    response = twilio_post(client, "/webhooks/twilio/sms/", {**SMS, "Body": "call\x00 me back"})

    assert response.status_code == 200
    assert Contact.objects.get().summary == "call me back"


def test_call_csv_with_nul_past_the_sniffed_head_is_refused_with_its_line():
    header = b"datetime,direction,from,to,notes\n"
    row = b"2025-04-14 10:00,inbound,+16502530000,+14155550199,ok\n"
    content = header + row * 200 + b"2025-04-14 11:00,inbound,+16502530000,+1415,no\x00te\n"
    assert content.index(b"\x00") > 4096

    with pytest.raises(ValidationError, match="Line 202 contains a NUL byte"):
        call_import_create(
            uploaded_by=None,
            filename="calls.csv",
            content=content,
            preset="generic",
            default_region="US",
            enqueue=False,
        )
