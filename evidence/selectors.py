"""The bias audit and the validity figures: read the rows, hand plain numbers to
``evidence.stats``. The page, the CSV download and the ``bias_audit`` command all call
``bias_audit`` and ``bias_audit_csv_rows``, so they cannot disagree.

Callers check ``evidence.policy.may_view_evidence`` first; nothing here returns an individual's
self-identification, only counts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import F

from candidates.models import SCORECARD_TRAITS, Scorecard, scorecard_mean
from evidence import stats
from evidence.models import DECLINED, PostHireOutcome, RaceEthnicity, SelfIdentification, Sex
from followups.models import PersistenceScore
from hiring.models import SilenceOutcome, SilenceTest, SilenceTestState, StageKind

UNKNOWN = "Unknown (declined or missing)"
SEX_CATEGORIES = [(code, label) for code, label in Sex.choices if code != DECLINED]
RACE_CATEGORIES = [
    (code, label.split(" (")[0]) for code, label in RaceEthnicity.choices if code != DECLINED
]
DIMENSIONS = (
    ("sex", "Sex"),
    ("race_ethnicity", "Race/ethnicity"),
    ("intersection", "Sex and race (intersections)"),
)
MEASURES = (
    ("selection", "Silence test: reached out"),
    ("scoring", "Persistence score above the median"),
)


@dataclass(frozen=True)
class Scope:
    """What a report covers: one requisition, one pipeline, or all; window closes from ``since``
    to ``until`` inclusive (dates in UTC)."""

    requisition_id: int | None = None
    pipeline_id: int | None = None
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class Person:
    """One application's finished test, with its category (never leaves this module)."""

    selected: bool
    score: int | None
    sex: str | None
    race: str | None


@dataclass
class Dimension:
    key: str
    label: str
    rows: list[stats.ImpactRow]
    unknown_n: int
    unknown_selected: int
    #: Why no ratios are shown (no category large enough to be the reference); "" otherwise.
    no_ratio_reason: str = ""


@dataclass
class Measure:
    key: str
    label: str
    total: int
    selected: int
    dimensions: list[Dimension]


@dataclass
class BiasAudit:
    scope: Scope
    finished: int = 0
    excluded_contaminated: int = 0
    excluded_cancelled: int = 0
    excluded_withdrew: int = 0
    excluded_alternative: int = 0
    without_score: int = 0
    median_score: float | None = None
    measures: list[Measure] = field(default_factory=list)


def _window(scope: Scope) -> dict:
    filters = {}
    if scope.since:
        filters["window_closes_at__gte"] = datetime.combine(scope.since, time.min, tzinfo=UTC)
    if scope.until:
        end = scope.until + timedelta(days=1)
        filters["window_closes_at__lt"] = datetime.combine(end, time.min, tzinfo=UTC)
    return filters


def _scoped_tests(scope: Scope):
    tests = SilenceTest.objects.filter(
        state__in=[SilenceTestState.CLOSED, SilenceTestState.CANCELLED], **_window(scope)
    )
    if scope.requisition_id:
        tests = tests.filter(application__requisition_id=scope.requisition_id)
    if scope.pipeline_id:
        tests = tests.filter(application__requisition__pipeline_id=scope.pipeline_id)
    return tests


def _categories(candidate_ids) -> dict[int, tuple[str | None, str | None]]:
    """Candidate id -> (sex, race), None for declined; a candidate missing here has no answer."""
    return {
        candidate_id: (None if sex == DECLINED else sex, None if race == DECLINED else race)
        for candidate_id, sex, race in SelfIdentification.objects.filter(
            candidate_id__in=candidate_ids
        ).values_list("candidate_id", "sex", "race_ethnicity")
    }


