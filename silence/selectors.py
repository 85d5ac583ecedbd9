"""The silence board and the digest email."""

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Subquery
from django.urls import reverse

from followups.rules import window_follow_ups
from hiring.models import Requisition, SilenceDigest, SilenceOutcome, SilenceTest


def _first_follow_up_at():
    """The candidate's first persistence signal after the deadline, inside the window."""
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
