"""The numbers behind a requisition's charts, in a constant number of queries (three)."""

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, TruncWeek

from candidates.models import Application, StageTransition
from followups.models import PersistenceScore
from hiring.models import (
    Requisition,
    SilenceOutcome,
    SilenceTest,
    SilenceTestState,
    Stage,
    StageKind,
)

#: Exits, not steps: a funnel "conversion" into Rejected or Withdrawn means nothing.
FUNNEL_EXCLUDED_KINDS = (StageKind.REJECTED, StageKind.WITHDRAWN)


@dataclass(frozen=True)
class RequisitionInsights:
    funnel: list[tuple[str, int]]  # (stage name, applications that ever reached it)
    scores: list[int]  # current scores of applications with a closed silence test
    latency_hours: list[float]  # first follow-up after the deadline, in hours
    outcomes_by_week: list[tuple[date, int, int]]  # (ISO week's Monday, reached out, silent)


def requisition_insights(*, requisition: Requisition) -> RequisitionInsights:
    return RequisitionInsights(
        funnel=_funnel(requisition),
        **_scores_and_latency(requisition),
        outcomes_by_week=_outcomes_by_week(requisition),
    )


def _funnel(requisition: Requisition) -> list[tuple[str, int]]:
    """Per stage in pipeline order: applications that are in it now or ever moved into it."""
    passed_through = StageTransition.objects.filter(
        application=OuterRef("pk"), to_stage=OuterRef(OuterRef("pk"))
    )
    reached = (
        Application.objects.filter(requisition=requisition)
        .filter(Q(stage=OuterRef("pk")) | Exists(passed_through))
        .order_by()
        .values("requisition")
        .annotate(n=Count("pk"))
        .values("n")
    )
    stages = (
        Stage.objects.filter(pipeline_id=requisition.pipeline_id)
        .exclude(kind__in=FUNNEL_EXCLUDED_KINDS)
        .annotate(reached=Coalesce(Subquery(reached, output_field=IntegerField()), Value(0)))
        .order_by("order")
        .values_list("name", "reached")
    )
    return list(stages)


def _scores_and_latency(requisition: Requisition) -> dict:
    rows = (
        PersistenceScore.objects.filter(
            application__requisition=requisition, is_current=True, silence_test__isnull=False
        )
        .order_by()
        .values_list(
            "score", "silence_test__state", "first_follow_up_at", "silence_test__deadline_at"
        )
    )
    scores, latency = [], []
    for score, state, followed_up_at, deadline_at in rows:
        if state == SilenceTestState.CLOSED:
            scores.append(score)
        if followed_up_at is not None:
            latency.append((followed_up_at - deadline_at).total_seconds() / 3600)
    return {"scores": scores, "latency_hours": latency}


def _outcomes_by_week(requisition: Requisition) -> list[tuple[date, int, int]]:
    """Closed tests per ISO week of their deadline, in the requisition's zone: reached out, and
    no follow-up (silent, or contacted before the deadline only). A withdrawal is neither: the
    candidate left, so it is not counted in the rate."""
    rows = (
        SilenceTest.objects.filter(
            application__requisition=requisition, state=SilenceTestState.CLOSED
        )
        .annotate(week=TruncWeek("deadline_at", tzinfo=ZoneInfo(requisition.time_zone)))
        .order_by("week")
        .values("week")
        .annotate(
            reached=Count("pk", filter=Q(outcome=SilenceOutcome.REACHED_OUT)),
            silent=Count(
                "pk", filter=Q(outcome__in=[SilenceOutcome.SILENT, SilenceOutcome.EARLY_ONLY])
            ),
        )
        .values_list("week", "reached", "silent")
    )
    return [(week.date(), reached, silent) for week, reached, silent in rows]