def _dimension_groups(people: Sequence[Person], key: str, is_selected) -> Dimension:
    counts: Counter = Counter()
    chosen: Counter = Counter()
    if key == "sex":
        categories = SEX_CATEGORIES

        def category(p):
            return p.sex
    elif key == "race_ethnicity":
        categories = RACE_CATEGORIES

        def category(p):
            return p.race
    else:
        categories = [
            (f"{sex}|{race}", f"{sex_label} · {race_label}")
            for sex, sex_label in SEX_CATEGORIES
            for race, race_label in RACE_CATEGORIES
        ]

        def category(p):
            return f"{p.sex}|{p.race}" if p.sex and p.race else None

    for person in people:
        value = category(person)
        counts[value] += 1
        chosen[value] += int(is_selected(person))
    groups = [(label, counts[code], chosen[code]) for code, label in categories]
    label = dict(DIMENSIONS)[key]
    rows = stats.impact_table(groups, total=len(people))
    return Dimension(
        key=key,
        label=label,
        rows=rows,
        unknown_n=counts[None],
        unknown_selected=chosen[None],
        no_ratio_reason=stats.no_ratio_reason(rows),
    )


def _measure(key: str, people: Sequence[Person], is_selected) -> Measure:
    return Measure(
        key=key,
        label=dict(MEASURES)[key],
        total=len(people),
        selected=sum(1 for p in people if is_selected(p)),
        dimensions=[_dimension_groups(people, dim, is_selected) for dim, _label in DIMENSIONS],
    )


def bias_audit(scope: Scope) -> BiasAudit:
    """The audit of the silence test (selection: reached out) and the persistence score
    (scoring rate: above the median of every finished test in the report).

    Unit: one application, its latest silence test whose window closes in the range.
    Cancelled and contaminated tests, and applications on an alternative assessment, are left
    out and counted.
    """
    audit = BiasAudit(scope=scope)
    latest = list(
        _scoped_tests(scope)
        .order_by("application_id", "-window_closes_at", "-id")
        .distinct("application_id")
        .values(
            "application_id",
            "state",
            "outcome",
            "contaminated_at",
            candidate_id=F("application__candidate_id"),
            alternative=F("application__alternative_assessment"),
        )
    )
    finished = []
    for row in latest:
        if row["alternative"]:
            audit.excluded_alternative += 1
        elif row["state"] == SilenceTestState.CANCELLED:
            audit.excluded_cancelled += 1
        elif row["contaminated_at"] is not None:
            audit.excluded_contaminated += 1
        elif row["outcome"] == SilenceOutcome.WITHDREW:
            # The candidate left: neither selected nor not selected by the silence test.
            audit.excluded_withdrew += 1
        else:
            finished.append(row)
    audit.finished = len(finished)
    scores = dict(
        PersistenceScore.objects.filter(
            is_current=True, application_id__in=[r["application_id"] for r in finished]
        ).values_list("application_id", "score")
    )
    categories = _categories([r["candidate_id"] for r in finished])
    people = [
        Person(
            selected=row["outcome"] == SilenceOutcome.REACHED_OUT,
            score=scores.get(row["application_id"]),
            sex=categories.get(row["candidate_id"], (None, None))[0],
            race=categories.get(row["candidate_id"], (None, None))[1],
        )
        for row in finished
    ]
    scored = [p for p in people if p.score is not None]
    audit.without_score = len(people) - len(scored)
    audit.median_score = stats.median([p.score for p in scored])
    median = audit.median_score
    audit.measures = [
        _measure("selection", people, lambda p: p.selected),
        _measure("scoring", scored, lambda p: median is not None and p.score > median),
    ]
    return audit


