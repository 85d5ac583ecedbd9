from django.conf import settings
from django.db import models
from django.db.models import Q

from hiring.models import SilenceOutcome


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


class MatchStatus(models.TextChoices):
    MATCHED = "matched", "Matched"
    UNMATCHED = "unmatched", "No matching candidate"
    AMBIGUOUS = "ambiguous", "Several matching candidates"
    DISMISSED = "dismissed", "Dismissed: not a candidate"


#: Statuses that put a contact in the unmatched queue for a recruiter to resolve.
QUEUE_STATUSES = (MatchStatus.UNMATCHED, MatchStatus.AMBIGUOUS)


class InboundMessage(models.Model):
    """A raw email as received, kept for audit and re-processing.

    Stored once: the same Message-ID, the same bytes, the same content fingerprint or the same
    provider id is a duplicate delivery (enforced by unique constraints, so concurrent
    deliveries cannot both insert).
    """

    message_id = models.CharField(max_length=998, blank=True)
    fingerprint = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the bytes.")
    content_fingerprint = models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text="SHA-256 of the identity headers, decoded text and attachments: the same for "
        "a message an ESP rebuilt into different bytes (followups.email_parsing).",
    )
    provider_id = models.CharField(
        max_length=300,
        blank=True,
        default="",
        help_text="The ESP's own id of the inbound message, e.g. postmark:<MessageID>.",
    )
    source = models.CharField(max_length=10, choices=ContactSource.choices)
    received_at = models.DateTimeField()
    size = models.PositiveIntegerField()
    raw = models.BinaryField()
    parse_error = models.TextField(
        blank=True, help_text="Why the bytes could not be read as an email (kept, not dropped)."
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message_id"],
                condition=~Q(message_id=""),
                name="inbound_message_unique_message_id",
            ),
            models.UniqueConstraint(
                fields=["content_fingerprint"],
                condition=~Q(content_fingerprint=""),
                name="inbound_message_unique_content_fingerprint",
            ),
            models.UniqueConstraint(
                fields=["provider_id"],
                condition=~Q(provider_id=""),
                name="inbound_message_unique_provider_id",
            ),
        ]

    def __str__(self) -> str:
        return self.message_id or f"sha256:{self.fingerprint[:12]}"


class Contact(models.Model):
    """One touch between a candidate and the team.

    ``candidate``/``application`` are empty while an inbound contact waits in the unmatched
    queue. Which contacts count as persistence: ``followups.rules``.
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
    automated_reason = models.CharField(max_length=200, blank=True)
    match_status = models.CharField(
        max_length=10, choices=MatchStatus.choices, default=MatchStatus.MATCHED
    )
    match_note = models.CharField(max_length=300, blank=True)
    queue_requisitions = models.ManyToManyField(
        "hiring.Requisition",
        blank=True,
        related_name="+",
        help_text="While queued: the requisitions it may concern (its sender has applications "
        "with several teams), whose recruiters alone triage it. Empty: every recruiter.",
    )
    # Email specifics (empty for other channels).
    subject = models.CharField(max_length=998, blank=True)
    body_text = models.TextField(blank=True, help_text="Sanitised plain text, never raw HTML.")
    from_header = models.CharField(max_length=998, blank=True)
    message = models.OneToOneField(
        InboundMessage,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contact",
    )
    # Calls and texts.
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    phone_number = models.CharField(
        max_length=16, blank=True, help_text="The candidate's side, E.164 (calls and texts)."
    )
    import_batch = models.ForeignKey(
        "followups.ImportBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
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
                violation_error_message=(
                    "A contact linked to an application must name its candidate."
                ),
            ),
            models.CheckConstraint(
                condition=Q(match_status="matched", candidate__isnull=False)
                | (~Q(match_status="matched") & Q(candidate__isnull=True)),
                name="contact_matched_iff_candidate",
                violation_error_message="A contact is matched exactly when it names a candidate.",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values),
                name="contact_channel_valid",
                violation_error_message="Choose a channel from the list.",
            ),
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values),
                name="contact_direction_valid",
                violation_error_message="Choose a direction from the list.",
            ),
        ]
        indexes = [
            models.Index(
                fields=["match_status", "-occurred_at"],
                condition=Q(match_status__in=["unmatched", "ambiguous"]),
                name="contact_unmatched_queue_idx",
            ),
            models.Index(
                fields=["application", "occurred_at"],
                condition=Q(direction="inbound", is_prompted=False, is_automated=False),
                name="contact_persistence_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.direction} at {self.occurred_at:%Y-%m-%d %H:%M}"


class EmailAttachment(models.Model):
    """What an email carried: name, type and size (the bytes stay in the raw message)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=255)
    size = models.PositiveIntegerField()
    oversized = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.filename or self.content_type


