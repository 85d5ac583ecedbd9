"""Outbound webhooks: the outbox written with each state change, and the sender.

* ``events_record`` is the ``hiring.events`` handler: in the emitting transaction it writes one
  ``Delivery`` per subscribed, active endpoint and asks for a send once that commits. A worker
  that dies anywhere after the commit leaves the rows pending for the minutely sender.
* ``deliveries_send`` claims one due delivery at a time (``FOR UPDATE SKIP LOCKED``), POSTs it
  signed (Standard Webhooks) while holding the row, and records the outcome in the same
  transaction: two senders never send one row at once, and a sender killed mid-request leaves it
  pending (a receiver may then see it twice, with the same ``webhook-id``).
* Per application and endpoint, events go out in creation order: a delivery waits while an
  earlier one for the same application and endpoint is still pending (failing, backing off).
* A failed attempt waits ``signing.backoff``; an endpoint that has failed for a day without a
  success is disabled and its admin emailed. Its deliveries stay pending for when it is enabled.
"""

import logging
import time
import uuid
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django_q.tasks import async_task

from accounts.roles import ADMINS
from hiring import events
from integrations import outbound, payloads, signing
from integrations.models import CHAT_KINDS, Delivery, DeliveryState, Endpoint, EndpointKind

logger = logging.getLogger(__name__)

#: Deliveries one sender run attempts at most, and how long it keeps starting new ones: well
#: inside django-q's task timeout.
SEND_BATCH = 200
SEND_BUDGET_SECONDS = 120


# --- Endpoints ----------------------------------------------------------------------------------

#: Hosts of the chat kinds' incoming webhooks: a Slack or Teams endpoint pointing anywhere else
#: is a typo or a way to send the digest somewhere it should not go.
CHAT_HOSTS = {
    EndpointKind.SLACK: ("hooks.slack.com",),
    # Teams Workflows ("When a Teams webhook request is received") and the older connectors.
    EndpointKind.TEAMS: (".logic.azure.com", ".webhook.office.com", ".powerplatform.com"),
}


def endpoint_check(*, kind: str, url: str, event_names, requisition) -> list[str]:
    """Validate an endpoint's settings; returns the event list to store. Raises
    ``ValidationError`` keyed by field."""
    try:
        scheme, host, _port, _path = outbound.url_check(url)
    except outbound.UrlRefused as exc:
        raise ValidationError({"url": str(exc)}) from None
    if scheme != "https" and not settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES:
        raise ValidationError({"url": "Use an https URL: events carry candidates' names."})
    if kind in CHAT_KINDS:
        allowed = CHAT_HOSTS[EndpointKind(kind)]
        if not settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES and not any(
            host == suffix or host.endswith(suffix) for suffix in allowed
        ):
            raise ValidationError(
                {"url": f"A {EndpointKind(kind).label} URL is on {', '.join(allowed)}."}
            )
        if requisition is None:
            raise ValidationError({"requisition": "Choose the requisition whose digest it gets."})
        return [events.SILENCE_DIGEST_READY]
    names = sorted(set(event_names or ()))
    unknown = [n for n in names if n not in events.PUBLIC_EVENTS]
    if unknown or not names:
        raise ValidationError({"events": "Choose at least one of the listed events."})
    return names


@transaction.atomic
def endpoint_create(
    *, name: str, kind: str, url: str, event_names, requisition=None, actor=None
) -> Endpoint:
    names = endpoint_check(kind=kind, url=url, event_names=event_names, requisition=requisition)
    return Endpoint.objects.create(
        name=name,
        kind=kind,
        url=url.strip(),
        events=names,
        requisition=requisition,
        secret=signing.secret_generate(),
        created_by=actor,
    )


@transaction.atomic
def endpoint_update(*, endpoint: Endpoint, event_names) -> Endpoint:
    endpoint.events = endpoint_check(
        kind=endpoint.kind,
        url=endpoint.url,
        event_names=event_names,
        requisition=endpoint.requisition,
    )
    endpoint.url = endpoint.url.strip()
    endpoint.save()
    return endpoint