def _fmt(value: float | None, digits: int = 4) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _fmt_p(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


CSV_HEADER = (
    "measure",
    "dimension",
    "category",
    "n",
    "selected",
    "rate",
    "impact_ratio",
    "excluded_under_2_percent",
    "small_cell_under_5",
    "flagged_under_four_fifths",
    "fisher_p_vs_highest",
    "reference_group",
)


def bias_audit_csv_rows(audit: BiasAudit) -> list[tuple[str, ...]]:
    """The audit as CSV rows (header first): summary counts, then every category of every
    measure and dimension, then the unknown count of each."""
    rows: list[tuple[str, ...]] = [CSV_HEADER]

    def summary(name: str, value) -> None:
        rows.append(("summary", "", name, str(value), "", "", "", "", "", "", "", ""))

    summary("finished tests", audit.finished)
    summary("excluded: contaminated", audit.excluded_contaminated)
    summary("excluded: cancelled", audit.excluded_cancelled)
    summary("excluded: withdrew", audit.excluded_withdrew)
    summary("excluded: alternative assessment", audit.excluded_alternative)
    summary("finished without a score", audit.without_score)
    summary("median score", _fmt(audit.median_score, 1))
    for measure in audit.measures:
        for dimension in measure.dimensions:
            for row in dimension.rows:
                rows.append(
                    (
                        measure.key,
                        dimension.key,
                        row.category,
                        str(row.n),
                        str(row.selected),
                        _fmt(row.rate),
                        _fmt(row.impact_ratio),
                        "yes" if row.excluded else "no",
                        "yes" if row.small else "no",
                        "yes" if row.flagged else "no",
                        _fmt_p(row.p_value),
                        "yes" if row.is_reference else "no",
                    )
                )
            rows.append(
                (
                    measure.key,
                    dimension.key,
                    UNKNOWN,
                    str(dimension.unknown_n),
                    str(dimension.unknown_selected),
                    _fmt(stats.rate(dimension.unknown_selected, dimension.unknown_n)),
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                )
            )
    return rows


# --- Predictive validity ------------------------------------------------------------------------

OUTCOMES = (
    ("quota_6m", "Quota attainment at 6 months"),
    ("quota_12m", "Quota attainment at 12 months"),
    ("ramp_months", "Ramp time (months; lower is better)"),
    ("employed_12m", "Still employed at 12 months"),
)
PREDICTORS = (
    ("score", "Persistence score"),
    ("reached_out", "Silence test: reached out"),
    ("scorecard", "Interview scorecard average"),
)


@dataclass(frozen=True)
class Hire:
    application_id: int
    score: float | None
    reached_out: float | None
    scorecard: float | None
    outcomes: dict[str, float | None]


@dataclass
class ValidityCell:
    predictor: str
    outcome: str
    result: stats.Correlation


@dataclass
class Validity:
    hires_with_outcomes: int
    cells: list[ValidityCell]
    #: Persistence score with each outcome, the scorecard average held constant.
    partials: list[ValidityCell]

    def table(self) -> list[tuple[str, list[ValidityCell]]]:
        """Rows per outcome label, cells in ``PREDICTORS`` order then the partial."""
        by_outcome = defaultdict(list)
        for cell in self.cells:
            by_outcome[cell.outcome].append(cell)
        for cell in self.partials:
            by_outcome[cell.outcome].append(cell)
        return [(label, by_outcome[key]) for key, label in OUTCOMES]


def _as_float(value) -> float | None:
    if value is None:
        return None
    return float(value)


def hires(requisition_id: int | None = None) -> list[Hire]:
    """Hired applications with a recorded outcome, with their three predictors."""
    outcomes = PostHireOutcome.objects.filter(
        application__stage__kind=StageKind.HIRED,
        application__alternative_assessment=False,
    )
    if requisition_id:
        outcomes = outcomes.filter(application__requisition_id=requisition_id)
    rows = list(
        outcomes.values("application_id", *(key for key, _label in OUTCOMES)).order_by(
            "application_id"
        )
    )
    ids = [row["application_id"] for row in rows]
    scores = dict(
        PersistenceScore.objects.filter(is_current=True, application_id__in=ids).values_list(
            "application_id", "score"
        )
    )
    tests = {}
    for application_id, outcome in (
        SilenceTest.objects.filter(
            application_id__in=ids, state=SilenceTestState.CLOSED, contaminated_at__isnull=True
        )
        .order_by("application_id", "-window_closes_at", "-id")
        .distinct("application_id")
        .values_list("application_id", "outcome")
    ):
        if outcome == SilenceOutcome.WITHDREW:
            continue  # not a reached-out-or-not data point
        tests[application_id] = 1.0 if outcome == SilenceOutcome.REACHED_OUT else 0.0
    card_sums: dict[int, list[float]] = defaultdict(list)
    traits = [name for name, _label in SCORECARD_TRAITS]
    for row in Scorecard.objects.filter(round__application_id__in=ids).values(
        "round__application_id", *traits
    ):
        mean = scorecard_mean(row[t] for t in traits)  # over the traits the card rates
        if mean is not None:
            card_sums[row["round__application_id"]].append(mean)
    return [
        Hire(
            application_id=row["application_id"],
            score=_as_float(scores.get(row["application_id"])),
            reached_out=tests.get(row["application_id"]),
            scorecard=(
                sum(card_sums[row["application_id"]]) / len(card_sums[row["application_id"]])
                if card_sums[row["application_id"]]
                else None
            ),
            # Decimals, months and booleans alike become floats (True is 1.0).
            outcomes={key: _as_float(row[key]) for key, _label in OUTCOMES},
        )
        for row in rows
    ]


def _pairs(people: Sequence[Hire], predictor, outcome: str):
    xs, ys = [], []
    for hire in people:
        x, y = predictor(hire), hire.outcomes[outcome]
        if x is not None and y is not None:
            xs.append(x)
            ys.append(y)
    return xs, ys


def validity(requisition_id: int | None = None) -> Validity:
    people = hires(requisition_id)
    cells = []
    partials = []
    for outcome, _label in OUTCOMES:
        for predictor, _plabel in PREDICTORS:
            xs, ys = _pairs(people, lambda h, p=predictor: getattr(h, p), outcome)
            cells.append(ValidityCell(predictor, outcome, stats.correlation(xs, ys)))
        complete = [
            h
            for h in people
            if h.score is not None and h.scorecard is not None and h.outcomes[outcome] is not None
        ]
        partials.append(
            ValidityCell(
                "score_given_scorecard",
                outcome,
                stats.partial_correlation(
                    [h.score for h in complete],
                    [h.outcomes[outcome] for h in complete],
                    [h.scorecard for h in complete],
                ),
            )
        )
    return Validity(hires_with_outcomes=len(people), cells=cells, partials=partials)


# --- Weights backtest -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BacktestRow:
    outcome: str
    label: str
    current: stats.Correlation
    draft: stats.Correlation


def weights_backtest(*, draft, current, score_with, now: datetime) -> list[BacktestRow]:
    """How well the persistence score under the ``current`` and ``draft`` weights (scoring
    rules objects) tracks each recorded outcome. ``score_with(rules, application_ids, now)``
    returns ``{application id: score}`` (the scoring app's loader: this module does not score)."""
    people = hires()
    ids = [h.application_id for h in people]
    current_scores = score_with(current, ids, now)
    draft_scores = score_with(draft, ids, now)
    result = []
    for key, label in OUTCOMES:
        have = [
            h
            for h in people
            if h.outcomes[key] is not None
            and h.application_id in current_scores
            and h.application_id in draft_scores
        ]
        ys = [h.outcomes[key] for h in have]
        result.append(
            BacktestRow(
                outcome=key,
                label=label,
                current=stats.correlation([current_scores[h.application_id] for h in have], ys),
                draft=stats.correlation([draft_scores[h.application_id] for h in have], ys),
            )
        )
    return result


def outcome_counts_by_application(application_ids) -> dict[int, bool]:
    """Which of these applications have an outcome recorded (for the outcomes list)."""
    return dict.fromkeys(
        PostHireOutcome.objects.filter(application_id__in=list(application_ids)).values_list(
            "application_id", flat=True
        ),
        True,
    )
