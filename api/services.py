"""API writes: personal tokens, and contacts made idempotent by the caller's ``external_id``.

Everything else the API writes goes through the page's own actions (``api.views``): a stage
move is ``candidates.services.application_move``, an announcement
``silence.services.silence_test_announce``.
"""

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from api.models import ApiContactKey, ApiToken
from audit.services import AuditAction, audit_record
from followups.models import Contact
from followups.quality import contact_log_with_details

#: Tokens read ``pst_<prefix>_<secret>``: the prefix finds the row, the whole string is hashed.
TOKEN_PREFIX = "pst_"
#: At most this many active tokens per user (a leak is easier to spot among few).
MAX_ACTIVE_TOKENS = 10
#: ``last_used_at`` is written at most this often per token (not one write per request).
LAST_USED_RESOLUTION_SECONDS = 60


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


class TokenLimitReached(Exception):
    pass


@transaction.atomic
def api_token_create(*, user, name: str, now: datetime | None = None) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns it and the secret, which is shown once and never
    stored (only its digest is)."""
    name = name.strip()[:100] or "API token"
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
        raise TokenLimitReached(
            f"You have {MAX_ACTIVE_TOKENS} active tokens already; revoke one first."
        )
    prefix = secrets.token_hex(6)
    raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=prefix,
        key_hash=token_digest(raw),
        created_at=now or timezone.now(),
    )
    audit_record(
        action=AuditAction.API_TOKEN_CREATED, actor=user, obj=token, details={"prefix": prefix}
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor, now: datetime | None = None) -> ApiToken:
    """Revoke a token; it stops working on its next request. Revoking twice is a no-op."""
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=now or timezone.now()
    )
    if updated:
        audit_record(
            action=AuditAction.API_TOKEN_REVOKED,
            actor=actor,
            obj=token,
            details={"prefix": token.prefix, "owner": token.user_id},
        )
    token.refresh_from_db(fields=["revoked_at"])
    return token


def api_token_touch(*, token: ApiToken, now: datetime) -> None:
    """Record that the token was used (at most once a minute: one conditional UPDATE)."""
    threshold = now - timedelta(seconds=LAST_USED_RESOLUTION_SECONDS)
    ApiToken.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=threshold), pk=token.pk
    ).update(last_used_at=now)


def api_write_audit(*, request, obj, details: dict) -> None:
    """Every write through the API leaves an event, in the write's transaction: the endpoint,
    the object and the token (its public prefix; none for a signed-in browser session)."""
    token = getattr(request, "auth", None)
    match = getattr(request, "resolver_match", None)
    audit_record(
        action=AuditAction.API_WRITE,
        obj=obj,
        details={
            "endpoint": match.view_name if match is not None else "",
            "method": request.method,
            "token": token.prefix if isinstance(token, ApiToken) else None,
            **details,
        },
    )


def request_fingerprint(payload: dict) -> str:
    """The canonical digest of a request body: key order and whitespace do not matter."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyConflict(Exception):
    """The ``external_id`` was used before with a different request."""


@dataclass(frozen=True)
class ContactCreated:
    contact: Contact
    created: bool


@transaction.atomic
def api_contact_create(
    *,
    user,
    application,
    external_id: str,
    fingerprint: str,
    channel: str,
    direction: str,
    occurred_at: datetime,
    summary: str,
    duration_seconds: int | None,
    tags: list[str],
    confirm_contamination: bool,
    now: datetime,
) -> ContactCreated:
    """Record a contact exactly once per (user, ``external_id``).

    The key row is inserted first: PostgreSQL makes a second insert of the same key wait until
    the first transaction ends, then fail on the unique constraint, so of any number of
    concurrent identical posts one records the contact and the others return it. The contact
    itself is recorded by the page's own action (``contact_log_with_details``:
    ``contact_record``, tags, duration, the don't-chase check).
    """
    try:
        with transaction.atomic():
            key = ApiContactKey.objects.create(
                user=user, external_id=external_id, request_hash=fingerprint, created_at=now
            )
    except IntegrityError:
        existing = ApiContactKey.objects.select_related("contact").get(
            user=user, external_id=external_id
        )
        if existing.request_hash != fingerprint or existing.contact is None:
            raise IdempotencyConflict(
                "This external_id was already used for a different contact."
            ) from None
        return ContactCreated(contact=existing.contact, created=False)
    contact = contact_log_with_details(
        application=application,
        channel=channel,
        direction=direction,
        occurred_at=occurred_at,
        summary=summary,
        logged_by=user,
        now=now,
        duration_seconds=duration_seconds,
        tags=tags,
        confirm_contamination=confirm_contamination,
    )
    key.contact = contact
    key.save(update_fields=["contact"])
    return ContactCreated(contact=contact, created=True)
