import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Avg, Case, Exists, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Lower, NullIf

from accounts.roles import is_active_user, is_admin
from candidates.normalize import E164_REGEX, format_phone
from hiring.models import SCORECARD_SLOTS, Requisition
from hiring.validators import validate_time_zone


# Query sets first: the models below use them as managers; their methods name the models,
# which exist by the time anything calls them.
class CandidateQuerySet(models.QuerySet):
    def visible_to(self, user) -> "CandidateQuerySet":
        """Candidates with an application the user may see; admins see every candidate,
        including those without an application. The one place this rule is written."""
        if is_active_user(user) and is_admin(user):
            return self.all()
        applications = Application.objects.filter(
            candidate_id=OuterRef("pk"), requisition__in=Requisition.objects.visible_to(user)
        )
        return self.filter(Exists(applications))


class ApplicationQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ApplicationQuerySet":
        """Applications on a requisition the user may see. The one place this rule is
        written: everything about an application is seen only through it."""
        return self.filter(requisition__in=Requisition.objects.visible_to(user))

    def annotate_primary_email(self) -> "ApplicationQuerySet":
        primary = CandidateEmail.objects.filter(candidate_id=OuterRef("candidate_id")).order_by(
            "-is_primary", "address"
        )
        return self.annotate(primary_email=Subquery(primary.values("address")[:1]))

    def annotate_scorecard_average(self, *, shown_if=None) -> "ApplicationQuerySet":
        """Mean over all scorecards of the application of each card's mean rating (None if
        none). ``shown_if``: a condition on the application (the blind rule's SQL half,
        ``candidates.policy.sees_every_rating_sql``) outside which the average is None."""
        per_app = (
            Scorecard.objects.filter(round__application_id=OuterRef("pk"))
            .order_by()
            .values("round__application_id")
            .annotate(avg=Avg(scorecard_mean_sql()))
            .values("avg")
        )
        average = Subquery(per_app, output_field=models.FloatField())
        if shown_if is not None:
            average = Case(When(shown_if, then=average), default=None)
        return self.annotate(scorecard_average=average)

    def for_board(self, *, shown_if=None) -> "ApplicationQuerySet":
        """Everything the pipeline board shows, in one query."""
        return (
            self.select_related("candidate", "stage")
            .annotate_primary_email()
            .annotate_scorecard_average(shown_if=shown_if)
            .order_by("stage__order", "stage_entered_at", "id")
        )


