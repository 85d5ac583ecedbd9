from django.conf import settings
from django.db import models
from django.db.models import Q


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone call"
    VOICEMAIL = "voicemail", "Voicemail"
    SMS = "sms", "Text message"
    LINKEDIN = "linkedin", "LinkedIn message"
    IN_PERSON = "in_person", "In person"
    OTHER = "other", "Other"


class Direction(models.TextChoices):
    INBOUND = "inbound", "From the candidate"
    OUTBOUND = "outbound", "From the team"


class ContactSource(models.TextChoices):
    MANUAL = "manual", "Logged by hand"
    IMAP = "imap", "Mailbox (IMAP)"
    PIPE = "pipe", "Mail pipe / file import"
    WEBHOOK = "webhook", "Webhook"
    CSV = "csv", "CSV import"


class Contact(models.Model):
    """One touch between a candidate and the team.

    ``candidate``/``application`` are empty while an inbound contact waits in the unmatched
    queue. Only inbound, unprompted, non-automated contacts count as persistence.
    """

    candidate = models.ForeignKey(
        "candidates.Candidate",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    application = models.ForeignKey(
        "candidates.Application",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    occurred_at = models.DateTimeField()
    source = models.CharField(
        max_length=10, choices=ContactSource.choices, default=ContactSource.MANUAL
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="logged_contacts",
    )
    summary = models.TextField(blank=True)
    external_id = models.CharField(
        max_length=255,
        blank=True,
        help_text="Message-ID, call or SMS id: a repeated delivery is recognised by it.",
    )
    is_prompted = models.BooleanField(
        default=False, help_text="An answer to the team's outreach, not the candidate's initiative."
    )
    is_automated = models.BooleanField(
        default=False, help_text="Auto-reply, bounce or receipt: never a persistence signal."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~Q(external_id=""),
                name="contact_unique_external_id",
            ),
            models.CheckConstraint(
                condition=Q(application__isnull=True) | Q(candidate__isnull=False),
                name="contact_application_needs_candidate",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="contact_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values), name="contact_direction_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["application", "occurred_at"],
                condition=Q(direction="inbound", is_prompted=False, is_automated=False),
                name="contact_persistence_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.direction} at {self.occurred_at:%Y-%m-%d %H:%M}"

    @property
    def counts_as_persistence(self) -> bool:
        return (
            self.direction == Direction.INBOUND and not self.is_prompted and not self.is_automated
        )
