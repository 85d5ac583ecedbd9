import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Upper

from accounts.roles import is_active_user, is_admin, may_be_hiring_manager, may_be_recruiter
from hiring.calendars import MAX_CLOSURE_DAYS, ClosureKind, ClosureRule, subdivision_choices
from hiring.deadlines import SilenceSchedule
from hiring.validators import validate_country, validate_time_zone


class Pipeline(models.Model):
    """An ordered set of stages that requisitions share (configured by admins)."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


#: The five rating columns of a scorecard (``candidates.Scorecard``), by slot, with the labels
#: every pipeline had before traits were configurable. A pipeline names and enables its traits
#: per slot (``ScorecardTrait``); the columns and the SQL over them stay fixed, so renaming a
#: trait relabels the ratings already given in its slot.
SCORECARD_SLOTS = (
    (1, "tenacity", "Tenacity"),
    (2, "trust", "Trust"),
    (3, "follow_up", "Follow-up"),
    (4, "coachability", "Coachability"),
    (5, "closing", "Closing"),
)
SCORECARD_SLOT_COLUMNS = {slot: column for slot, column, _label in SCORECARD_SLOTS}


class ScorecardTrait(models.Model):
    """One trait a pipeline's scorecards rate: a named slot mapped onto a rating column.
    A disabled slot is not asked for; its column stays empty and counts in no average."""

    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.CASCADE, related_name="scorecard_traits"
    )
    slot = models.PositiveSmallIntegerField(
        choices=[(slot, f"Slot {slot}") for slot, _column, _label in SCORECARD_SLOTS],
        help_text="Which of the scorecard's five rating columns this trait is stored in.",
    )
    label = models.CharField(max_length=60)
    help_text = models.CharField(
        max_length=200, blank=True, help_text="Shown to interviewers under the trait's name."
    )
    enabled = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0, help_text="Smaller comes first.")

    class Meta:
        ordering = ["pipeline", "order", "slot"]
        constraints = [
            models.UniqueConstraint(
                fields=["pipeline", "slot"],
                name="scorecard_trait_one_per_slot",
                violation_error_message="Each slot is configured once per pipeline.",
            ),
            models.UniqueConstraint(
                "pipeline",
                Upper("label"),
                name="scorecard_trait_unique_label",
                violation_error_message="Two traits of a pipeline cannot have the same name.",
            ),
            models.CheckConstraint(
                condition=Q(slot__gte=1, slot__lte=len(SCORECARD_SLOTS)),
                name="scorecard_trait_slot_range",
                violation_error_message=f"Slots are numbered 1 to {len(SCORECARD_SLOTS)}.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pipeline}: {self.label}"

    @property
    def column(self) -> str:
        return SCORECARD_SLOT_COLUMNS[self.slot]


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


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class SilenceAction(models.TextChoices):
    RECOMMEND_NO = "recommend_no", "Recommend “No” to the hiring manager"
    AUTO_REJECT = "auto_reject", "Move the application to Rejected"


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
    # Silence-test configuration: used when kind is "silence test".
    silence_weekday = models.PositiveSmallIntegerField(
        "deadline weekday",
        choices=Weekday.choices,
        default=Weekday.FRIDAY,
        # Plain text: the admin renders help texts as HTML, where "<weekday>" would vanish.
        help_text="The candidate hears “you'll hear from us by [weekday] [time]”, e.g. by "
        "Friday 5 pm.",
    )
    silence_local_time = models.TimeField(
        "deadline time",
        default=dt.time(17, 0),
        help_text="Wall-clock time in the requisition's time zone.",
    )
    silence_lead_hours = models.PositiveSmallIntegerField(
        "minimum lead time (hours)",
        default=48,
        validators=[MaxValueValidator(24 * 28)],
        help_text="The deadline is the first such weekday at least this long after the "
        "announcement.",
    )
    silence_window_business_days = models.PositiveSmallIntegerField(
        "observation window (business days)",
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text="The window closes at the end of this many business days after the deadline "
        "(weekends, public and regional holidays and company closure days are skipped).",
    )
    silence_action = models.CharField(
        "when the candidate stays silent",
        max_length=20,
        choices=SilenceAction.choices,
        default=SilenceAction.RECOMMEND_NO,
    )
    silence_show_candidate_zone = models.BooleanField(
        "show the candidate's time zone",
        default=True,
        help_text="Show the deadline in the candidate's own zone next to the manager's.",
    )

    class Meta:
        ordering = ["pipeline", "order"]
        constraints = [
            # Deferred to the end of the transaction: reordering stages (30 ↔ 40, or the stage
            # editor's drag and drop) passes through a moment where two rows share an order.
            models.UniqueConstraint(
                fields=["pipeline", "order"],
                name="stage_unique_order",
                deferrable=models.Deferrable.DEFERRED,
                violation_error_message="Two stages of a pipeline cannot have the same position.",
            ),
            models.UniqueConstraint(
                fields=["pipeline", "name"],
                name="stage_unique_name",
                violation_error_message="This pipeline already has a stage with this name.",
            ),
            # A pipeline runs one silence test: which stage an announcement belongs to, the
            # board and the digests all assume a single one.
            models.UniqueConstraint(
                fields=["pipeline"],
                condition=Q(kind="silence_test"),
                name="stage_one_silence_test_per_pipeline",
                violation_error_message="A pipeline has at most one silence-test stage.",
            ),
            models.CheckConstraint(
                condition=Q(stuck_after_days__isnull=True) | Q(stuck_after_days__gte=1),
                name="stage_stuck_after_days_positive",
                violation_error_message=(
                    "“Stuck after days” is at least 1; leave it empty to never flag the stage."
                ),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=StageKind.values),
                name="stage_kind_valid",
                violation_error_message="Choose a stage kind from the list.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pipeline.name}: {self.name}" if self.pipeline_id else self.name

    @property
    def is_terminal(self) -> bool:
        return self.kind in TERMINAL_KINDS

    def silence_schedule(self) -> SilenceSchedule:
        """The deadline rule this stage configures (pure arithmetic in ``hiring.deadlines``)."""
        return SilenceSchedule(
            weekday=self.silence_weekday,
            local_time=self.silence_local_time,
            lead=dt.timedelta(hours=self.silence_lead_hours),
            window_business_days=self.silence_window_business_days,
        )


class RequisitionStatus(models.TextChoices):
    OPEN = "open", "Open"
    ON_HOLD = "on_hold", "On hold"
    FILLED = "filled", "Filled"
    CANCELLED = "cancelled", "Cancelled"


class RequisitionQuerySet(models.QuerySet):
    def visible_to(self, user) -> "RequisitionQuerySet":
        """Requisitions a user may open: all for admins, managed or assigned ones otherwise.

        The one place this rule is written (``hiring.policy`` lists where each rule lives).
        EXISTS rather than a join on recruiters, so that rows are never duplicated and the
        queryset stays safe to annotate with aggregates.
        """
        if not is_active_user(user):
            return self.none()
        if is_admin(user):
            return self.all()
        assigned = Requisition.recruiters.through.objects.filter(
            requisition_id=OuterRef("pk"), user_id=user.pk
        )
        return self.filter(Q(hiring_manager_id=user.pk) | Exists(assigned))


def validate_recruiters(users) -> None:
    """A requisition's recruiters must hold the Recruiters role (the admin form and
    ``requisition_create`` call this: a many-to-many is not part of ``Model.clean``)."""
    refused = [user for user in users if not may_be_recruiter(user)]
    if refused:
        raise ValidationError(
            "Only active users with the Recruiters role can be assigned as recruiters: %(names)s.",
            code="not_a_recruiter",
            params={"names": ", ".join(u.get_full_name() or u.username for u in refused)},
        )


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
    subdivision = models.CharField(
        "state / region",
        max_length=10,
        blank=True,
        help_text="Optional state, Land or province code (e.g. BY for Bavaria, NY, CT): its "
        "regional holidays count too. Only the country's subdivisions known to the holiday "
        "calendar are accepted.",
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
                violation_error_message=(
                    "The country is a two-letter ISO code in capitals, e.g. US, DE or SE."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(time_zone=""),
                name="requisition_time_zone_not_empty",
                violation_error_message="Choose the requisition's time zone.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=RequisitionStatus.values),
                name="requisition_status_valid",
                violation_error_message="Choose a status from the list.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean_fields(self, exclude=None) -> None:
        # "se" means SE: normalised before the validators and the capitals-only constraint.
        self.country = (self.country or "").strip().upper()
        super().clean_fields(exclude=exclude)

    def clean(self) -> None:
        super().clean()
        if self.hiring_manager_id and not may_be_hiring_manager(self.hiring_manager):
            raise ValidationError(
                {
                    "hiring_manager": "The hiring manager must have the Hiring managers or "
                    "Admins role: hiring decisions are theirs."
                },
                code="not_a_hiring_manager",
            )
        if self.subdivision and self.country:
            known = {code for code, _label in subdivision_choices(self.country)}
            if self.subdivision not in known:
                raise ValidationError(
                    {
                        "subdivision": f"{self.country} has no subdivision "
                        f"“{self.subdivision[:10]}” in the holiday calendar; choose one of: "
                        f"{', '.join(sorted(known)) or 'none (leave it empty)'}."
                    },
                    code="invalid_subdivision",
                )


#: The most days a month can have (29 February: leap years only, see ``ClosureRule``).
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class Closure(models.Model):
    """A day (or days) the company is closed: a non-business day for silence-test deadlines,
    windows and latency, exactly like a public holiday. Edited through
    ``hiring.closures.closure_save``/``closure_delete``, which move waiting tests."""

    label = models.CharField(max_length=100, help_text="E.g. “Day after Thanksgiving”.")
    kind = models.CharField(max_length=12, choices=ClosureKind.CHOICES, default=ClosureKind.DATES)
    start = models.DateField(null=True, blank=True, help_text="On a date: the (first) day.")
    end = models.DateField(
        null=True, blank=True, help_text="On a date: the last day of a range (empty: one day)."
    )
    month = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    day = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text="Every year: the day of the month.",
    )
    weekday = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=Weekday.choices, help_text="Nth weekday: which weekday."
    )
    nth = models.SmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(-1), MaxValueValidator(5)],
        help_text="Nth weekday: 1 to 5, or -1 for the last one of the month.",
    )
    offset_days = models.SmallIntegerField(
        default=0,
        validators=[MinValueValidator(-7), MaxValueValidator(7)],
        help_text="Nth weekday: days after it (1 = the day after Thanksgiving, the 4th Thursday "
        "of November).",
    )
    country = models.CharField(
        max_length=2,
        blank=True,
        validators=[validate_country],
        help_text="ISO code: only requisitions in this country. Empty: every requisition.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "month", "start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[choice for choice, _label in ClosureKind.CHOICES]),
                name="closure_kind_valid",
                violation_error_message="Choose a kind of closure from the list.",
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(start__isnull=False, end__gte=F("start")),
                name="closure_end_after_start",
                violation_error_message="The last day cannot be before the first (or without one).",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        super().clean()
        self.country = (self.country or "").upper()
        errors = {}
        if self.end is not None and (self.start is None or self.end < self.start):
            errors["end"] = "The last day cannot be before the first (or without one)."
        elif self.end is not None and (self.end - self.start).days >= MAX_CLOSURE_DAYS:
            errors["end"] = f"A closure spans at most {MAX_CLOSURE_DAYS} days."
        month_ok = self.month is not None and 1 <= self.month <= 12
        if self.kind == ClosureKind.DATES and self.start is None:
            errors["start"] = "Give the day the company is closed."
        elif self.kind == ClosureKind.YEARLY and (not month_ok or self.day is None):
            errors["day"] = "Give the month and the day."
        elif self.kind == ClosureKind.YEARLY and self.day > _DAYS_IN_MONTH[self.month - 1]:
            errors["day"] = "That month has no such day."
        elif self.kind == ClosureKind.NTH_WEEKDAY and (
            not month_ok or self.weekday is None or self.nth in (None, 0)
        ):
            errors["nth"] = "Give the month, the weekday and which one (1 to 5, or -1)."
        if errors:
            raise ValidationError(errors)

    def as_rule(self) -> ClosureRule:
        return ClosureRule(
            kind=self.kind,
            start=self.start,
            end=self.end,
            month=self.month,
            day=self.day,
            weekday=self.weekday,
            nth=self.nth,
            offset_days=self.offset_days or 0,
            country=self.country,
        )


class UserProfile(models.Model):
    """Per-user preferences; the time zone every date on screen is shown in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])

    def __str__(self) -> str:
        return f"Profile of {self.user}"


