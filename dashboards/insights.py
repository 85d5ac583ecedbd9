"""The numbers behind a requisition's charts, in a constant number of queries (four)."""

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from django.db.models import Case, Count, F, IntegerField, Max, OuterRef, Q, Subquery, When
from django.db.models.functions import Greatest, TruncWeek

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
    funnel: list[tuple[str, int]]  # (stage name, applications that reached it or beyond)
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
    """Per stage in today's pipeline order: applications that reached it or a later stage.

    Each application counts up to the furthest stage (by identity, in today's order) that it is
    in or ever moved into: one that skipped a stage, was created further on, or went through
    two stages whose order was later swapped still passed the earlier ones. A stage therefore
    never counts more than the one before it, and no conversion exceeds 100 % (issue #15,
    defect 5). Rejected and Withdrawn are exits, not steps, and are left out. Two queries."""
    stages = list(
        Stage.objects.filter(pipeline_id=requisition.pipeline_id)
        .exclude(kind__in=FUNNEL_EXCLUDED_KINDS)
        .order_by("order")
        .values_list("pk", "name", "order")
    )
    funnel_stage_ids = [pk for pk, _name, _order in stages]
    furthest_in_history = (
        StageTransition.objects.filter(application=OuterRef("pk"), to_stage_id__in=funnel_stage_ids)
        .order_by()
        .values("application")
        .annotate(furthest=Max("to_stage__order"))
        .values("furthest")
    )
    current = Case(
        When(stage_id__in=funnel_stage_ids, then=F("stage__order")),
        default=None,
        output_field=IntegerField(),
    )
    furthest_counts = (
        Application.objects.filter(requisition=requisition)
        # GREATEST skips NULLs in PostgreSQL: either side alone is enough.
        .annotate(
            furthest=Greatest(Subquery(furthest_in_history, output_field=IntegerField()), current)
        )
        .filter(furthest__isnull=False)
        .order_by()
        .values("furthest")
        .annotate(n=Count("pk"))
        .values_list("furthest", "n")
    )
    furthest_counts = list(furthest_counts)
    return [
        (name, sum(n for furthest, n in furthest_counts if furthest >= order))
        for _pk, name, order in stages
    ]


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
