from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from hiring.querysets import RequisitionQuerySet
from hiring.validators import validate_country, validate_time_zone


class Pipeline(models.Model):
    """An ordered set of stages that requisitions share (configured by admins)."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StageKind(models.TextChoices):
    APPLIED = "applied", "Applied"
    SCREEN = "screen", "Screen"
    INTERVIEW = "interview", "Interview"
    SILENCE_TEST = "silence_test", "Silence test"
    FINAL = "final", "Final interview"
    OFFER = "offer", "Offer"
    HIRED = "hired", "Hired"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


#: An application in one of these stages is finished: it leaves the active pipeline.
TERMINAL_KINDS = frozenset({StageKind.HIRED, StageKind.REJECTED, StageKind.WITHDRAWN})
#: Moving into these stages is a hiring decision: only the hiring manager (or an admin) may.
DECISION_KINDS = frozenset({StageKind.OFFER, StageKind.HIRED})


class Stage(models.Model):
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(max_length=100)
    order = models.PositiveSmallIntegerField(help_text="Position in the pipeline, lowest first.")
    kind = models.CharField(max_length=20, choices=StageKind.choices, default=StageKind.INTERVIEW)
    stuck_after_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="An application that stays longer than this in the stage is flagged as stuck. "
        "Leave empty for never.",
    )

    class Meta:
        ordering = ["pipeline", "order"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "order"], name="stage_unique_order"),
            models.UniqueConstraint(fields=["pipeline", "name"], name="stage_unique_name"),
            models.CheckConstraint(
                condition=Q(stuck_after_days__isnull=True) | Q(stuck_after_days__gte=1),
                name="stage_stuck_after_days_positive",
            ),
            models.CheckConstraint(condition=Q(kind__in=StageKind.values), name="stage_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.pipeline.name}: {self.name}" if self.pipeline_id else self.name

    @property
    def is_terminal(self) -> bool:
        return self.kind in TERMINAL_KINDS


class RequisitionStatus(models.TextChoices):
    OPEN = "open", "Open"
    ON_HOLD = "on_hold", "On hold"
    FILLED = "filled", "Filled"
    CANCELLED = "cancelled", "Cancelled"


class Requisition(models.Model):
    """An open sales role."""

    title = models.CharField(max_length=200)
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="requisitions")
    hiring_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="managed_requisitions"
    )
    recruiters = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="recruited_requisitions"
    )
    time_zone = models.CharField(
        max_length=64,
        validators=[validate_time_zone],
        help_text="IANA zone the silence-test deadline is computed in, e.g. America/New_York.",
    )
    country = models.CharField(
        max_length=2,
        validators=[validate_country],
        help_text="ISO 3166 code: public holidays and the default phone region.",
    )
    status = models.CharField(
        max_length=20, choices=RequisitionStatus.choices, default=RequisitionStatus.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RequisitionQuerySet.as_manager()

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(country=Upper("country")) & Q(country__regex=r"^[A-Z]{2}$"),
                name="requisition_country_iso_alpha2",
            ),
            models.CheckConstraint(
                condition=~Q(time_zone=""), name="requisition_time_zone_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(status__in=RequisitionStatus.values), name="requisition_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class UserProfile(models.Model):
    """Per-user preferences; the time zone every date on screen is shown in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])

    def __str__(self) -> str:
        return f"Profile of {self.user}"
