from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from decisions.wording import PLACEHOLDERS, DelayKind, placeholders_unknown


class TemplateKind(models.TextChoices):
    REJECTION_SILENT = "rejection_silent", "Rejection after a silent test"
    REJECTION_INTERVIEWS = "rejection_interviews", "Rejection after interviews"
    WITHDRAWAL = "withdrawal", "Withdrawal acknowledgement"


class SendDelayKind(models.TextChoices):
    NEXT_BUSINESS_MORNING = DelayKind.NEXT_BUSINESS_MORNING, "Next business morning"
    AFTER = DelayKind.AFTER, "After the cancel window"


class EmailTemplate(models.Model):
    """An admin-written email to candidates, one per pipeline and kind."""

    pipeline = models.ForeignKey(
        "hiring.Pipeline", on_delete=models.CASCADE, related_name="email_templates"
    )
    kind = models.CharField(max_length=30, choices=TemplateKind.choices)
    company = models.CharField(
        max_length=120, blank=True, help_text="Stands for {company} in the text."
    )
    subject = models.CharField(max_length=200)
    body = models.TextField(max_length=10_000)
    send_delay = models.CharField(
        max_length=30,
        choices=SendDelayKind.choices,
        default=SendDelayKind.NEXT_BUSINESS_MORNING,
        help_text="Next business morning: in the candidate's time zone (else the "
        "requisition's), skipping the requisition's weekends, holidays and company closures.",
    )
    cancel_minutes = models.PositiveIntegerField(
        default=60,
        validators=[MaxValueValidator(7 * 24 * 60)],
        help_text="The least time before it goes: the sender can cancel it until then.",
    )
    morning_hour = models.PositiveSmallIntegerField(
        default=9, validators=[MinValueValidator(0), MaxValueValidator(23)]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pipeline", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "kind"], name="email_template_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.pipeline}: {self.get_kind_display()}"

    def clean(self) -> None:
        errors = {}
        for name in ("subject", "body"):
            unknown = placeholders_unknown(getattr(self, name) or "")
            if unknown:
                errors[name] = (
                    f"Unknown placeholder {', '.join('{' + u + '}' for u in unknown)}; use "
                    + ", ".join("{" + p + "}" for p in PLACEHOLDERS)
                    + "."
                )
        if any(char in (self.subject or "") for char in "\r\n"):
            errors["subject"] = "The subject must be a single line."
        if errors:
            raise ValidationError(errors)


class ScheduledEmailStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    SENT = "sent", "Sent"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Not sent"


class ScheduledEmail(models.Model):
    """An email to a candidate that goes later (a rejection), cancellable until then. The text
    is rendered when it is scheduled: what the sender previewed is what goes."""

    application = models.ForeignKey(
        "candidates.Application", on_delete=models.CASCADE, related_name="scheduled_emails"
    )
    kind = models.CharField(max_length=30, choices=TemplateKind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    send_at = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=ScheduledEmailStatus.choices, default=ScheduledEmailStatus.SCHEDULED
    )
    status_note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.OneToOneField(
        "followups.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="scheduled_email",
        help_text="The sent email on the timeline.",
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["send_at"],
                name="scheduled_email_due",
                condition=Q(status="scheduled"),
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(finished_at__isnull=False),
                name="scheduled_email_sent_has_time",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for application {self.application_id}"

    @property
    def is_cancellable(self) -> bool:
        return self.status == ScheduledEmailStatus.SCHEDULED
