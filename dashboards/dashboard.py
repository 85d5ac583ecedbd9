"""The home page per role: what each person should act on today. Constant queries per role."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db.models import Count, Q

from accounts.roles import is_admin, is_hiring_manager
from candidates.models import Application
from followups import policy as contact_policy
from followups.models import Promise, PromiseStatus
from hiring.models import (
    TERMINAL_KINDS,
    Pipeline,
    Requisition,
    SilenceTest,
    SilenceTestState,
    Stage,
    StageKind,
)

#: Rows listed per dashboard card ("and N more" below).
CARD_LIMIT = 10
#: Silence-test deadlines within this horizon show on the manager's card.
DEADLINE_HORIZON = timedelta(days=7)
#: The smallest step of a timestamp: a deadline still shows at its very instant.
_TICK = timedelta(microseconds=1)
#: Promises due within this horizon show on the recruiter's card.
PROMISE_HORIZON = timedelta(hours=48)


@dataclass
class Dashboard:
    decisions: list = field(default_factory=list)
    deadlines: list = field(default_factory=list)
    unmatched_count: int = 0
    promises_due: list = field(default_factory=list)
    stuck: list = field(default_factory=list)
    stuck_count: int = 0
    stages_without_config: list = field(default_factory=list)
    requisitions_without_recruiters: list = field(default_factory=list)
    #: Until when the hiring-manager cards stay right with nothing written: the first deadline
    #: shown leaves the week when it passes, the next one enters it seven days before it.
    valid_until: datetime | None = None


def _decision_order(tests: list) -> list:
    """``ORDER BY outcome, closed_at DESC`` (NULLs first, as PostgreSQL sorts them): a UNION
    does not promise to keep each part's order."""
    tests = sorted(
        tests,
        key=lambda t: (t.closed_at is None, t.closed_at or datetime.min.replace(tzinfo=UTC)),
        reverse=True,
    )
    return sorted(tests, key=lambda t: t.outcome)


def dashboard_for(*, user, now: datetime, requisition_ids: list[int] | None = None) -> Dashboard:
    """``requisition_ids``: the requisitions ``visible_to(user)``, if the caller read them."""
    board = Dashboard()
    requisitions = Requisition.objects.visible_to(user)
    if requisition_ids is not None:
        requisitions = requisition_ids
    if is_hiring_manager(user) or is_admin(user):
        if not is_admin(user) and requisition_ids is None:
            # Resolved first (one indexed query): filtering the cards by the visibility
            # subquery made PostgreSQL join every requisition's silence tests before checking
            # access, so the home grew with the whole database, not with the user's own data.
            requisitions = list(requisitions.values_list("pk", flat=True))
        tests = SilenceTest.objects.filter(
            application__requisition_id__in=requisitions
        ).select_related("application__candidate", "application__requisition")
        # Closed tests whose candidate still waits in the silence-test stage: decide.
        decisions = tests.filter(
            state=SilenceTestState.CLOSED,
            application__stage__kind=StageKind.SILENCE_TEST,
        ).order_by("outcome", "-closed_at")[:CARD_LIMIT]
        # One more than the card shows and no end to the week: the first one past the card
        # says when the card changes next (it enters the week), at no extra round trip.
        deadlines = tests.filter(state=SilenceTestState.WAITING, deadline_at__gte=now).order_by(
            "deadline_at"
        )[: CARD_LIMIT + 1]
        # Both cards in one round trip; the states are disjoint, so the rows split back.
        both = list(decisions.union(deadlines, all=True))
        board.decisions = _decision_order([t for t in both if t.state == SilenceTestState.CLOSED])
        upcoming = sorted(
            (t for t in both if t.state == SilenceTestState.WAITING),
            key=lambda t: t.deadline_at,
        )
        week_end = now + DEADLINE_HORIZON
        board.deadlines = [t for t in upcoming if t.deadline_at < week_end][:CARD_LIMIT]
        changes = [t.deadline_at + _TICK for t in board.deadlines[:1]]
        changes += [
            t.deadline_at - DEADLINE_HORIZON + _TICK
            for t in upcoming[: CARD_LIMIT + 1]
            if t.deadline_at >= week_end
        ][:1]
        board.valid_until = min(changes, default=None)
    if contact_policy.may_triage_queue(user):
        board.unmatched_count = contact_policy.unmatched_queue_visible_to(user).count()
        board.promises_due = list(
            Promise.objects.filter(
                application__requisition_id__in=requisitions,
                status=PromiseStatus.OPEN,
                due_at__lt=now + PROMISE_HORIZON,
            )
            .select_related("application__candidate")
            .order_by("due_at")[:CARD_LIMIT]
        )
        # One condition per stage with a limit (a handful of stages): portable date arithmetic
        # done in Python, the filtering in SQL.
        too_long = Q(pk__in=[])
        for stage_id, days in (
            Stage.objects.filter(stuck_after_days__isnull=False)
            .exclude(kind__in=TERMINAL_KINDS)
            .values_list("pk", "stuck_after_days")
        ):
            too_long |= Q(stage_id=stage_id, stage_entered_at__lt=now - timedelta(days=days))
        stuck = (
            Application.objects.filter(requisition_id__in=requisitions)
            .filter(too_long)
            .select_related("candidate", "stage", "requisition")
            .order_by("stage_entered_at")
        )
        board.stuck = list(stuck[:CARD_LIMIT])
        board.stuck_count = stuck.count()
    if is_admin(user):
        board.stages_without_config = list(
            Pipeline.objects.annotate(
                silence_stages=Count("stages", filter=Q(stages__kind=StageKind.SILENCE_TEST))
            ).filter(silence_stages=0)
        )
        board.requisitions_without_recruiters = list(
            Requisition.objects.annotate(n=Count("recruiters"))
            .filter(n=0, status="open")
            .select_related("hiring_manager")[:CARD_LIMIT]
        )
    return board
