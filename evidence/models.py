"""Voluntary self-identification and post-hire outcomes: the data behind the bias audit and the
validity page (docs/evidence.md).

Self-identification is special-category data kept apart from everything a team sees: its own
table, never read by scoring, ranking or any team page, only counted into aggregates by
``evidence.selectors`` for holders of ``evidence.view_bias_audit``.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

DECLINED = "declined"


class Sex(models.TextChoices):
    """EEO-1 sex categories."""

    FEMALE = "female", "Female"
    MALE = "male", "Male"
    DECLINED = DECLINED, "I decline to answer"


class RaceEthnicity(models.TextChoices):
    """EEO-1 race/ethnicity categories."""

    HISPANIC_LATINO = "hispanic_latino", "Hispanic or Latino"
    WHITE = "white", "White (not Hispanic or Latino)"
    BLACK = "black", "Black or African American (not Hispanic or Latino)"
    NATIVE_HAWAIIAN_PACIFIC = (
        "native_hawaiian_pacific",
        "Native Hawaiian or Other Pacific Islander (not Hispanic or Latino)",
    )
    ASIAN = "asian", "Asian (not Hispanic or Latino)"
    AMERICAN_INDIAN_ALASKA = (
        "american_indian_alaska",
        "American Indian or Alaska Native (not Hispanic or Latino)",
    )
    TWO_OR_MORE = "two_or_more", "Two or more races (not Hispanic or Latino)"
    DECLINED = DECLINED, "I decline to answer"


class SelfIdSource(models.TextChoices):
    CANDIDATE = "candidate", "Answered by the candidate"
    IMPORT = "import", "Imported from a previous system"


class SelfIdentification(models.Model):
    """A candidate's voluntary answers. Never shown one by one to anyone in the product."""

    candidate = models.OneToOneField(
        "candidates.Candidate", on_delete=models.CASCADE, related_name="self_identification"
    )
    sex = models.CharField(max_length=20, choices=Sex.choices)
    race_ethnicity = models.CharField(max_length=30, choices=RaceEthnicity.choices)
    source = models.CharField(max_length=10, choices=SelfIdSource.choices)
    answered_at = models.DateTimeField()

    class Meta:
        # No add/change/view permissions: no role can open individual answers in the admin.
        # The one permission is to see the aggregates.
        default_permissions = ()
        permissions = [
            ("view_bias_audit", "Can see the bias audit and validity evidence (aggregates)"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(sex__in=Sex.values),
                name="self_identification_sex_valid",
                violation_error_message="Choose an answer from the list.",
            ),
            models.CheckConstraint(
                condition=Q(race_ethnicity__in=RaceEthnicity.values),
                name="self_identification_race_valid",
                violation_error_message="Choose an answer from the list.",
            ),
            models.CheckConstraint(
                condition=Q(source__in=SelfIdSource.values),
                name="self_identification_source_valid",
                violation_error_message="Choose a source from the list.",
            ),
        ]

    def __str__(self) -> str:
        # Deliberately without the answers: a string can end up in logs and admin messages.
        return f"Self-identification of candidate #{self.candidate_id}"


def _percent_field(label: str) -> models.DecimalField:
    return models.DecimalField(
        label,
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1000)],
        help_text="Percent of quota attained, e.g. 104.5. Leave empty if not known yet.",
    )


class PostHireOutcome(models.Model):
    """How a hire did: what the persistence score and the silence test should predict."""

    application = models.OneToOneField(
        "candidates.Application", on_delete=models.CASCADE, related_name="post_hire_outcome"
    )
    quota_6m = _percent_field("quota attainment at 6 months (%)")
    quota_12m = _percent_field("quota attainment at 12 months (%)")
    ramp_months = models.PositiveSmallIntegerField(
        "ramp time (months to first full quota)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(60)],
    )
    employed_12m = models.BooleanField("still employed at 12 months", null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(quota_6m__isnull=True) | Q(quota_6m__gte=0, quota_6m__lte=1000),
                name="post_hire_quota_6m_range",
                violation_error_message=(
                    "Quota attainment after 6 months is a percentage from 0 to 1000."
                ),
            ),
            models.CheckConstraint(
                condition=Q(quota_12m__isnull=True) | Q(quota_12m__gte=0, quota_12m__lte=1000),
                name="post_hire_quota_12m_range",
                violation_error_message=(
                    "Quota attainment after 12 months is a percentage from 0 to 1000."
                ),
            ),
            models.CheckConstraint(
                condition=Q(ramp_months__isnull=True) | Q(ramp_months__lte=60),
                name="post_hire_ramp_range",
                violation_error_message="Ramp time is at most 60 months.",
            ),
        ]

    def __str__(self) -> str:
        return f"Post-hire outcome of application #{self.application_id}"
