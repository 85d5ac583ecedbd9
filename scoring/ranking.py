"""The ranking a hiring manager sees for one requisition (docs/design.md, "Ranking"):
candidates who finished a silence test by score (tie-break: interview scorecard average), then
those still waiting or observing, then those not yet at the test; finished applications
(rejected, withdrawn, hired) last. A manager's position override moves a candidate."""

from dataclasses import dataclass

from django.db.models import F, FilteredRelation, OuterRef, Q, Subquery

from candidates import policy as scorecard_policy
from candidates.models import Application
from followups.models import Contact
from hiring.models import TERMINAL_KINDS, SilenceOutcome, SilenceTest, SilenceTestState

GROUP_FINISHED_TEST, GROUP_IN_TEST, GROUP_BEFORE_TEST, GROUP_CLOSED_APPLICATION = range(4)
GROUP_LABELS = {
    GROUP_FINISHED_TEST: "Silence test finished",
    GROUP_IN_TEST: "Silence test running",
    GROUP_BEFORE_TEST: "Not yet at the silence test",
    GROUP_CLOSED_APPLICATION: "No longer in the process",
}


@dataclass
class RankedRow:
    rank: int
    application: Application
    group: int

    @property
    def group_label(self) -> str:
        return GROUP_LABELS[self.group]


def ranking_queryset(requisition, *, viewer):
    """All applications of a requisition with what the ranking shows, in one query."""
    return with_ranking_fields(Application.objects.filter(requisition=requisition), viewer=viewer)


def with_ranking_fields(applications, *, viewer):
    """``applications`` (a query set) with what the ranking shows: candidate, stage, primary
    email, scorecard average, the latest silence test, the current score and the active
    override (the API's application list reads the same fields). Scorecard averages only
    where ``viewer`` sees every rating (blind scorecards, ``candidates.policy``): elsewhere the
    average is None, so it neither shows nor breaks a tie."""
    latest_test = SilenceTest.objects.filter(application_id=OuterRef("pk")).order_by(
        "-announced_at", "-id"
    )
    return (
        applications.select_related("candidate", "stage")
        .annotate_scorecard_average(shown_if=scorecard_policy.sees_every_rating_sql(viewer))
        .annotate_primary_email()
        # At most one current score and one active override per application (partial unique
        # constraints), so a join each reads them instead of one subquery per column and row.
        .annotate(
            current_score=FilteredRelation("scores", condition=Q(scores__is_current=True)),
            active_override=FilteredRelation(
                "rank_overrides", condition=Q(rank_overrides__is_active=True)
            ),
        )
        .annotate(
            test_state=Subquery(latest_test.values("state")[:1]),
            test_outcome=Subquery(latest_test.values("outcome")[:1]),
            test_contaminated_at=Subquery(latest_test.values("contaminated_at")[:1]),
            test_deadline_at=Subquery(latest_test.values("deadline_at")[:1]),
            score=F("current_score__score"),
            score_outcome=F("current_score__outcome"),
            score_comparable=F("current_score__comparable"),
            score_lines=F("current_score__lines"),
            first_follow_up_at=F("current_score__first_follow_up_at"),
            weights_version=F("current_score__weights__version"),
            override_position=F("active_override__position"),
            override_outcome=F("active_override__outcome"),
            override_reason=F("active_override__reason"),
        )
    )


def _group(application) -> int:
    # A candidate who withdrew (an opt-out, even before anyone moved them) has left the process.
    if application.stage.kind in TERMINAL_KINDS or application.outcome_shown == (
        SilenceOutcome.WITHDREW
    ):
        return GROUP_CLOSED_APPLICATION
    if application.test_state == SilenceTestState.CLOSED:
        return GROUP_FINISHED_TEST
    if application.test_state in (SilenceTestState.WAITING, SilenceTestState.OBSERVING):
        return GROUP_IN_TEST
    return GROUP_BEFORE_TEST