class Candidate(models.Model):
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, blank=True)
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="Where the candidate lives, if known (shown next to deadlines).",
    )
    linkedin_url = models.URLField(blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = CandidateQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "id"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class CandidateEmail(models.Model):
    """One of a candidate's addresses, stored lower-cased so matching is a plain equality."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="emails")
    address = models.EmailField(max_length=254)
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_primary", "address"]
        constraints = [
            models.UniqueConstraint(fields=["candidate", "address"], name="candidate_email_unique"),
            models.UniqueConstraint(
                fields=["candidate"],
                condition=Q(is_primary=True),
                name="candidate_email_one_primary",
            ),
            models.CheckConstraint(
                condition=Q(address=Lower(F("address"))),
                name="candidate_email_lowercase",
                violation_error_message="An email address is stored in lower case.",
            ),
        ]
        indexes = [models.Index(fields=["address"], name="candidate_email_address_idx")]

    def __str__(self) -> str:
        return self.address


class PhoneLabel(models.TextChoices):
    MOBILE = "mobile", "Mobile"
    WORK = "work", "Work"
    HOME = "home", "Home"
    OTHER = "other", "Other"


class CandidatePhone(models.Model):
    """One of a candidate's numbers, in E.164 so calls and texts match regardless of format."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(max_length=16, help_text="E.164, e.g. +14155550100")
    label = models.CharField(max_length=10, choices=PhoneLabel.choices, default=PhoneLabel.MOBILE)

    class Meta:
        ordering = ["label", "number"]
        constraints = [
            models.UniqueConstraint(fields=["candidate", "number"], name="candidate_phone_unique"),
            models.CheckConstraint(
                condition=Q(number__regex=E164_REGEX),
                name="candidate_phone_e164",
                violation_error_message=(
                    "A phone number is stored in international form, e.g. +14155550100."
                ),
            ),
        ]
        indexes = [models.Index(fields=["number"], name="candidate_phone_number_idx")]

    def __str__(self) -> str:
        return format_phone(self.number)

    @property
    def display(self) -> str:
        return format_phone(self.number)


class Application(models.Model):
    """A candidate in one requisition's pipeline."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="applications")
    requisition = models.ForeignKey(
        "hiring.Requisition", on_delete=models.CASCADE, related_name="applications"
    )
    stage = models.ForeignKey("hiring.Stage", on_delete=models.PROTECT, related_name="+")
    stage_entered_at = models.DateTimeField()
    source = models.CharField(max_length=100, blank=True, help_text="Referral, job board, …")
    # --- evidence (issue #16): an accommodation request; no silence test runs, and the
    # application is left out of the test's comparisons and the bias audit's selection rates.
    alternative_assessment = models.BooleanField(default=False)
    alternative_assessment_reason = models.TextField(blank=True)
    # --- end evidence
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "requisition"], name="application_unique_candidate_requisition"
            ),
        ]
        indexes = [
            models.Index(fields=["requisition", "stage"], name="application_req_stage_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.candidate} → {self.requisition}"

    @property
    def applied_at(self):
        """When the candidate applied: the stage history's first entry. An application entered
        with an earlier date (a backfill, the demo) has its real date there, while
        ``created_at`` is when the row was written. Uses the page's prefetched history."""
        return min((t.at for t in self.transitions.all()), default=self.created_at)


class StageTransition(models.Model):
    """Audit trail of every stage change: append-only, written by ``application_move``."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="transitions"
    )
    from_stage = models.ForeignKey(
        "hiring.Stage", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_stage = models.ForeignKey("hiring.Stage", on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty when the system moved the application (e.g. a silence-test outcome).",
    )
    reason = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(from_stage__isnull=True) | ~Q(from_stage=F("to_stage")),
                name="transition_changes_stage",
                violation_error_message=(
                    "A stage change must move the application to a different stage."
                ),
            ),
        ]
        indexes = [models.Index(fields=["application", "-at"], name="transition_app_at_idx")]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.from_stage_id} → {self.to_stage_id}"


class InterviewRound(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="rounds")
    sequence = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=100)
    stage = models.ForeignKey(
        "hiring.Stage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scheduled_at = models.DateTimeField(null=True, blank=True)
    interviewers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    # Blind scorecards (``candidates.policy``): until then each person sees others' ratings of
    # this round only once they submitted their own.
    scorecards_revealed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the hiring manager or an admin showed every "
        "scorecard of the round to everyone who may see the application.",
    )
    scorecards_revealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "sequence"], name="interview_round_unique_sequence"
            ),
            models.CheckConstraint(
                condition=Q(sequence__gte=1),
                name="interview_round_seq_gte_1",
                violation_error_message="Interview rounds are numbered from 1.",
            ),
        ]

    def __str__(self) -> str:
        return f"Round {self.sequence}: {self.title}"


class Recommendation(models.TextChoices):
    STRONG_NO = "strong_no", "Strong no"
    NO = "no", "No"
    YES = "yes", "Yes"
    STRONG_YES = "strong_yes", "Strong yes"


RATING_MIN, RATING_MAX = 1, 5
#: The rating columns of every scorecard with their default labels, in slot order: (field name,
#: label). What a pipeline's scorecards ask for, and under which names, is its configured traits
#: (``hiring.selectors.scorecard_traits_for``); a column no trait uses stays empty (NULL).
SCORECARD_TRAITS = tuple((column, label) for _slot, column, label in SCORECARD_SLOTS)


def _rating_field(label: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        label,
        null=True,
        blank=True,
        validators=[MinValueValidator(RATING_MIN), MaxValueValidator(RATING_MAX)],
        help_text=f"{RATING_MIN} (weak) to {RATING_MAX} (outstanding)",
    )


def scorecard_mean(values) -> float | None:
    """A card's mean rating: over the traits it rates (an empty slot is no rating, not a 0).
    The Python half of ``scorecard_mean_sql``."""
    given = [value for value in values if value is not None]
    return sum(given) / len(given) if given else None


def scorecard_mean_sql():
    """The SQL half of ``scorecard_mean``, over a Scorecard row (NULL when nothing is rated)."""
    columns = [name for name, _label in SCORECARD_TRAITS]
    total = sum((Coalesce(F(name), 0) for name in columns[1:]), start=Coalesce(F(columns[0]), 0))
    rated = sum(
        (
            Case(When(**{f"{name}__isnull": False}, then=Value(1)), default=Value(0))
            for name in columns[1:]
        ),
        start=Case(When(**{f"{columns[0]}__isnull": False}, then=Value(1)), default=Value(0)),
    )
    return models.ExpressionWrapper(
        total * 1.0 / NullIf(rated, 0), output_field=models.FloatField()
    )


class Scorecard(models.Model):
    """One interviewer's ratings for one round."""

    round = models.ForeignKey(InterviewRound, on_delete=models.CASCADE, related_name="scorecards")
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="scorecards"
    )
    tenacity = _rating_field("Tenacity")
    trust = _rating_field("Trust")
    follow_up = _rating_field("Follow-up")
    coachability = _rating_field("Coachability")
    closing = _rating_field("Closing")
    recommendation = models.CharField(max_length=12, choices=Recommendation.choices)
    notes = models.TextField(blank=True)
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["round", "submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "interviewer"], name="scorecard_one_per_interviewer"
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__gte": RATING_MIN, f"{name}__lte": RATING_MAX}),
                    name=f"scorecard_{name}_range",
                    violation_error_message=f"{label} is rated from {RATING_MIN} to {RATING_MAX}.",
                )
                for name, label in SCORECARD_TRAITS
            ),
            models.CheckConstraint(
                condition=Q(
                    *(Q(**{f"{name}__isnull": False}) for name, _label in SCORECARD_TRAITS),
                    _connector=Q.OR,
                ),
                name="scorecard_rates_a_trait",
                violation_error_message="Rate at least one trait.",
            ),
            models.CheckConstraint(
                condition=Q(recommendation__in=Recommendation.values),
                name="scorecard_recommendation_valid",
                violation_error_message="Choose a recommendation from the list.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.interviewer} on {self.round}"

    @property
    def average(self) -> float | None:
        return scorecard_mean(getattr(self, name) for name, _label in SCORECARD_TRAITS)


def _cv_path(instance, filename: str) -> str:
    # A random name: the stored path reveals nothing and cannot be guessed or collide.
    return f"cvs/{uuid.uuid4().hex}.{filename.rsplit('.', 1)[-1]}"


class ApplicationCVQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ApplicationCVQuerySet":
        """CVs of applications the user may see (``Application.objects.visible_to``)."""
        return self.filter(application__in=Application.objects.visible_to(user))


class ApplicationCV(models.Model):
    """A CV (PDF or DOCX) uploaded to an application: stored through Django's storage and served
    only by ``candidates.views.cv_download``. Erased with the candidate (privacy)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="cvs")
    file = models.FileField(upload_to=_cv_path, max_length=200)
    filename = models.CharField(max_length=100, help_text="The uploader's name, sanitised.")
    content_type = models.CharField(max_length=100, help_text="Found from the file's bytes.")
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    objects = ApplicationCVQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = "CV"

    def __str__(self) -> str:
        return self.filename


class StaleScore(models.Model):
    """Outbox: an application whose stored score no longer matches what it is computed from.

    Every action that changes a score's inputs adds a row in its own transaction
    (``candidates.freshness.mark_scores_stale``), so the row commits or rolls back with the
    change; ``scoring.scores.stale_scores_drain`` recomputes and deletes rows, right after the
    commit and every minute for whatever a process dying in between left behind.
    """

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    marked_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Stale score of application {self.application_id}"
