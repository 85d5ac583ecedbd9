"""The standing hostile-input corpus, run against every ingest path with a time bound per case.

Every case must end in a clear answer (stored, refused with a record, 400 / 413) within its
bound, never a 500 or a stuck worker. Paths: the ``ingest_email`` pipe (a real subprocess),
IMAP (a real Dovecot), the Mailgun / SendGrid / Postmark webhooks (their wire formats through
anymail), Twilio SMS and voice-status webhooks (signed), and the call CSV import.
"""

import json
from functools import cache

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from followups.imap import imap_poll
from followups.imports import call_import_create, call_import_run
from followups.models import Contact, InboundMessage
from tests.emails import make_email
from tests.security.helpers import (
    TWILIO_TOKEN,
    basic_auth,
    esp_url,
    fresh_folder,
    ingest_command,
    mailgun_fields,
    post_esp,
    sendgrid_fields,
    twilio_post,
    within,
)

CANDIDATE = "dana.whitfield@example.com"
#: Seconds per case (generous: the machine running the suite may be shared).
BOUND = 30
HEAD = (
    f"From: Dana <{CANDIDATE}>\r\nTo: jobs@persist.example\r\n"
    "Date: Mon, 14 Apr 2025 10:00:00 +0000\r\n"
)


def _multipart(parts: int) -> bytes:
    body = b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % n for n in range(parts))
    return (
        (
            HEAD + "Subject: many parts\r\nMessage-ID: <many-parts@x>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        ).encode()
        + body
        + b"--b--\r\n"
    )


def _deep_mime(depth: int) -> bytes:
    opening = b"".join(
        b'--b%d\r\nContent-Type: multipart/mixed; boundary="b%d"\r\n\r\n' % (n, n + 1)
        for n in range(depth)
    )
    closing = b"".join(b"--b%d--\r\n" % n for n in reversed(range(depth + 1)))
    return (
        (
            HEAD + "Subject: deep\r\nMessage-ID: <deep-mime@x>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="b0"\r\n\r\n'
        ).encode()
        + opening
        + b"--b%d\r\nContent-Type: text/plain\r\n\r\ndeep\r\n" % depth
        + closing
    )


def _huge_headers() -> bytes:
    fields = "".join(f"X-Filler-{n}: {'v' * 60}\r\n" for n in range(20_000))
    subject = "Subject: " + " ".join(["word"] * 100_000) + "\r\n"
    return (HEAD + "Message-ID: <huge-headers@x>\r\n" + subject + fields + "\r\nbody\r\n").encode()


@cache
def corpus() -> dict[str, bytes]:
    return {
        "nested-divs": make_email(
            from_=CANDIDATE, subject="nested", body="", html="hi" + "<div>" * 400_000
        ),
        "formatting-attrs": make_email(
            from_=CANDIDATE,
            subject="formatting",
            body="",
            html="".join(f"<b id={n}>" for n in range(100_000)) + "<p>x</p>" * 1000,
        ),
        "unclosed-tags": make_email(
            from_=CANDIDATE, subject="unclosed", body="", html='<div a="' + "<div" * 300_000
        ),
        "huge-headers": _huge_headers(),
        "many-parts": _multipart(20_000),
        "deep-mime": _deep_mime(2_000),
        "long-line": make_email(from_=CANDIDATE, subject="long", body="x" * 5_000_000 + "\n"),
        "many-recipients": (
            HEAD.replace("To: jobs@persist.example", "To: jobs@persist.example, ")
            + ",\r\n ".join(f"r{n}@example.org" for n in range(30_000))
            + "\r\nSubject: recipients\r\nMessage-ID: <many-recipients@x>\r\n\r\nhello\r\n"
        ).encode(),
    }


CASES = [
    "nested-divs",
    "formatting-attrs",
    "unclosed-tags",
    "huge-headers",
    "many-parts",
    "deep-mime",
    "long-line",
    "many-recipients",
]


def _kept(raw_case: str) -> None:
    """The message is stored (raw kept) or recorded as refused: never lost, never doubled."""
    assert InboundMessage.objects.count() == 1, raw_case
    message = InboundMessage.objects.get()
    assert message.parse_error or Contact.objects.filter(message=message).exists()


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


# --- email paths ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("case", CASES)
def test_pipe_handles_hostile_message(case):
    with within(BOUND):
        result = ingest_command(stdin=corpus()[case], timeout=BOUND)
    assert result.returncode == 0, result.stderr
    _kept(case)


@pytest.mark.parametrize("case", CASES)
def test_imap_poll_handles_hostile_message(case, imap_server):
    config = fresh_folder(imap_server, f"hostile-{case}", [corpus()[case]])
    with within(BOUND):
        result = imap_poll(config=config)
    assert result.fetched == 1
    _kept(case)


@pytest.mark.parametrize("esp", ["mailgun", "sendgrid", "postmark"])
@pytest.mark.parametrize("case", CASES)
def test_esp_webhook_handles_hostile_message(client, webhooks_on, esp, case):
    with within(BOUND):
        response = post_esp(client, esp, corpus()[case])
    assert response.status_code in (200, 400), response.content[:300]
    if response.status_code == 200:
        _kept(case)


MALFORMED_ESP_POSTS = {
    "postmark-list": ("postmark", "json", "[]"),
    "postmark-invalid-json": ("postmark", "json", '{"From": '),
    "postmark-number": ("postmark", "json", "17"),
    "postmark-wrong-types": ("postmark", "json", json.dumps({"Headers": "x", "ToFull": 1})),
    "postmark-raw-not-text": ("postmark", "json", json.dumps({"RawEmail": ["a"]})),
    "postmark-deep-json": ("postmark", "json", "[" * 100_000 + "]" * 100_000),
    "sendgrid-no-email": ("sendgrid", "form", {"to": "jobs@persist.example"}),
    "sendgrid-bad-envelope": ("sendgrid", "form", {**sendgrid_fields(b""), "envelope": "{"}),
    "mailgun-no-signature": ("mailgun", "form", {"body-mime": "From: a@b.example\r\n\r\nx"}),
    "mailgun-timestamp-text": ("mailgun", "form", {**mailgun_fields(b"x"), "timestamp": "soon"}),
}


@pytest.mark.parametrize("name", list(MALFORMED_ESP_POSTS))
def test_malformed_esp_post_is_a_client_error(client, webhooks_on, name):
    esp, kind, body = MALFORMED_ESP_POSTS[name]
    with within(5):
        if kind == "json":
            response = client.post(
                esp_url(esp), body, content_type="application/json", **basic_auth()
            )
        else:
            response = client.post(esp_url(esp), body, **basic_auth())
    assert 400 <= response.status_code < 500 or (
        response.status_code == 200 and not Contact.objects.exists()
    ), (name, response.status_code)


# --- Twilio ------------------------------------------------------------------------------------

SMS = {
    "MessageSid": "SM" + "2" * 32,
    "From": "+16502530000",
    "To": "+14155550199",
    "Body": "hi",
}
CALL = {
    "CallSid": "CA" + "2" * 32,
    "CallStatus": "completed",
    "Direction": "inbound",
    "From": "+16502530000",
    "To": "+14155550199",
    "CallDuration": "60",
}
TWILIO_CASES = {
    "sms-num-media-huge": ("sms", {**SMS, "NumMedia": "100000000"}),
    "sms-num-media-negative": ("sms", {**SMS, "NumMedia": "-5"}),
    "sms-num-media-digits": ("sms", {**SMS, "NumMedia": "9" * 5000}),
    "sms-body-2mb": ("sms", {**SMS, "Body": "x" * 2_000_000}),
    "sms-many-fields": ("sms", {**SMS, **{f"MediaUrl{n}": "u" for n in range(900)}}),
    "sms-from-garbage": ("sms", {**SMS, "From": "+" + "9" * 10_000}),
    "voice-duration-huge": ("voice-status", {**CALL, "CallDuration": "9" * 23}),
    "voice-duration-negative": ("voice-status", {**CALL, "CallDuration": "-1"}),
    "voice-timestamp-garbage": ("voice-status", {**CALL, "Timestamp": "Mon, 99 Foo 99999"}),
    "voice-direction-unknown": ("voice-status", {**CALL, "Direction": "sideways" * 1000}),
}


@pytest.mark.parametrize("name", list(TWILIO_CASES))
def test_twilio_webhook_handles_hostile_post(client, twilio_on, name):
    kind, params = TWILIO_CASES[name]
    with within(5):
        response = twilio_post(client, f"/webhooks/twilio/{kind}/", params)
    assert response.status_code in (200, 400), (name, response.status_code)


# --- call CSV import -------------------------------------------------------------------------

CSV_CASES = {
    "one-huge-line": b"phone,started_at,duration\n+16502530000,2025-04-14 10:00,"
    + b"9" * 5_000_000,
    "many-columns": (",".join(f"c{n}" for n in range(100_000)) + "\n1,2,3\n").encode(),
    "nul-bytes": b"phone,started_at\n\x00\x00+1650\x00,2025\n" * 1000,
    "unterminated-quote": b'phone,started_at\n"' + b"x" * 2_000_000,
    "many-rows": b"phone,started_at,duration\n"
    + b"+16502530000,2025-04-14 10:00,99999999999\n" * 50_000,
    "binary": bytes(range(256)) * 4000,
}


@pytest.mark.parametrize("name", list(CSV_CASES))
def test_call_import_handles_hostile_file(name):
    with within(BOUND):
        try:
            batch = call_import_create(
                uploaded_by=None,
                filename="calls.csv",
                content=CSV_CASES[name],
                preset="generic",
                default_region="US",
                enqueue=False,
            )
        except ValidationError:  # a clear refusal (e.g. not a CSV file) is a fine answer
            return
        call_import_run(batch_id=batch.pk, now=timezone.now(), time_zone="UTC")
