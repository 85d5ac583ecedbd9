from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse

from candidates.models import Application
from hiring.models import (
    TERMINAL_KINDS,
    Requisition,
    SilenceDigest,
    SilenceOutcome,
    SilenceTest,
    Stage,
)


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


def requisition_board(*, requisition: Requisition, now: datetime) -> list[BoardColumn]:
    """The pipeline board: one column per stage, in order. Two queries whatever the size."""
    columns = {
        stage.pk: BoardColumn(stage=stage)
        for stage in Stage.objects.filter(pipeline_id=requisition.pipeline_id).order_by("order")
    }
    applications = Application.objects.filter(requisition=requisition).for_board()
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


# --- Silence tests ------------------------------------------------------------------------------


def _first_follow_up_at():
    """The candidate's first persistence signal after the deadline, inside the window."""
    from followups.selectors import window_follow_ups

    return Subquery(window_follow_ups().order_by("occurred_at").values("occurred_at")[:1])


def silence_tests_for_board(*, requisition: Requisition):
    """Every silence test of a requisition with its candidate, in one query."""
    return (
        SilenceTest.objects.filter(application__requisition=requisition)
        .select_related("application__candidate", "application__stage", "announced_by")
        .annotate(first_follow_up_at=_first_follow_up_at())
        .order_by("deadline_at", "id")
    )


@dataclass
class SilenceBoard:
    waiting: list = field(default_factory=list)
    observing: list = field(default_factory=list)
    closed: list = field(default_factory=list)
    cancelled: list = field(default_factory=list)


def silence_board(*, requisition: Requisition) -> SilenceBoard:
    board = SilenceBoard()
    for test in silence_tests_for_board(requisition=requisition):
        getattr(board, test.state).append(test)
    # Closed: those who reached out first (soonest follow-up first), then the silent ones.
    board.closed.sort(
        key=lambda t: (
            t.outcome != SilenceOutcome.REACHED_OUT,
            t.first_follow_up_at or t.closed_at,
        )
    )
    return board


@dataclass(frozen=True)
class DigestContent:
    subject: str
    text: str


def silence_digest_content(*, digest: SilenceDigest) -> DigestContent:
    """The digest email: who reached out (soonest first), who stayed silent, and a link."""
    requisition = digest.requisition
    tests = list(
        SilenceTest.objects.filter(digest=digest)
        .select_related("application__candidate")
        .annotate(first_follow_up_at=_first_follow_up_at())
        .order_by("first_follow_up_at", "application__candidate__last_name", "id")
    )
    tz = ZoneInfo(requisition.time_zone)
    reached = [t for t in tests if t.outcome == SilenceOutcome.REACHED_OUT]
    silent = [t for t in tests if t.outcome == SilenceOutcome.SILENT]
    lines = [
        f"The silence-test window for {requisition.title} closed "
        f"{digest.window_closes_at.astimezone(tz):%A %d %B %Y %H:%M %Z}.",
        "",
        f"Reached out ({len(reached)}):",
    ]
    for test in reached:
        after = test.first_follow_up_at - test.deadline_at
        hours = int(after.total_seconds() // 3600)
        flag = " — not comparable: the team contacted them" if test.is_contaminated else ""
        lines.append(
            f"  - {test.application.candidate.full_name}: first follow-up {hours} h after the "
            f"deadline{flag}"
        )
    if not reached:
        lines.append("  nobody")
    lines += ["", f"Stayed silent ({len(silent)}) — recommended “No”. Don't chase them:"]
    lines += [f"  - {t.application.candidate.full_name}" for t in silent] or ["  nobody"]
    lines += [
        "",
        f"Ranking: {settings.SITE_URL}{reverse('followups:ranking', args=[requisition.pk])}",
        f"Silence board: {settings.SITE_URL}"
        f"{reverse('hiring:silence_board', args=[requisition.pk])}",
    ]
    return DigestContent(
        subject=f"[Persist] {requisition.title}: {len(reached)} reached out, {len(silent)} silent",
        text="\n".join(lines) + "\n",
    )