class ReplyToken(models.Model):
    """The token in ``reply+<token>@<reply domain>`` of an email the team sent from the app.

    A reply to that address is matched to the application precisely and is known to be
    prompted.
    """

    token = models.CharField(max_length=64, unique=True)
    application = models.ForeignKey(
        "candidates.Application", on_delete=models.CASCADE, related_name="reply_tokens"
    )
    contact = models.OneToOneField(
        Contact, on_delete=models.CASCADE, related_name="reply_token", help_text="The sent email."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.token


class ImapCheckpoint(models.Model):
    """How far the IMAP poller got in one mailbox folder (UIDVALIDITY + last committed UID)."""

    mailbox = models.CharField(max_length=500, unique=True, help_text="user@host:port/folder")
    uidvalidity = models.BigIntegerField()
    last_uid = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.mailbox} @ {self.uidvalidity}:{self.last_uid}"


class QualityTag(models.TextChoices):
    ADDS_VALUE = "adds_value", "Adds value"
    JUST_CHECKING_IN = "just_checking_in", "Just checking in"
    PROFESSIONAL = "professional", "Professional"
    PUSHY = "pushy", "Pushy"
    INAPPROPRIATE = "inappropriate", "Inappropriate"
    PROMISE_MADE = "promise_made", "Promise made"
    PROMISE_KEPT = "promise_kept", "Promise kept"
    PROMISE_BROKEN = "promise_broken", "Promise broken"
    OPT_OUT = "opt_out", "Opt-out (withdraws politely)"


class ContactTag(models.Model):
    """A quality tag on a contact, added by a recruiter or suggested by a rule."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="tags")
    tag = models.CharField(max_length=20, choices=QualityTag.choices)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "tag"], name="contact_tag_unique"),
            models.CheckConstraint(
                condition=Q(tag__in=QualityTag.values),
                name="contact_tag_valid",
                violation_error_message="Choose a quality tag from the list.",
            ),
        ]

    def __str__(self) -> str:
        return self.get_tag_display()


class PromiseStatus(models.TextChoices):
    OPEN = "open", "Open"
    KEPT = "kept", "Kept"
    BROKEN = "broken", "Broken"
    CANCELLED = "cancelled", "Cancelled"


class Promise(models.Model):
    """ "I'll call you Monday": what the candidate promised, and whether they kept it."""

    application = models.ForeignKey(
        "candidates.Application", on_delete=models.CASCADE, related_name="promises"
    )
    made_in = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="promises_made"
    )
    description = models.CharField(max_length=300)
    channel = models.CharField(
        max_length=20, choices=Channel.choices, blank=True, help_text="Empty: any channel."
    )
    due_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=PromiseStatus.choices, default=PromiseStatus.OPEN
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    kept_by = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="promises_kept"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PromiseStatus.values),
                name="promise_status_valid",
                violation_error_message="Choose a promise status from the list.",
            ),
            models.CheckConstraint(
                condition=Q(status="open", resolved_at__isnull=True)
                | (~Q(status="open") & Q(resolved_at__isnull=False)),
                name="promise_resolved_iff_not_open",
                violation_error_message=(
                    "A promise has a resolution time exactly when it is no longer open."
                ),
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"], condition=Q(status="open"), name="promise_open_due_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.description


class ImportStatus(models.TextChoices):
    PENDING = "pending", "Waiting to start"
    RUNNING = "running", "Importing"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ImportBatch(models.Model):
    """One uploaded call-log CSV, processed in the background with per-row results."""

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField(max_length=255)
    preset = models.CharField(max_length=30)
    default_region = models.CharField(max_length=2, blank=True)
    content = models.BinaryField()
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    unmatched = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    failure = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"


class RowOutcome(models.TextChoices):
    IMPORTED = "imported", "Imported"
    DUPLICATE = "duplicate", "Duplicate"
    UNMATCHED = "unmatched", "Unmatched (in the queue)"
    ERROR = "error", "Error"


class ImportRow(models.Model):
    """What happened to one CSV row: nothing is skipped silently."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField(help_text="1-based, header excluded")
    outcome = models.CharField(max_length=10, choices=RowOutcome.choices)
    reason = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, help_text="The row as read, for the error download.")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["batch", "row_number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "row_number"], name="import_row_unique"),
        ]

    def __str__(self) -> str:
        return f"Row {self.row_number}: {self.outcome}"


