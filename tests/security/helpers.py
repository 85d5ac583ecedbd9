"""Entry points of the ingest paths as the outside world drives them (a real subprocess for the
pipe, a real Dovecot for IMAP, the ESPs' and Twilio's documented wire formats)."""

import base64
import hashlib
import hmac
import imaplib
import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

from django.db import connection
from django.urls import reverse
from twilio.request_validator import RequestValidator

from followups.imap import ImapConfig

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK_SECRET = "persist:webhook-secret"
MAILGUN_KEY = "key-mailgun-signing"
TWILIO_TOKEN = "twilio-auth-token-for-tests"


@contextmanager
def within(seconds: float):
    """Fail when the block takes longer than ``seconds`` (the per-case time bound)."""
    started = time.monotonic()
    yield
    took = time.monotonic() - started
    assert took < seconds, f"took {took:.1f} s, bound {seconds} s"


def ingest_command(*args, stdin: bytes | None = None, timeout: float = 60, env_extra=None):
    env = dict(os.environ)
    db = connection.settings_dict
    env["DATABASE_URL"] = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "manage.py", "ingest_email", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        timeout=timeout,
    )


def basic_auth(secret=WEBHOOK_SECRET):
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def esp_url(esp):
    return reverse("followups:inbound_email_webhook", args=[esp])


def mailgun_signature(timestamp: str, token: str, key=MAILGUN_KEY) -> str:
    return hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()


def mailgun_fields(raw: bytes, *, timestamp: int | None = None, token: str | None = None):
    """Mailgun's forward() to a URL ending in "mime": the message in ``body-mime``."""
    timestamp_s = str(int(time.time()) if timestamp is None else timestamp)
    token = token or hashlib.sha256(raw + timestamp_s.encode()).hexdigest()[:50]
    return {
        "body-mime": raw.decode("utf-8", "surrogateescape"),
        "recipient": "jobs@persist.example",
        "sender": "dana.whitfield@example.com",
        "timestamp": timestamp_s,
        "token": token,
        "signature": mailgun_signature(timestamp_s, token),
    }


def sendgrid_fields(raw: bytes):
    """SendGrid Inbound Parse with "POST the raw, full MIME message"."""
    return {
        "email": raw.decode("utf-8", "surrogateescape"),
        "envelope": json.dumps({"to": ["jobs@persist.example"], "from": "x@example.com"}),
        "charsets": json.dumps({"to": "UTF-8", "subject": "UTF-8", "from": "UTF-8"}),
    }


def postmark_raw_payload(raw: bytes) -> str:
    """Postmark inbound JSON with "include raw email content" on (``RawEmail``)."""
    return json.dumps(
        {
            "From": "dana.whitfield@example.com",
            "FromFull": {"Email": "dana.whitfield@example.com", "Name": ""},
            "To": "jobs@persist.example",
            "ToFull": [{"Email": "jobs@persist.example", "Name": ""}],
            "Subject": "",
            "MessageID": "73e6d360-66eb-11e1-8e72-a8904824019b",
            "Headers": [],
            "Attachments": [],
            "RawEmail": raw.decode("utf-8", "surrogateescape"),
        }
    )


def post_esp(client, esp: str, raw: bytes):
    if esp == "mailgun":
        return client.post(esp_url(esp), mailgun_fields(raw), **basic_auth())
    if esp == "sendgrid":
        return client.post(esp_url(esp), sendgrid_fields(raw), **basic_auth())
    return client.post(
        esp_url(esp), postmark_raw_payload(raw), content_type="application/json", **basic_auth()
    )


def twilio_post(client, path: str, params: dict[str, str]):
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(f"http://testserver{path}", params)
    return client.post(
        path,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )


def fresh_folder(config: ImapConfig, name: str, messages=()) -> ImapConfig:
    client = imaplib.IMAP4(config.host, config.port)
    client.login(config.user, config.password)
    client.delete(name)
    client.create(name)
    for raw in messages:
        client.append(name, None, None, raw)
    client.logout()
    return ImapConfig(
        host=config.host,
        port=config.port,
        user=config.user,
        password=config.password,
        folder=name,
        use_ssl=False,
    )