def ranking_labels_set(application) -> None:
    """What the ranking shows of an application read by ``with_ranking_fields``: the outcome
    (a manager's override wins), the labels, and whether its score means anything yet."""
    # The current score's outcome, kept fresh by the one freshness mechanism (a withdrawal
    # shows at once, even when the move to Withdrawn cancelled the test); the closed test's
    # own outcome, which the same drain re-decides, otherwise.
    computed = application.score_outcome
    application.outcome_shown = application.override_outcome or (
        computed if computed in SilenceOutcome.values else application.test_outcome
    )
    application.outcome_label = (
        SilenceOutcome(application.outcome_shown).label if application.outcome_shown else ""
    )
    application.test_state_label = (
        SilenceTestState(application.test_state).label if application.test_state else ""
    )
    # A score only means something once the candidate could follow up.
    application.has_score = application.score is not None and (
        application.score_outcome != "pending" or application.score > 0
    )


def requisition_ranking(requisition, *, viewer) -> list[RankedRow]:
    applications = list(ranking_queryset(requisition, viewer=viewer))
    for application in applications:
        ranking_labels_set(application)
    applications.sort(
        key=lambda a: (
            _group(a),
            -(a.score or 0),
            -(a.scorecard_average or 0),
            a.candidate.last_name,
            a.pk,
        )
    )
    # Manager overrides: place each overridden candidate at the requested position.
    overridden = sorted(
        (a for a in applications if a.override_position), key=lambda a: a.override_position
    )
    ordered = [a for a in applications if not a.override_position]
    for application in overridden:
        ordered.insert(min(application.override_position, len(ordered) + 1) - 1, application)
    return [
        RankedRow(rank=index, application=application, group=_group(application))
        for index, application in enumerate(ordered, start=1)
    ]


#: Rows per ranking page.
RANKING_PAGE_SIZE = 50
SORT_KEYS = {
    "rank": lambda row: row.rank,
    "score": lambda row: (-(row.application.score or 0), row.rank),
    "name": lambda row: (row.application.candidate.last_name.lower(), row.rank),
    "scorecards": lambda row: (-(row.application.scorecard_average or 0), row.rank),
}


@dataclass(frozen=True)
class RankingFilters:
    stage: int | None = None
    state: str = ""
    outcome: str = ""
    min_score: int | None = None
    max_score: int | None = None
    channel: str = ""
    sort: str = "rank"

    @property
    def active(self) -> bool:
        return (
            any((self.stage, self.state, self.outcome, self.channel))
            or self.min_score is not None
            or self.max_score is not None
        )


def filter_ranking(rows: list[RankedRow], filters: RankingFilters, *, requisition) -> list:
    """Filter and sort the ranked rows; the rank stays the overall rank (one query at most,
    for the channel filter)."""
    with_channel = None
    if filters.channel:
        with_channel = set(
            Contact.objects.filter(
                application__requisition=requisition, channel=filters.channel
            ).values_list("application_id", flat=True)
        )
    kept = []
    for row in rows:
        app = row.application
        if filters.stage and app.stage_id != filters.stage:
            continue
        if filters.state and (app.test_state or "none") != filters.state:
            continue
        if filters.outcome and (app.outcome_shown or "") != filters.outcome:
            continue
        score = app.score if app.has_score else None
        if filters.min_score is not None and (score is None or score < filters.min_score):
            continue
        if filters.max_score is not None and (score is None or score > filters.max_score):
            continue
        if with_channel is not None and app.pk not in with_channel:
            continue
        kept.append(row)
    return sorted(kept, key=SORT_KEYS.get(filters.sort, SORT_KEYS["rank"]))


def ranking_filtered(requisition, filters: RankingFilters, *, viewer) -> list[RankedRow]:
    """The ranking as its page shows it to ``viewer``, filters and sort applied: the page and
    its CSV download both read it, so the file holds what the user sees."""
    return filter_ranking(
        requisition_ranking(requisition, viewer=viewer), filters, requisition=requisition
    )