@transaction.atomic
def endpoint_secret_rotate(*, endpoint: Endpoint) -> str:
    """A new secret, effective for the next attempt; the old one stops working at once."""
    endpoint.secret = signing.secret_generate()
    endpoint.save(update_fields=["secret"])
    return endpoint.secret


@transaction.atomic
def endpoints_enable(*, endpoint_ids, now: datetime) -> int:
    """Enable (again): the failure clock restarts and pending deliveries are due now."""
    ids = list(endpoint_ids)
    enabled = Endpoint.objects.filter(pk__in=ids).update(
        active=True, failing_since=None, disabled_at=None, disabled_reason=""
    )
    Delivery.objects.filter(endpoint_id__in=ids, state=DeliveryState.PENDING).update(
        next_attempt_at=now
    )
    transaction.on_commit(_send_soon)
    return enabled


# --- The outbox ---------------------------------------------------------------------------------


def _send_soon() -> None:
    async_task("integrations.tasks.send_webhooks", task_name="send-webhooks")


def events_record(*, event: str, ids: list[int], at: datetime) -> int:
    """The ``hiring.events`` handler: outbox rows in the caller's transaction."""
    if event == events.SILENCE_DIGEST_READY:
        endpoints = Endpoint.objects.filter(active=True, kind__in=list(CHAT_KINDS))
    else:
        endpoints = Endpoint.objects.filter(
            active=True, kind=EndpointKind.STANDARD, events__contains=[event]
        )
    endpoints = list(endpoints.only("id", "kind", "requisition_id"))
    if not endpoints:
        return 0
    items = payloads.items_for(event, ids)
    rows = []
    for item in items:
        for endpoint in endpoints:
            if endpoint.requisition_id and endpoint.requisition_id != item.requisition_id:
                continue
            rows.append(
                Delivery(
                    endpoint_id=endpoint.pk,
                    event=event,
                    message_id=f"msg_{uuid.uuid4().hex}",
                    application_id=item.application_id,
                    payload=_body_for(endpoint.kind, event=event, item=item, at=at),
                    next_attempt_at=at,
                    created_at=at,
                )
            )
    if rows:
        Delivery.objects.bulk_create(rows)
        transaction.on_commit(_send_soon)
    return len(rows)


def _body_for(kind: str, *, event: str, item: payloads.Item, at: datetime) -> dict:
    if kind == EndpointKind.SLACK:
        return payloads.slack_body(item.data["digest"])
    if kind == EndpointKind.TEAMS:
        return payloads.teams_body(item.data["digest"])
    # The Standard Webhooks payload shape: type, timestamp, data.
    return {"type": event, "timestamp": at.isoformat(), "data": item.data}


def deliveries_erase(*, candidate_ids, application_ids) -> int:
    """Erasure hook (``privacy.services.candidates_erase``): payloads carry names, so every
    delivery about the erased applications goes, sent or not."""
    deleted, _by_model = Delivery.objects.filter(application_id__in=list(application_ids)).delete()
    return deleted


# --- Sending ------------------------------------------------------------------------------------


def _due(now: datetime):
    earlier = Delivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"),
        application_id=OuterRef("application_id"),
        state=DeliveryState.PENDING,
        id__lt=OuterRef("id"),
    )
    return (
        Delivery.objects.filter(
            state=DeliveryState.PENDING, next_attempt_at__lte=now, endpoint__active=True
        )
        # An application's later event waits for its earlier one (NULL never matches: events
        # about no application have no order to keep).
        .filter(~Exists(earlier))
        .select_related("endpoint")
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("next_attempt_at", "id")
    )


def _attempt(delivery: Delivery) -> outbound.PostResult:
    body = signing.body_bytes(delivery.payload)
    endpoint = delivery.endpoint
    headers = signing.headers(
        secret=endpoint.secret, message_id=delivery.message_id, at=timezone.now(), body=body
    )
    return outbound.post(
        endpoint.url,
        body=body,
        headers=headers,
        timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
        allow_private=settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES,
    )


