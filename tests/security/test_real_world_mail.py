"""Issue #21, items 1-5: real-world mail that mail clients read, redelivered parsed-format
webhooks, misconfigured provider events and Twilio values out of range. Each fixture failed on
the code before the fix (see the issue for what each answered)."""

import json
import logging
import time
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from followups.email_parsing import parse_email
from followups.models import Contact, InboundMessage
from tests.emails import make_email
from tests.factories import CandidateFactory, CandidatePhoneFactory
from tests.security.helpers import (
    TWILIO_TOKEN,
    basic_auth,
    esp_url,
    ingest_command,
    mailgun_signature,
    twilio_post,
)

CANDIDATE = "dana.whitfield@example.com"
BOM = b"\xef\xbb\xbf"


@pytest.fixture
def webhooks_on(settings):
    settings.ANYMAIL = {
        "WEBHOOK_SECRET": "persist:webhook-secret",
        "MAILGUN_WEBHOOK_SIGNING_KEY": "key-mailgun-signing",
    }


@pytest.fixture
def twilio_on(settings):
    settings.TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.PUBLIC_BASE_URL = ""


# --- 1. a byte-order mark before the first header field ------------------------------------


def test_a_message_starting_with_a_utf8_bom_is_read_like_any_other():
    raw = make_email(from_=CANDIDATE, subject="Territory plan", message_id="<bom-1@mail.example>")
    parsed = parse_email(BOM + raw)
    assert (parsed.from_address, parsed.subject, parsed.message_id) == (
        CANDIDATE,
        "Territory plan",
        "bom-1@mail.example",
    )
    assert "\ufeff" not in parsed.from_header + parsed.subject


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_pipe_stores_a_message_starting_with_a_bom_instead_of_bouncing_it():
    CandidateFactory(email=CANDIDATE)
    raw = make_email(from_=CANDIDATE, subject="Territory plan")
    done = ingest_command(stdin=BOM + raw)
    assert done.returncode == 0, done.stderr.decode()
    assert Contact.objects.get().subject == "Territory plan"


# --- 2. a junk line inside the header block --------------------------------------------------

JUNK_HEADER = (
    b"Received: from mx.example.net by mx.persist.example; Mon, 14 Apr 2025 10:00:00 +0000\r\n"
    b"quite Delivered-To: jobs@persist.example\r\n"
    b"From: Dana Whitfield <dana.whitfield@example.com>\r\n"
    b"To: jobs@persist.example\r\n"
    b"Subject: Following up\r\n"
    b"Date: Mon, 14 Apr 2025 09:58:00 +0000\r\n"
    b"Message-ID: <junk-1@mail.example>\r\n"
    b"\r\n"
    b"Hi Morgan, a plan for the territory.\r\n"
)


def test_a_junk_line_in_the_header_block_is_a_defect_not_the_end_of_the_header():
    parsed = parse_email(JUNK_HEADER)
    assert parsed.from_address == CANDIDATE
    assert parsed.message_id == "junk-1@mail.example"
    assert parsed.subject == "Following up"
    assert parsed.sent_at is not None
    assert parsed.text == "Hi Morgan, a plan for the territory."
    assert "InvalidHeaderLine" in parsed.defects


def test_a_junk_first_line_before_the_header_fields_is_skipped_too():
    parsed = parse_email(b"quite Delivered-To: jobs@persist.example\r\n" + JUNK_HEADER[86:])
    assert (parsed.from_address, parsed.message_id) == (CANDIDATE, "junk-1@mail.example")
    assert "InvalidHeaderLine" in parsed.defects


def test_a_header_without_a_blank_line_keeps_its_body():
    # No blank line: where the header ends is unknown, so nothing is dropped as junk.
    parsed = parse_email(b"From: dana.whitfield@example.com\nSubject: hi\nHello there\nbye\n")
    assert parsed.from_address == CANDIDATE
    assert "Hello there" in parsed.text


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_pipe_stores_a_message_with_a_junk_header_line():
    CandidateFactory(email=CANDIDATE)
    done = ingest_command(stdin=JUNK_HEADER)
    assert done.returncode == 0, done.stderr.decode()
    assert Contact.objects.get().external_id == "junk-1@mail.example"


# --- 3. redelivered parsed-format webhooks without a Message-ID --------------------------------


def _postmark_parsed(**extra):
    """Postmark inbound JSON without RawEmail: anymail rebuilds the MIME (random boundaries)."""
    return {
        "FromName": "Dana Whitfield",
        "MessageStream": "inbound",
        "From": CANDIDATE,
        "FromFull": {"Email": CANDIDATE, "Name": "Dana Whitfield"},
        "To": "jobs@persist.example",
        "ToFull": [{"Email": "jobs@persist.example", "Name": ""}],
        "Subject": "Thoughts on the Q1 pipeline",
        "MessageID": "73e6d360-66eb-11e1-8e72-a8904824019b",
        "Date": "Fri, 27 Nov 2026 09:12:00 -0500",
        "TextBody": "Hi Morgan, I put together a plan for the first 90 days.",
        "HtmlBody": "<p>Hi Morgan, I put together a plan for the first 90 days.</p>",
        "Headers": [],
        "Attachments": [
            {"Name": "plan.pdf", "Content": "JVBERi0xLjcK", "ContentType": "application/pdf"}
        ],
        **extra,
    }


