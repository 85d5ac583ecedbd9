from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q


class ErasureReason(models.TextChoices):
    REQUEST = "request", "The candidate asked (right to erasure)"
    RETENTION = "retention", "Retention policy: no activity"
    OTHER = "other", "Other"


class ErasureRecord(models.Model):
    """Proof that a candidate was erased, holding nothing personal: who, when, which pk, why.

    ``candidate_pk`` is a plain number, not a foreign key: the record must outlive the
    candidate row whatever later happens to it, and it is how an erased candidate is recognised.
    """

    candidate_pk = models.PositiveBigIntegerField(unique=True)
    erased_at = models.DateTimeField()
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty when the retention policy erased the candidate.",
    )
    reason = models.CharField(max_length=12, choices=ErasureReason.choices)
    note = models.CharField(
        max_length=300, blank=True, help_text="Reference of the request, never personal data."
    )

    class Meta:
        ordering = ["-erased_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reason__in=ErasureReason.values),
                name="erasure_reason_valid",
                violation_error_message="Choose an erasure reason from the list.",
            ),
        ]

    def __str__(self) -> str:
        return f"Erasure of candidate #{self.candidate_pk}"


class RetentionPolicy(models.Model):
    """The single retention setting, edited by admins; no row or an empty value = disabled."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    anonymise_after_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Erase candidates with no activity (contacts, stage changes, interviews, "
        "scorecards, edits) for this many months. Leave empty to keep candidates indefinitely.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "retention policy"
        constraints = [
            models.CheckConstraint(
                condition=Q(singleton=True),
                name="retention_policy_singleton",
                violation_error_message=(
                    "There is only one retention policy; edit the existing one."
                ),
            ),
            models.CheckConstraint(
                condition=Q(anonymise_after_months__isnull=True) | Q(anonymise_after_months__gte=1),
                name="retention_policy_months_positive",
                violation_error_message=(
                    "Anonymise after at least 1 month, or leave it empty for never."
                ),
            ),
        ]

    def __str__(self) -> str:
        if self.anonymise_after_months is None:
            return "Retention: keep indefinitely"
        return f"Retention: erase after {self.anonymise_after_months} months without activity"
