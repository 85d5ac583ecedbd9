"""Standard Webhooks signing and the retry schedule: pure functions (no ORM, no clock).

The scheme (https://www.standardwebhooks.com, "Signature scheme"): the secret is ``whsec_``
followed by base64 of random bytes; each request carries ``webhook-id`` (the message id, the
same on every retry), ``webhook-timestamp`` (integer seconds since the epoch, of this attempt)
and ``webhook-signature`` ``v1,<base64 HMAC-SHA256>`` of ``{id}.{timestamp}.{body}`` keyed with
the secret's decoded bytes. Receivers check it and refuse old timestamps (replays).
"""

import base64
import hashlib
import hmac
import json
import secrets
from datetime import datetime, timedelta

SECRET_PREFIX = "whsec_"
#: 32 random bytes: the spec asks for between 24 and 64.
SECRET_BYTES = 32
#: The first retry waits this long, each next one twice as long, up to ``BACKOFF_CAP``.
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
#: An endpoint failing for this long is disabled and its admin told.
DISABLE_AFTER = timedelta(days=1)


def secret_generate() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_masked(secret: str) -> str:
    """What the admin shows after creation: enough to tell two secrets apart."""
    return f"{SECRET_PREFIX}…{secret[-4:]}" if secret else ""


def body_bytes(payload) -> bytes:
    """The request body: compact JSON, UTF-8 (what is signed is exactly what is sent)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def signature(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(*, secret: str, message_id: str, at: datetime, body: bytes) -> dict[str, str]:
    timestamp = int(at.timestamp())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(
            secret=secret, message_id=message_id, timestamp=timestamp, body=body
        ),
    }


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 30 s, 1 min, 2 min, … capped at 1 h.
    No jitter: the deliveries of one endpoint already spread over their own creation times."""
    if attempts < 1:
        return timedelta(0)
    # 2**7 times 30 s already exceeds the cap: the exponent is bounded, so the number stays small.
    return min(BACKOFF_BASE * 2 ** min(attempts - 1, 7), BACKOFF_CAP)


def should_disable(*, failing_since: datetime | None, now: datetime) -> bool:
    return failing_since is not None and now - failing_since >= DISABLE_AFTER