def test_a_postmark_parsed_post_delivered_three_times_is_one_contact(client, webhooks_on):
    CandidateFactory(email=CANDIDATE)
    body = json.dumps(_postmark_parsed())
    for _ in range(3):
        response = client.post(
            esp_url("postmark"), body, content_type="application/json", **basic_auth()
        )
        assert response.status_code == 200
    assert Contact.objects.count() == 1
    assert InboundMessage.objects.count() == 1


def test_postmark_redelivery_is_recognised_by_postmarks_message_id_alone(client, webhooks_on):
    CandidateFactory(email=CANDIDATE)
    first = _postmark_parsed()
    # The same Postmark message (same MessageID) whose rebuilt content differs.
    again = _postmark_parsed(TextBody=first["TextBody"] + " ", HtmlBody="")
    for payload in (first, again):
        response = client.post(
            esp_url("postmark"), json.dumps(payload), content_type="application/json",
            **basic_auth(),
        )  # fmt: skip
        assert response.status_code == 200
    assert Contact.objects.count() == 1


def test_another_postmark_message_with_the_same_text_is_stored(client, webhooks_on):
    CandidateFactory(email=CANDIDATE)
    for message_id, date in [("a-1", "Fri, 27 Nov 2026 09:12:00 -0500"), ("a-2", "")]:
        payload = _postmark_parsed(MessageID=message_id, Date=date)
        response = client.post(
            esp_url("postmark"), json.dumps(payload), content_type="application/json",
            **basic_auth(),
        )  # fmt: skip
        assert response.status_code == 200
    assert Contact.objects.count() == 2


def _sendgrid_parsed_fields():
    """SendGrid Inbound Parse, default (parsed) format, with one attachment."""
    return {
        "headers": (
            "From: Dana Whitfield <dana.whitfield@example.com>\n"
            "To: jobs@persist.example\n"
            "Subject: Territory plan\n"
            "Date: Mon, 14 Apr 2025 09:58:00 +0000\n"
        ),
        "from": "Dana Whitfield <dana.whitfield@example.com>",
        "to": "jobs@persist.example",
        "subject": "Territory plan",
        "text": "Hi Morgan,\nthe plan is attached.\n",
        "html": "<p>Hi Morgan,<br>the plan is attached.</p>",
        "envelope": json.dumps({"to": ["jobs@persist.example"], "from": CANDIDATE}),
        "charsets": json.dumps({"text": "UTF-8", "html": "UTF-8", "subject": "UTF-8"}),
        "attachments": "1",
        "attachment-info": json.dumps(
            {"attachment1": {"filename": "plan.pdf", "type": "application/pdf"}}
        ),
        "attachment1": SimpleUploadedFile("plan.pdf", b"%PDF-1.7 plan", "application/pdf"),
    }


def test_a_sendgrid_parsed_post_delivered_three_times_is_one_contact(client, webhooks_on):
    CandidateFactory(email=CANDIDATE)
    for _ in range(3):
        response = client.post(esp_url("sendgrid"), _sendgrid_parsed_fields(), **basic_auth())
        assert response.status_code == 200
    contact = Contact.objects.get()
    assert contact.attachments.get().filename == "plan.pdf"


def test_a_sendgrid_post_with_another_attachment_is_another_message(client, webhooks_on):
    CandidateFactory(email=CANDIDATE)
    other = _sendgrid_parsed_fields()
    other["attachment1"] = SimpleUploadedFile("plan.pdf", b"%PDF-1.7 v2", "application/pdf")
    for fields in (_sendgrid_parsed_fields(), other):
        assert client.post(esp_url("sendgrid"), fields, **basic_auth()).status_code == 200
    assert Contact.objects.count() == 2


def test_content_fingerprint_survives_re_encoding():
    text = "Hi Morgan,\nthe plan is attached.\n"
    sent = datetime(2025, 4, 14, 9, 58, tzinfo=UTC)
    plain = make_email(from_=CANDIDATE, subject="Plan", body=text, message_id=None, date=sent)
    as_base64 = plain.replace(
        b"Content-Transfer-Encoding: 7bit", b"Content-Transfer-Encoding: base64"
    )
    as_base64 = (
        as_base64.split(b"\n\n", 1)[0] + b"\n\nSGkgTW9yZ2FuLAp0aGUgcGxhbiBpcyBhdHRhY2hlZC4K\n"
    )
    one, two = parse_email(plain), parse_email(as_base64)
    assert one.text == two.text
    assert one.fingerprint != two.fingerprint
    assert one.content_fingerprint == two.content_fingerprint
    assert one.content_fingerprint
    changed = make_email(from_=CANDIDATE, subject="Plan!", body=text, message_id=None, date=sent)
    assert parse_email(changed).content_fingerprint != one.content_fingerprint