class ScoringWeights(models.Model):
    """One immutable version of the persistence-score weights; the highest version is in force.

    Editing never changes a version: it saves a new one, and every stored score names the
    version it was computed with.
    """

    version = models.PositiveIntegerField(unique=True)
    base_reached_out = models.PositiveSmallIntegerField(default=50)
    latency_full_hours = models.FloatField(default=24)
    latency_max_points = models.PositiveSmallIntegerField(default=15)
    latency_zero_hours = models.FloatField(default=72)
    channel_call_points = models.PositiveSmallIntegerField(default=10)
    channel_written_points = models.PositiveSmallIntegerField(default=4)
    channel_in_person_points = models.PositiveSmallIntegerField(default=10)
    multi_channel_bonus = models.PositiveSmallIntegerField(default=5)
    adds_value_points = models.PositiveSmallIntegerField(default=10)
    pushy_penalty = models.PositiveSmallIntegerField(default=15)
    cadence_max_per_24h = models.PositiveSmallIntegerField(default=2)
    cadence_max_in_window = models.PositiveSmallIntegerField(default=4)
    cadence_penalty_per_extra = models.PositiveSmallIntegerField(default=5)
    cadence_penalty_cap = models.PositiveSmallIntegerField(default=20)
    impatience_penalty = models.PositiveSmallIntegerField(default=5)
    impatience_penalty_cap = models.PositiveSmallIntegerField(default=10)
    promise_kept_points = models.PositiveSmallIntegerField(default=8)
    promise_broken_penalty = models.PositiveSmallIntegerField(default=10)
    responsiveness_points = models.PositiveSmallIntegerField(default=3)
    note = models.CharField(max_length=300, blank=True, help_text="Why this version changed.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        verbose_name_plural = "scoring weights"
        constraints = [
            models.CheckConstraint(
                condition=Q(latency_zero_hours__gt=models.F("latency_full_hours")),
                name="weights_latency_taper_positive",
                violation_error_message=(
                    "“Latency zero hours” must be more than “Latency full hours”: a reply's "
                    "points fall from full to zero between the two."
                ),
            ),
            models.CheckConstraint(
                condition=Q(latency_full_hours__gte=0),
                name="weights_latency_full_nonnegative",
                violation_error_message="“Latency full hours” cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"Weights v{self.version}"


class PersistenceScore(models.Model):
    """A computed score with its explanation; earlier rows are the history."""

    application = models.ForeignKey(
        "candidates.Application", on_delete=models.CASCADE, related_name="scores"
    )
    silence_test = models.ForeignKey(
        "hiring.SilenceTest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    weights = models.ForeignKey(ScoringWeights, on_delete=models.PROTECT, related_name="scores")
    score = models.PositiveSmallIntegerField()
    outcome = models.CharField(max_length=12)
    comparable = models.BooleanField(default=True)
    lines = models.JSONField(default=list)
    first_follow_up_at = models.DateTimeField(null=True, blank=True)
    is_current = models.BooleanField(default=True)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["-computed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(is_current=True),
                name="persistence_score_one_current",
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=100),
                name="persistence_score_range",
                violation_error_message="A persistence score is between 0 and 100.",
            ),
        ]
        indexes = [
            models.Index(
                fields=["application"],
                condition=Q(is_current=True),
                name="persistence_score_current_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.score} ({self.outcome})"

    @property
    def outcome_label(self) -> str:
        """The outcome as shown: ``SilenceOutcome``'s label, or "Pending"."""
        if self.outcome in SilenceOutcome.values:
            return SilenceOutcome(self.outcome).label
        return "Pending"


class RankOverride(models.Model):
    """A hiring manager's decision over the computed ranking, with the reason (kept in history)."""

    application = models.ForeignKey(
        "candidates.Application", on_delete=models.CASCADE, related_name="rank_overrides"
    )
    position = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Put the candidate at this rank (1 = top)."
    )
    outcome = models.CharField(
        max_length=12,
        blank=True,
        choices=[("reached_out", "Reached out"), ("silent", "Silent")],
        help_text="Overrides the silence-test outcome shown.",
    )
    reason = models.TextField()
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(is_active=True),
                name="rank_override_one_active",
            ),
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="rank_override_reason_required",
                violation_error_message="Give a reason for the override.",
            ),
            models.CheckConstraint(
                condition=Q(position__isnull=False) | ~Q(outcome=""),
                name="rank_override_changes_something",
                violation_error_message="An override sets a position or an outcome.",
            ),
        ]

    def __str__(self) -> str:
        return f"Override of {self.application_id}"


class MailgunWebhookToken(models.Model):
    """A Mailgun signature token seen recently, so a captured signed post cannot be replayed
    with another body. Kept for twice the accepted signature age, then pruned."""

    token = models.CharField(max_length=255, unique=True)
    digest = models.CharField(max_length=64, help_text="SHA-256 of the posted fields and files.")
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.token[:12]


class RequisitionVersion(models.Model):
    """A number that changes whenever anything a requisition's ranking, board or the hiring
    manager's home shows is written, whichever way it is written (ORM save, queryset update, raw
    SQL, another process): the pages cache their HTML under it (``hiring.page_cache``).

    Maintained by the DATABASE, not by signals: statement-level triggers (migration
    ``followups.0011``) on every table those pages read bump the rows of the requisitions the
    statement touched, so a ``queryset.update`` or a raw ``UPDATE`` cannot be missed. The
    trigger's row lock serialises two writers of one requisition, so the number the second one
    commits is always new. No foreign key: the row of a deleted requisition is removed by its
    trigger, and cascading deletes may bump it first. The model lives with the scoring models
    because ``followups`` is the lowest app above every table the pages show.
    """

    requisition_id = models.BigIntegerField(primary_key=True)
    version = models.BigIntegerField(default=1)

    def __str__(self) -> str:
        return f"Requisition {self.requisition_id} v{self.version}"