def _record(delivery: Delivery, result: outbound.PostResult, *, now: datetime) -> None:
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status = result.status
    endpoint = delivery.endpoint
    if result.ok:
        delivery.state = DeliveryState.DELIVERED
        delivery.delivered_at = now
        delivery.last_error = ""
        Endpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=False).update(
            failing_since=None
        )
    else:
        detail = f" — {result.body_start}" if result.body_start else ""
        delivery.last_error = (result.error + detail)[:500]
        delivery.next_attempt_at = now + signing.backoff(delivery.attempts)
        Endpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
            failing_since=now
        )
        _disable_if_failing_for_a_day(endpoint.pk, now=now)
    delivery.save(
        update_fields=[
            "attempts",
            "last_attempt_at",
            "last_status",
            "state",
            "delivered_at",
            "last_error",
            "next_attempt_at",
        ]
    )


def _disable_if_failing_for_a_day(endpoint_id: int, *, now: datetime) -> None:
    # Conditional UPDATE: of two senders failing at once, one disables and one tells.
    disabled = Endpoint.objects.filter(
        pk=endpoint_id, active=True, failing_since__lte=now - signing.DISABLE_AFTER
    ).update(
        active=False,
        disabled_at=now,
        disabled_reason="Every delivery attempt failed for a day.",
    )
    if disabled:
        logger.warning("Disabled webhook endpoint %s after a day of failures", endpoint_id)
        transaction.on_commit(lambda: _tell_admin(endpoint_id))


def _tell_admin(endpoint_id: int) -> None:
    endpoint = Endpoint.objects.select_related("created_by").get(pk=endpoint_id)
    recipients = [endpoint.created_by.email] if endpoint.created_by_id else []
    if not any(recipients):
        recipients = list(
            get_user_model()
            .objects.filter(groups__name=ADMINS, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    if not recipients:
        return
    send_mail(
        subject=f"[Persist] Webhook endpoint “{endpoint.name}” disabled",
        message=(
            f"Every delivery to the webhook endpoint “{endpoint.name}” ({endpoint.url}) has "
            "failed for a day, so it has been disabled. Its undelivered events are kept.\n\n"
            "Fix the receiver, then enable the endpoint again in the admin (Integrations → "
            "Endpoints → “Enable”): the kept events are sent in order.\n"
        ),
        from_email=None,
        recipient_list=recipients,
        # The endpoint is disabled whether or not this mail goes out: the admin shows it.
        fail_silently=True,
    )


def deliveries_send(*, limit: int = SEND_BATCH, budget_seconds: float = SEND_BUDGET_SECONDS):
    """Attempt due deliveries, one transaction each; returns (delivered, failed)."""
    delivered = failed = 0
    started = time.monotonic()
    for _ in range(limit):
        if time.monotonic() - started > budget_seconds:
            break
        with transaction.atomic():
            delivery = _due(timezone.now()).first()
            if delivery is None:
                break
            result = _attempt(delivery)
            _record(delivery, result, now=timezone.now())
        if result.ok:
            delivered += 1
        else:
            failed += 1
    return delivered, failed


@transaction.atomic
def deliveries_redeliver(*, delivery_ids, now: datetime) -> int:
    """Send again now (the admin's "redeliver"): a delivered or cancelled delivery becomes
    pending with the same ``webhook-id``, so a receiver can tell it is the same event."""
    count = Delivery.objects.filter(pk__in=list(delivery_ids)).update(
        state=DeliveryState.PENDING, next_attempt_at=now
    )
    transaction.on_commit(_send_soon)
    return count


@transaction.atomic
def deliveries_cancel(*, delivery_ids) -> int:
    """Stop retrying: the application's later events stop waiting for these."""
    return Delivery.objects.filter(
        Q(pk__in=list(delivery_ids)), state=DeliveryState.PENDING
    ).update(state=DeliveryState.CANCELLED)
