"""The requisition list and the pipeline board."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from candidates import policy as scorecard_policy
from candidates.models import Application
from hiring.models import TERMINAL_KINDS, Requisition, Stage


def requisitions_for_list(*, user):
    """Requisitions the user may open, with pipeline counts, in one query.

    The counts are correlated subqueries (one index range on the application's requisition each)
    rather than a grouped join: the join aggregated every application of the table before the
    visibility filter applied (10 ms for one requisition at 20 000 applications, 0.3 ms now).
    """
    per_requisition = (
        Application.objects.filter(requisition_id=OuterRef("pk"))
        .order_by()
        .values("requisition_id")
    )

    def count(applications):
        return Coalesce(Subquery(applications.annotate(n=Count("id")).values("n")), Value(0))

    return (
        Requisition.objects.visible_to(user)
        .select_related("hiring_manager", "pipeline")
        .annotate(
            active_count=count(per_requisition.exclude(stage__kind__in=TERMINAL_KINDS)),
            total_count=count(per_requisition),
        )
        .order_by("status", "title", "id")
    )


def is_stuck(*, stage: Stage, entered_at: datetime, now: datetime) -> bool:
    """An application is stuck when it stayed longer than its stage allows. Pure."""
    return stage.stuck_after_days is not None and now - entered_at > timedelta(
        days=stage.stuck_after_days
    )


@dataclass
class BoardColumn:
    stage: Stage
    applications: list = field(default_factory=list)
    stuck_count: int = 0


def requisition_board(*, requisition: Requisition, viewer, now: datetime) -> list[BoardColumn]:
    """The pipeline board: one column per stage, in order. Two queries whatever the size.
    Scorecard averages only where ``viewer`` sees every rating (blind scorecards)."""
    columns = {
        stage.pk: BoardColumn(stage=stage)
        for stage in Stage.objects.filter(pipeline_id=requisition.pipeline_id).order_by("order")
    }
    applications = Application.objects.filter(requisition=requisition).for_board(
        shown_if=scorecard_policy.sees_every_rating_sql(viewer)
    )
    for application in applications:
        column = columns.get(application.stage_id)
        if column is None:  # pragma: no cover - stage/pipeline mismatch is refused on write
            continue
        application.is_stuck = is_stuck(
            stage=application.stage, entered_at=application.stage_entered_at, now=now
        )
        application.days_in_stage = (now - application.stage_entered_at).days
        column.stuck_count += application.is_stuck
        column.applications.append(application)
    return list(columns.values())
