"""The silence board and the digest email."""

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Subquery
from django.urls import reverse

from followups.models import Channel
from followups.rules import window_early_contacts, window_follow_ups
from hiring.models import Requisition, SilenceDigest, SilenceOutcome, SilenceTest


def _first_follow_up_at():
    """The candidate's first persistence signal after the deadline, inside the window."""
    return Subquery(window_follow_ups().order_by("occurred_at").values("occurred_at")[:1])


def _last_early_contact():
    """The candidate's last contact before the deadline (``is_early_contact``): shown for a
    test that closed *contacted before the deadline only*, so the manager sees the call."""
    latest = window_early_contacts().order_by("-occurred_at", "-id")
    return {
        "early_contact_at": Subquery(latest.values("occurred_at")[:1]),
        "early_contact_channel": Subquery(latest.values("channel")[:1]),
    }


def early_contact_text(test, tz: ZoneInfo) -> str:
    """ "phone call, Fri 04 Dec 16:59 CET" for a test annotated by ``_last_early_contact``."""
    if test.early_contact_at is None:
        return ""
    label = Channel(test.early_contact_channel).label.lower()
    return f"{label}, {test.early_contact_at.astimezone(tz):%a %d %b %H:%M %Z}"


def silence_tests_for_board(*, requisition: Requisition):
    """Every silence test of a requisition with its candidate, in one query."""
    return (
        SilenceTest.objects.filter(application__requisition=requisition)
        .select_related("application__candidate", "application__stage", "announced_by")
        .annotate(first_follow_up_at=_first_follow_up_at(), **_last_early_contact())
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
    tz = ZoneInfo(requisition.time_zone)
    for test in silence_tests_for_board(requisition=requisition):
        test.early_contact = early_contact_text(test, tz)
        getattr(board, test.state).append(test)
    # Closed: those who reached out first (soonest follow-up first), then those who contacted
    # before the deadline only, the silent ones, and those who withdrew.
    board.closed.sort(
        key=lambda t: (
            _CLOSED_ORDER.get(t.outcome, len(_CLOSED_ORDER)),
            t.first_follow_up_at or t.closed_at,
        )
    )
    return board


_CLOSED_ORDER = {
    SilenceOutcome.REACHED_OUT: 0,
    SilenceOutcome.EARLY_ONLY: 1,
    SilenceOutcome.SILENT: 2,
    SilenceOutcome.WITHDREW: 3,
}


@dataclass(frozen=True)
class DigestContent:
    subject: str
    text: str


def silence_digest_content(*, digest: SilenceDigest) -> DigestContent:
    """The digest email: who reached out (soonest first), who contacted the team before the
    deadline only (with the contact), who stayed silent, who withdrew, and a link."""
    requisition = digest.requisition
    tests = list(
        SilenceTest.objects.filter(digest=digest)
        .select_related("application__candidate")
        .annotate(first_follow_up_at=_first_follow_up_at(), **_last_early_contact())
        .order_by("first_follow_up_at", "application__candidate__last_name", "id")
    )
    tz = ZoneInfo(requisition.time_zone)
    reached = [t for t in tests if t.outcome == SilenceOutcome.REACHED_OUT]
    early = [t for t in tests if t.outcome == SilenceOutcome.EARLY_ONLY]
    silent = [t for t in tests if t.outcome == SilenceOutcome.SILENT]
    withdrew = [t for t in tests if t.outcome == SilenceOutcome.WITHDREW]
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
    if early:
        # Not silence: they reached out, too early to count. The manager decides knowingly.
        lines += [
            "",
            f"Contacted before the deadline only ({len(early)}) — scored 0 under the rule; "
            "your call:",
        ]
        lines += [
            f"  - {t.application.candidate.full_name}: {early_contact_text(t, tz)}" for t in early
        ]
    lines += ["", f"Stayed silent ({len(silent)}) — recommended “No”. Don't chase them:"]
    lines += [f"  - {t.application.candidate.full_name}" for t in silent] or ["  nobody"]
    if withdrew:
        lines += ["", f"Withdrew ({len(withdrew)}) — they have left the process:"]
        lines += [f"  - {t.application.candidate.full_name}" for t in withdrew]
    lines += [
        "",
        f"Ranking: {settings.SITE_URL}{reverse('followups:ranking', args=[requisition.pk])}",
        f"Silence board: {settings.SITE_URL}"
        f"{reverse('hiring:silence_board', args=[requisition.pk])}",
    ]
    return DigestContent(
        subject=f"[Persist] {requisition.title}: {len(reached)} reached out, {len(silent)} silent"
        + (f", {len(early)} before the deadline only" if early else "")
        + (f", {len(withdrew)} withdrew" if withdrew else ""),
        text="\n".join(lines) + "\n",
    )