class SilenceTestState(models.TextChoices):
    WAITING = "waiting", "Waiting for the deadline"
    OBSERVING = "observing", "Observing"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


OPEN_SILENCE_STATES = (SilenceTestState.WAITING, SilenceTestState.OBSERVING)


class SilenceOutcome(models.TextChoices):
    """How a closed silence test ended (``followups.rules.silence_outcome`` decides)."""

    REACHED_OUT = "reached_out", "Reached out"
    SILENT = "silent", "Silent"
    # The candidate reached out, but only before the deadline: 0 under the rule, never
    # reported as silence (docs/design.md, "The silence test").
    EARLY_ONLY = "early_only", "Contacted before the deadline only"
    # An opt-out in the test's scope or a move to Withdrawn: not silence, never auto-rejected.
    WITHDREW = "withdrew", "Withdrew"


class SilenceDigest(models.Model):
    """One email per requisition and window close, listing who reached out and who stayed silent.

    Unique per (requisition, window close) so that retried or concurrent sweeps create it once.
    """

    requisition = models.ForeignKey(
        Requisition, on_delete=models.CASCADE, related_name="silence_digests"
    )
    window_closes_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    # Created by the first sweep batch that closes a test of the group (so each test gets its
    # digest in the UPDATE that closes it); its email is queued only once no test of the group
    # is still open, so it lists everyone.
    queued_at = models.DateTimeField(
        null=True, blank=True, help_text="When its email was queued: once every test had closed."
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    recipient = models.EmailField(blank=True)
    failure = models.TextField(blank=True, help_text="Why the digest could not be sent.")

    class Meta:
        ordering = ["-window_closes_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["requisition", "window_closes_at"], name="silence_digest_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"Digest for {self.requisition} ({self.window_closes_at:%Y-%m-%d})"


class SilenceTest(models.Model):
    """The team told the candidate "you'll hear from us by <deadline>" and now stays silent."""

    application = models.ForeignKey(
        "candidates.Application", on_delete=models.CASCADE, related_name="silence_tests"
    )
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    announced_at = models.DateTimeField(help_text="When the candidate was told.")
    announced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who told the candidate.",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    time_zone = models.CharField(max_length=64, help_text="The requisition's zone when announced.")
    deadline_at = models.DateTimeField()
    window_closes_at = models.DateTimeField()
    state = models.CharField(
        max_length=12, choices=SilenceTestState.choices, default=SilenceTestState.WAITING
    )
    observing_since = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=SilenceOutcome.choices, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    contaminated_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The team contacted the candidate while observing: not comparable.",
    )
    contaminated_by = models.ForeignKey(
        "followups.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    digest = models.ForeignKey(
        SilenceDigest, null=True, blank=True, on_delete=models.SET_NULL, related_name="tests"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-announced_at", "-id"]
        constraints = [
            # Re-announcing replaces the open test; there is never a second one.
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(state__in=["waiting", "observing"]),
                name="silence_test_one_open_per_application",
            ),
            models.CheckConstraint(
                condition=Q(deadline_at__gte=models.F("announced_at"))
                & Q(window_closes_at__gt=models.F("deadline_at")),
                name="silence_test_instants_ordered",
                violation_error_message=(
                    "The deadline cannot be before the announcement, and the window must close "
                    "after the deadline."
                ),
            ),
            models.CheckConstraint(
                condition=Q(state__in=SilenceTestState.values),
                name="silence_test_state_valid",
                violation_error_message="Choose a silence-test state from the list.",
            ),
            models.CheckConstraint(
                condition=(Q(state="closed") & Q(outcome__in=SilenceOutcome.values))
                | (~Q(state="closed") & Q(outcome="")),
                name="silence_test_outcome_iff_closed",
                violation_error_message="A silence test has an outcome exactly when it is closed.",
            ),
        ]
        indexes = [
            models.Index(
                fields=["deadline_at", "id"],
                condition=Q(state="waiting"),
                name="silence_test_due_start_idx",
            ),
            models.Index(
                fields=["window_closes_at", "id"],
                condition=Q(state="observing"),
                name="silence_test_due_close_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Silence test of application {self.application_id} ({self.get_state_display()})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_SILENCE_STATES

    @property
    def is_contaminated(self) -> bool:
        return self.contaminated_at is not None


class CalendarFeedToken(models.Model):
    """The secret in a user's .ics feed URL; revoking it, or issuing a new one, kills the old URL.

    Issued by ``dashboards.calendar_feed.calendar_token_issue`` (``secrets.token_urlsafe(32)``).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed_tokens"
    )
    token = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(revoked_at__isnull=True),
                name="calendar_feed_token_one_active_per_user",
            ),
        ]

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "active"
        return f"Calendar feed token of {self.user} ({state})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class SilenceTestReschedule(models.Model):
    """History: a waiting test's deadline moved by an edit of the company calendar."""

    test = models.ForeignKey(SilenceTest, on_delete=models.CASCADE, related_name="reschedules")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=200)
    old_deadline_at = models.DateTimeField()
    new_deadline_at = models.DateTimeField()
    old_window_closes_at = models.DateTimeField()
    new_window_closes_at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Deadline of silence test {self.test_id} moved"
