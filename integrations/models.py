"""Endpoints admins register and the outbox of deliveries to them (docs/design.md, "Outbound
webhooks")."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from hiring.events import PUBLIC_EVENTS


class EndpointKind(models.TextChoices):
    STANDARD = "standard", "Webhook (signed JSON events)"
    SLACK = "slack", "Slack incoming webhook (silence-test digest)"
    TEAMS = "teams", "Microsoft Teams incoming webhook (silence-test digest)"


#: Chat endpoints receive one thing: the digest of their requisition.
CHAT_KINDS = (EndpointKind.SLACK, EndpointKind.TEAMS)
EVENT_CHOICES = [(name, name) for name in PUBLIC_EVENTS]


class Endpoint(models.Model):
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=EndpointKind.choices, default="standard")
    url = models.URLField("URL", max_length=2000, help_text="Where events are POSTed (https).")
    #: Standard Webhooks secret, ``whsec_`` + base64. Generated, shown once, never editable.
    secret = models.CharField(max_length=100, editable=False)
    events = models.JSONField(
        default=list, blank=True, help_text="The events this endpoint receives."
    )
    requisition = models.ForeignKey(
        "hiring.Requisition",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Only this requisition's events (required for Slack and Teams).",
    )
    active = models.BooleanField(default=True)
    #: The first failed attempt since the last success: a day of failures disables the endpoint.
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=300, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind__in=[k.value for k in CHAT_KINDS]) | Q(requisition__isnull=False),
                name="endpoint_chat_has_requisition",
            ),
        ]

    def __str__(self):
        return self.name


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"


class Delivery(models.Model):
    """One event for one endpoint: the outbox row written with the state change, then the log
    of its attempts."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    #: ``webhook-id``: the same on every attempt and redelivery, so receivers can deduplicate.
    message_id = models.CharField(max_length=40, unique=True)
    #: The ordering key: an application's events reach an endpoint in creation order.
    application_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField()
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(state="pending"),
                name="delivery_pending_due_idx",
            ),
            models.Index(
                fields=["endpoint", "application_id", "id"],
                condition=Q(state="pending"),
                name="delivery_pending_order_idx",
            ),
            models.Index(fields=["application_id"], name="delivery_application_idx"),
        ]

    def __str__(self):
        return f"{self.event} → {self.endpoint_id} ({self.state})"