def test_identical_notes_without_date_or_message_id_have_no_content_fingerprint():
    # Nothing tells two "Any news?" notes apart: the byte fingerprint alone decides.
    raw = make_email(from_=CANDIDATE, subject="Any news?", body="Any news?", message_id=None)
    assert parse_email(raw).content_fingerprint == ""


# --- 4. a misconfigured provider event -------------------------------------------------------


def _mailgun_signed(fields: dict) -> dict:
    timestamp, token = str(int(time.time())), "c" * 50
    return {
        **fields,
        "timestamp": timestamp,
        "token": token,
        "signature": mailgun_signature(timestamp, token),
    }


def test_mailgun_tracking_event_on_the_inbound_url_is_400_and_says_what_to_fix(
    client, webhooks_on, caplog
):
    fields = _mailgun_signed({"event": "delivered", "recipient": CANDIDATE})
    with caplog.at_level(logging.WARNING):
        response = client.post(esp_url("mailgun"), fields, **basic_auth())
    assert response.status_code == 400
    assert "tracking" in caplog.text
    assert "reconfigure" in caplog.text.lower()


def test_mailgun_json_tracking_event_on_the_inbound_url_is_400_and_says_what_to_fix(
    client, webhooks_on, caplog
):
    timestamp, token = str(int(time.time())), "e" * 50
    body = {
        "signature": {
            "timestamp": timestamp,
            "token": token,
            "signature": mailgun_signature(timestamp, token),
        },
        "event-data": {"event": "opened", "id": "x"},
    }
    with caplog.at_level(logging.WARNING):
        response = client.post(
            esp_url("mailgun"), json.dumps(body), content_type="application/json", **basic_auth()
        )
    assert response.status_code == 400
    assert "opened tracking" in caplog.text


def test_mailgun_store_action_on_the_inbound_url_is_400_and_says_what_to_fix(
    client, webhooks_on, caplog
):
    fields = _mailgun_signed(
        {
            "recipient": "jobs@persist.example",
            "sender": CANDIDATE,
            "attachments": "[]",
            "message-headers": "[]",
        }
    )
    with caplog.at_level(logging.WARNING):
        response = client.post(esp_url("mailgun"), fields, **basic_auth())
    assert response.status_code == 400
    assert "forward()" in caplog.text


def test_postmark_delivery_event_on_the_inbound_url_is_400_and_says_what_to_fix(
    client, webhooks_on, caplog
):
    body = json.dumps({"RecordType": "Delivery", "MessageID": "x", "Recipient": CANDIDATE})
    with caplog.at_level(logging.WARNING):
        response = client.post(
            esp_url("postmark"), body, content_type="application/json", **basic_auth()
        )
    assert response.status_code == 400
    assert "Delivery" in caplog.text
    assert "reconfigure" in caplog.text.lower()
    assert not InboundMessage.objects.exists()


# --- 5. Twilio: NUL bytes and out-of-range values --------------------------------------------

SMS = {"MessageSid": "SM" + "4" * 32, "From": "+16502530000", "To": "+14155550199"}
CALL = {
    "CallSid": "CA" + "4" * 32,
    "CallStatus": "completed",
    "Direction": "inbound",
    "From": "+16502530000",
    "To": "+14155550199",
}


@pytest.mark.parametrize("body", ["call\x00 me back", "call\x00\x07 me\x1b back"])
def test_twilio_sms_body_with_nul_and_controls_is_stored_without_them(client, twilio_on, body):
    CandidatePhoneFactory(number="+16502530000")
    response = twilio_post(client, "/webhooks/twilio/sms/", {**SMS, "Body": body})
    assert response.status_code == 200
    assert Contact.objects.get().summary == "call me back"


@pytest.mark.parametrize("duration", ["2147483648", "1e12", "1e15", "-5", "86401"])
def test_twilio_call_duration_out_of_range_is_400_not_500(client, twilio_on, duration):
    CandidatePhoneFactory(number="+16502530000")
    response = twilio_post(
        client, "/webhooks/twilio/voice-status/", {**CALL, "CallDuration": duration}
    )
    assert response.status_code == 400
    assert not Contact.objects.exists()


def test_twilio_call_duration_of_a_day_is_stored(client, twilio_on):
    CandidatePhoneFactory(number="+16502530000")
    response = twilio_post(
        client, "/webhooks/twilio/voice-status/", {**CALL, "CallDuration": "86400"}
    )
    assert response.status_code == 200
    assert Contact.objects.get().duration_seconds == 86400
