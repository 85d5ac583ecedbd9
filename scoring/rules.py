"""The persistence score: a pure, explainable function of one application's silence test.

Rules: docs/design.md, "Persistence score" and "Contacts". Which contact is a follow-up is
``followups.rules.is_follow_up`` (its SQL twin decides the sweeper's outcome). Nothing here
touches the database, settings or the clock: the test, the contacts, the promises, the weights
and ``now`` are arguments, so the same inputs always give the same ``ScoreResult`` (inputs
are sorted internally; their order does not matter).

Every rule is a component function returning zero or more ``ScoreLine`` objects ("reason (+N)",
"reason (-N)" written with a real minus sign U+2212, or "reason (0)" for a line that only explains).
``score_application`` puts them together; the lines of a result always add up to its score.

Decisions (docs/design.md, "Rules", gives the why; the exact edges are here):

* **Persistence contact**: inbound, not prompted, not automated, not an opt-out, with
  ``deadline_at <= occurred_at <= window_closes_at`` and ``occurred_at <= now``. A contact at the
  deadline instant is a follow-up ("if you haven't heard by 17:00, reach out"), with latency 0,
  and not impatience (which stops strictly before the deadline).
* **Silent gate**: without a persistence contact the score is 0, whatever else happened
  (promises, prompted replies, chasing before the deadline); those facts are still listed as
  0-point lines so the manager sees why. The outcome is *silent* for a closed test.
* **Scope**: contacts after ``now`` are ignored (they have not happened yet), and so are contacts
  after the window closed (they belong to what comes after the test). Automated contacts
  (auto-replies, bounces, receipts) are dropped before any rule runs, so they never change a
  result. Outbound contacts are not scored (contamination is a property of the test).
* **Latency** counts business time between the deadline and the first follow-up: hours on
  weekend days and holidays (in the test's time zone) do not count, so "Friday 17:00 deadline,
  called Monday 9:00" is 16 h, within one business day. Full marks up to
  ``latency_full_hours``, linear taper to 0 at ``latency_zero_hours``, rounded half up.
* **Channel** points go to the first follow-up's channel: phone/voicemail (call), in person,
  email/SMS/LinkedIn (written); "other" earns 0. The multi-channel bonus needs persistence
  contacts in at least two channel groups (call, written, in person, other): email plus
  LinkedIn is one group.
* **Quality**: *adds value* on any persistence contact, once. *Just checking in* is neutral
  (a 0-point line). *Pushy*, once, on any human inbound contact in scope (pushiness is behaviour,
  whatever prompted it). *Inappropriate* on any human inbound contact in scope zeroes the test:
  one line takes away exactly what the other lines added (after flooring a negative total at
  0); the outcome is unchanged.
* **Opt-out** (the candidate withdrew politely): that contact counts for nothing — it is not a
  follow-up, not chasing, not responsiveness, and it is not penalised. A 0-point line says so.
* **Cadence**: a persistence contact is *extra* when it is more than the N-th within the
  24 hours up to and including it (contacts exactly 24 h apart are not within 24 h), or more
  than the M-th in the window. Each extra contact costs ``cadence_penalty_per_extra`` (a contact
  breaking both limits costs once), capped at ``cadence_penalty_cap``.
* **Impatience**: human, unprompted, inbound contacts in the 7 days before the deadline
  (the test is announced a few days before its deadline; older contacts belong to earlier
  stages), ``impatience_penalty`` each, capped.
* **Promises**: each kept promise adds, each broken one subtracts; open and cancelled ones
  are ignored. Which promises belong to the test is the caller's choice.
* **Responsiveness**: +``responsiveness_points`` once when there is any prompted human inbound
  reply in scope. It never creates the base and never lifts a silent candidate above 0.
* **Clamp**: a total outside 0..100 gets a "cap" line bringing it back, so lines still add up.
* **Contaminated** tests are scored normally, with ``comparable=False`` and a 0-point line.
* **Pending**: no test, or a test not closed (waiting, observing, cancelled): outcome
  *pending*; the score is what is known so far (0 until a persistence contact exists).
* **Withdrew** (``followups.rules.is_withdrawal``, ``silence_outcome``): the application is in a
  Withdrawn stage, or the candidate sent an opt-out in the test's scope: score 0, outcome
  *withdrew* at once (whatever the test's state; nothing the window could still bring changes
  it), one 0-point line saying so. Not silence, and never auto-rejected.
* **Contacted before the deadline only** (``followups.rules.is_early_contact``): a closed test
  with no follow-up but a persistence contact in the week before the deadline scores 0 like
  silence, with outcome *early_only* and a 0-point line naming the last such contact (channel,
  time in the test's zone), so the manager decides knowingly.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from functools import lru_cache

from followups.rules import (
    TEST_LOOKBACK,
    is_early_contact,
    is_follow_up,
    is_withdrawal,
    silence_outcome,
)

__all__ = [
    "CHANNELS",
    "DEFAULT_WEEKEND",
    "DIRECTIONS",
    "IMPATIENCE_LOOKBACK",
    "ContactSignal",
    "Outcome",
    "PromiseSignal",
    "Rule",
    "ScoreLine",
    "ScoreResult",
    "TestSignal",
    "Weights",
    "adds_value_lines",
    "base_lines",
    "business_hours_after",
    "cadence_extras",
    "cadence_lines",
    "cap_lines",
    "channel_group",
    "channel_lines",
    "chasing_contacts",
    "contamination_lines",
    "format_points",
    "human_contacts",
    "impatience_lines",
    "inappropriate_lines",
    "is_persistence_contact",
    "just_checking_in_lines",
    "latency_lines",
    "latency_points",
    "multi_channel_lines",
    "no_follow_up_lines",
    "opt_out_lines",
    "persistence_contacts",
    "promise_lines",
    "pushy_lines",
    "responsiveness_lines",
    "score_application",
    "withdrawal_contacts",
    "withdrew_lines",
]

CHANNELS = frozenset({"email", "phone", "voicemail", "sms", "linkedin", "in_person", "other"})
DIRECTIONS = frozenset({"inbound", "outbound"})
#: Saturday and Sunday, as ``date.weekday()`` numbers (the convention of ``hiring.deadlines``).
DEFAULT_WEEKEND: frozenset[int] = frozenset({5, 6})
#: How far before the deadline an unprompted contact counts as chasing (the test was announced
#: at most about a week before its deadline; older contacts belong to earlier stages).
IMPATIENCE_LOOKBACK = TEST_LOOKBACK

_MINUS = "\N{MINUS SIGN}"
_SUMMARY_CHARS = 60


class Rule(StrEnum):
    """Stable machine names of the rules (``ScoreLine.rule`` holds the plain string)."""

    PENDING = "pending"
    CONTAMINATED = "contaminated"
    SILENT = "silent"
    EARLY_ONLY = "early_only"
    BASE = "base"
    LATENCY = "latency"
    CHANNEL = "channel"
    MULTI_CHANNEL = "multi_channel"
    ADDS_VALUE = "adds_value"
    JUST_CHECKING_IN = "just_checking_in"
    PUSHY = "pushy"
    CADENCE = "cadence"
    IMPATIENCE = "impatience"
    PROMISE_KEPT = "promise_kept"
    PROMISE_BROKEN = "promise_broken"
    RESPONSIVENESS = "responsiveness"
    OPT_OUT = "opt_out"
    WITHDREW = "withdrew"
    INAPPROPRIATE = "inappropriate"
    CAP = "cap"


class Outcome(StrEnum):
    """``hiring.models.SilenceOutcome``'s values, and *pending* while a test has not closed."""

    REACHED_OUT = "reached_out"
    SILENT = "silent"
    EARLY_ONLY = "early_only"
    WITHDREW = "withdrew"
    PENDING = "pending"


# --------------------------------------------------------------------------------------------
# Inputs and outputs
# --------------------------------------------------------------------------------------------

_HOUR_FIELDS = ("latency_full_hours", "latency_zero_hours")
_COUNT_FIELDS = ("cadence_max_per_24h", "cadence_max_in_window")


@dataclass(frozen=True)
class Weights:
    """Admin-editable weights: points (ints) and hours. Defaults: docs/design.md, "Rules"."""

    base_reached_out: int = 50
    latency_full_hours: float = 24  # full marks within one business day (business hours)
    latency_max_points: int = 15
    latency_zero_hours: float = 72  # tapers linearly to 0 at this many business hours
    channel_call_points: int = 10  # phone or voicemail
    channel_written_points: int = 4  # email, sms, linkedin
    channel_in_person_points: int = 10
    multi_channel_bonus: int = 5
    adds_value_points: int = 10
    pushy_penalty: int = 15
    cadence_max_per_24h: int = 2  # N
    cadence_max_in_window: int = 4  # M
    cadence_penalty_per_extra: int = 5
    cadence_penalty_cap: int = 20
    impatience_penalty: int = 5  # chasing before the deadline, per contact
    impatience_penalty_cap: int = 10
    promise_kept_points: int = 8
    promise_broken_penalty: int = 10
    responsiveness_points: int = 3  # prompted replies (small, separate), never the base

    def validate(self) -> list[str]:
        """Human-readable problems; an empty list means the weights can be used."""
        problems: list[str] = []
        for f in fields(self):
            value = getattr(self, f.name)
            label = f.name.replace("_", " ")
            if f.name in _HOUR_FIELDS:
                if isinstance(value, bool) or not isinstance(value, int | float):
                    problems.append(f"{label.capitalize()} must be a number of hours.")
                elif value != value or value in (float("inf"), float("-inf")):
                    problems.append(f"{label.capitalize()} must be a finite number of hours.")
                elif value < 0:
                    problems.append(f"{label.capitalize()} cannot be negative.")
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                problems.append(f"{label.capitalize()} must be a whole number.")
                continue
            if f.name in _COUNT_FIELDS:
                if value < 1:
                    problems.append(f"{label.capitalize()} must be at least 1 contact.")
            elif value < 0:
                problems.append(f"{label.capitalize()} cannot be negative.")
            elif value > 100:
                problems.append(f"{label.capitalize()} cannot exceed 100 points.")
        if not problems:
            if self.base_reached_out < 1:
                problems.append(
                    "Base reached out must be at least 1 point: reaching out has to count."
                )
            if self.latency_zero_hours <= self.latency_full_hours:
                problems.append(
                    "Latency zero hours must be greater than latency full hours "
                    "(the taper needs room)."
                )
            if self.cadence_max_in_window < self.cadence_max_per_24h:
                problems.append(
                    "Cadence max in window is below cadence max per 24h, so the 24 h limit "
                    "could never apply."
                )
        return problems


@dataclass(frozen=True)
class ContactSignal:
    occurred_at: datetime  # aware
    channel: str  # "email","phone","voicemail","sms","linkedin","in_person","other"
    direction: str  # "inbound" | "outbound"
    is_prompted: bool
    is_automated: bool  # auto-reply/bounce/receipt
    tags: frozenset[str]  # "adds_value","just_checking_in","professional","pushy",...
    summary: str = ""


@dataclass(frozen=True)
class PromiseSignal:
    status: str  # "open","kept","broken","cancelled"
    description: str
    due_at: datetime


@dataclass(frozen=True)
class TestSignal:
    """One silence test. The calendar fields are optional: without them latency is measured in
    the deadline's own time zone with a Saturday/Sunday weekend and no holidays. Pass the
    requisition's zone and its country's holidays for exact business time."""

    __test__ = False  # not a pytest test class, despite the name

    deadline_at: datetime
    window_closes_at: datetime
    state: str  # "waiting","observing","closed","cancelled"
    contaminated: bool
    time_zone: tzinfo | None = None
    weekend: frozenset[int] = DEFAULT_WEEKEND
    holidays: Container[date] = frozenset()


@dataclass(frozen=True)
class ScoreLine:
    rule: str  # stable machine name, see ``Rule``
    text: str  # "reason (+N)", "reason (minus N)" or "reason (0)"
    points: int


@dataclass(frozen=True)
class ScoreResult:
    score: int  # 0..100, always the sum of the lines' points
    outcome: str  # "reached_out" | "silent" | "early_only" | "withdrew" | "pending"
    comparable: bool  # False when the test was contaminated
    lines: tuple[ScoreLine, ...]
    first_follow_up_at: datetime | None


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def format_points(points: int) -> str:
    """``+5``, ``0``, or 5 after U+2212 MINUS SIGN (not a hyphen) for minus five."""
    if points > 0:
        return f"+{points}"
    if points < 0:
        return f"{_MINUS}{-points}"
    return "0"


def _line(rule: Rule, reason: str, points: int) -> ScoreLine:
    return ScoreLine(rule=rule.value, text=f"{reason} ({format_points(points)})", points=points)


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {value!r}.")


def _round_half_up(value: float) -> int:
    return int(value + 0.5) if value >= 0 else -int(-value + 0.5)


def _times(n: int) -> str:
    return f"{n}\N{MULTIPLICATION SIGN}"


def _quote(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > _SUMMARY_CHARS:
        text = text[: _SUMMARY_CHARS - 1].rstrip() + "\N{HORIZONTAL ELLIPSIS}"
    return f"\N{LEFT DOUBLE QUOTATION MARK}{text}\N{RIGHT DOUBLE QUOTATION MARK}"


def _hours_text(hours: float) -> str:
    if hours < 1:
        return f"{max(1, _round_half_up(hours * 60))} min"
    return f"{_round_half_up(hours)} h"


def _contact_key(c: ContactSignal) -> tuple:
    return (
        c.occurred_at,
        c.channel,
        c.summary,
        c.direction,
        c.is_prompted,
        c.is_automated,
        tuple(sorted(c.tags)),
    )


def _validate_contact(c: ContactSignal) -> None:
    _require_aware(c.occurred_at, "ContactSignal.occurred_at")
    if c.channel not in CHANNELS:
        raise ValueError(f"Unknown contact channel {c.channel!r}.")
    if c.direction not in DIRECTIONS:
        raise ValueError(f"Unknown contact direction {c.direction!r}.")


# --------------------------------------------------------------------------------------------
# Calendar
# --------------------------------------------------------------------------------------------


def business_hours_after(
    start: datetime,
    end: datetime,
    *,
    tz: tzinfo | None = None,
    weekend: Container[int] = DEFAULT_WEEKEND,
    holidays: Container[date] = frozenset(),
) -> float:
    """Real hours from ``start`` to ``end`` that fall on business days of ``tz`` (default: the
    zone of ``start``). Weekend days and holidays (whole local days) do not count; 0.0 when
    ``end`` is not after ``start``. Measured in absolute time, so DST changes are exact."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    if end <= start:
        return 0.0
    zone = tz if tz is not None else start.tzinfo
    start_u, end_u = start.astimezone(UTC), end.astimezone(UTC)
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    seconds = 0.0
    while day <= last:
        if day.weekday() not in weekend and day not in holidays:
            day_start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
            day_end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(
                UTC
            )
            lo, hi = max(start_u, day_start), min(end_u, day_end)
            if hi > lo:
                seconds += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return seconds / 3600


# --------------------------------------------------------------------------------------------
# Which contacts count for what
# --------------------------------------------------------------------------------------------


def human_contacts(
    contacts: Iterable[ContactSignal], *, test: TestSignal | None, now: datetime
) -> tuple[ContactSignal, ...]:
    """The contacts in scope, sorted: not automated, occurred at or before ``now`` and, when
    there is a test, at or before its window closed."""
    out = []
    for c in contacts:
        _validate_contact(c)
        if c.is_automated or c.occurred_at > now:
            continue
        if test is not None and c.occurred_at > test.window_closes_at:
            continue
        out.append(c)
    return tuple(sorted(out, key=_contact_key))


def _inbound(contacts: Iterable[ContactSignal]) -> list[ContactSignal]:
    return [c for c in contacts if c.direction == "inbound" and not c.is_automated]


def is_persistence_contact(c: ContactSignal, test: TestSignal | None, now: datetime) -> bool:
    """A follow-up of the test (``followups.rules.is_follow_up``: inbound, unprompted, human,
    not an opt-out, at or after the deadline, at or before the window's close) that has
    happened by ``now``."""
    return (
        test is not None
        and is_follow_up(
            direction=c.direction,
            is_prompted=c.is_prompted,
            is_automated=c.is_automated,
            tags=c.tags,
            occurred_at=c.occurred_at,
            deadline_at=test.deadline_at,
            window_closes_at=test.window_closes_at,
        )
        and c.occurred_at <= now
    )


def persistence_contacts(
    contacts: Iterable[ContactSignal], *, test: TestSignal | None, now: datetime
) -> tuple[ContactSignal, ...]:
    """The follow-ups that count as persistence, earliest first."""
    return tuple(
        sorted((c for c in contacts if is_persistence_contact(c, test, now)), key=_contact_key)
    )


def chasing_contacts(
    contacts: Iterable[ContactSignal], *, test: TestSignal | None, now: datetime
) -> tuple[ContactSignal, ...]:
    """Human, unprompted inbound contacts (not opt-outs) in the ``IMPATIENCE_LOOKBACK`` before
    the deadline (the deadline itself excluded), at or before ``now``."""
    if test is None:
        return ()
    return tuple(
        sorted(
            (
                c
                for c in contacts
                if is_early_contact(
                    direction=c.direction,
                    is_prompted=c.is_prompted,
                    is_automated=c.is_automated,
                    tags=c.tags,
                    occurred_at=c.occurred_at,
                    deadline_at=test.deadline_at,
                )
                and c.occurred_at <= now
            ),
            key=_contact_key,
        )
    )


def withdrawal_contacts(
    contacts: Iterable[ContactSignal], *, test: TestSignal | None, now: datetime
) -> tuple[ContactSignal, ...]:
    """The candidate's opt-outs in the test's scope (``followups.rules.is_withdrawal``) that
    have happened by ``now``, earliest first."""
    if test is None:
        return ()
    return tuple(
        sorted(
            (
                c
                for c in contacts
                if is_withdrawal(
                    direction=c.direction,
                    is_automated=c.is_automated,
                    tags=c.tags,
                    occurred_at=c.occurred_at,
                    deadline_at=test.deadline_at,
                    window_closes_at=test.window_closes_at,
                )
                and c.occurred_at <= now
            ),
            key=_contact_key,
        )
    )


# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------


def base_lines(persistence: Sequence[ContactSignal], weights: Weights) -> list[ScoreLine]:
    """+base for reaching out unprompted after the deadline (once, whatever the count)."""
    if not persistence:
        return []
    return [_line(Rule.BASE, "Reached out unprompted after the deadline", weights.base_reached_out)]


def latency_points(business_hours: float, weights: Weights) -> int:
    """Full ``latency_max_points`` up to ``latency_full_hours``; linear taper to 0 at
    ``latency_zero_hours``; rounded half up."""
    if business_hours <= weights.latency_full_hours:
        return weights.latency_max_points
    if business_hours >= weights.latency_zero_hours:
        return 0
    span = weights.latency_zero_hours - weights.latency_full_hours
    share = (weights.latency_zero_hours - business_hours) / span
    return _round_half_up(weights.latency_max_points * share)


def latency_lines(
    persistence: Sequence[ContactSignal], test: TestSignal | None, weights: Weights
) -> list[ScoreLine]:
    """How soon after the deadline the first follow-up came, in business time."""
    if not persistence or test is None:
        return []
    first = persistence[0].occurred_at
    business = business_hours_after(
        test.deadline_at,
        first,
        tz=test.time_zone if test.time_zone is not None else test.deadline_at.tzinfo,
        weekend=test.weekend,
        holidays=test.holidays,
    )
    wall = (first.astimezone(UTC) - test.deadline_at.astimezone(UTC)).total_seconds() / 3600
    reason = f"First follow-up {_hours_text(wall)} after the deadline"
    if _hours_text(business) != _hours_text(wall):
        reason += f", {_hours_text(business)} counting business days only"
    return [_line(Rule.LATENCY, reason, latency_points(business, weights))]


_CHANNEL_GROUPS = {
    "phone": "call",
    "voicemail": "call",
    "in_person": "in person",
    "email": "written",
    "sms": "written",
    "linkedin": "written",
    "other": "other",
}
_CHANNEL_REASONS = {
    "phone": "Phone call",
    "voicemail": "Left a voicemail",
    "in_person": "Came in person",
    "email": "Email",
    "sms": "Text message",
    "linkedin": "LinkedIn message",
    "other": "Other channel",
}


def channel_group(channel: str) -> str:
    """ "call" (phone, voicemail), "written" (email, SMS, LinkedIn), "in person" or "other"."""
    return _CHANNEL_GROUPS[channel]


def _channel_points(channel: str, weights: Weights) -> int:
    group = channel_group(channel)
    if group == "call":
        return weights.channel_call_points
    if group == "in person":
        return weights.channel_in_person_points
    if group == "written":
        return weights.channel_written_points
    return 0


def channel_lines(persistence: Sequence[ContactSignal], weights: Weights) -> list[ScoreLine]:
    """Points for the first follow-up's channel: a call weighs more than a message."""
    if not persistence:
        return []
    channel = persistence[0].channel
    return [_line(Rule.CHANNEL, _CHANNEL_REASONS[channel], _channel_points(channel, weights))]


def multi_channel_lines(persistence: Sequence[ContactSignal], weights: Weights) -> list[ScoreLine]:
    """A small bonus when follow-ups used at least two channel groups."""
    groups = sorted({channel_group(c.channel) for c in persistence})
    if len(groups) < 2:
        return []
    reason = f"Used {len(groups)} channels ({', '.join(groups)})"
    return [_line(Rule.MULTI_CHANNEL, reason, weights.multi_channel_bonus)]


def adds_value_lines(persistence: Sequence[ContactSignal], weights: Weights) -> list[ScoreLine]:
    """+adds_value_points once when any follow-up was tagged *adds value*."""
    adding = [c for c in persistence if "adds_value" in c.tags]
    if not adding:
        return []
    summary = next((c.summary for c in adding if c.summary.strip()), "")
    reason = f"Added value: {_quote(summary)}" if summary else "Added value"
    return [_line(Rule.ADDS_VALUE, reason, weights.adds_value_points)]


def just_checking_in_lines(persistence: Sequence[ContactSignal]) -> list[ScoreLine]:
    """*Just checking in* is neutral: explained, worth 0."""
    n = sum(1 for c in persistence if "just_checking_in" in c.tags)
    if not n:
        return []
    return [_line(Rule.JUST_CHECKING_IN, f"Just checking in {_times(n)} — neutral", 0)]


def pushy_lines(human: Sequence[ContactSignal], weights: Weights) -> list[ScoreLine]:
    """Minus pushy_penalty, once, when any human inbound contact in scope was tagged *pushy*."""
    n = sum(1 for c in _inbound(human) if "pushy" in c.tags)
    if not n:
        return []
    reason = "Tagged pushy" if n == 1 else f"Tagged pushy on {n} contacts"
    return [_line(Rule.PUSHY, reason, -weights.pushy_penalty)]


def cadence_extras(
    times: Sequence[datetime], *, max_per_24h: int, max_in_window: int
) -> tuple[int, int, int]:
    """``(extra, busiest_24h, total)`` for sorted follow-up times.

    A contact is extra when it is past the ``max_per_24h``-th within the 24 h up to and including
    it (``t - 24 h < other <= t``), or past the ``max_in_window``-th overall; each extra contact
    counts once even when it breaks both limits."""
    extra = 0
    busiest = 0
    lo = 0
    for i, t in enumerate(times):
        while times[lo] <= t - timedelta(hours=24):
            lo += 1
        in_24h = i - lo + 1
        busiest = max(busiest, in_24h)
        if in_24h > max_per_24h or i + 1 > max_in_window:
            extra += 1
    return extra, busiest, len(times)


def cadence_lines(persistence: Sequence[ContactSignal], weights: Weights) -> list[ScoreLine]:
    """ "Politely persistent, not a pest": extra follow-ups cost points, capped."""
    extra, busiest, total = cadence_extras(
        [c.occurred_at for c in persistence],
        max_per_24h=weights.cadence_max_per_24h,
        max_in_window=weights.cadence_max_in_window,
    )
    if not extra:
        return []
    parts = []
    if busiest > weights.cadence_max_per_24h:
        parts.append(f"{busiest} follow-ups within 24 h")
    if total > weights.cadence_max_in_window:
        parts.append(f"{total} in the window" if parts else f"{total} follow-ups in the window")
    penalty = extra * weights.cadence_penalty_per_extra
    capped = penalty > weights.cadence_penalty_cap
    reason = " and ".join(parts) + " — pushy cadence" + (", capped" if capped else "")
    return [_line(Rule.CADENCE, reason, -min(penalty, weights.cadence_penalty_cap))]


def impatience_lines(chasing: Sequence[ContactSignal], weights: Weights) -> list[ScoreLine]:
    """Chasing before the deadline counts against, mildly: per contact, capped."""
    if not chasing:
        return []
    penalty = len(chasing) * weights.impatience_penalty
    capped = penalty > weights.impatience_penalty_cap
    reason = f"Chased {_times(len(chasing))} before the deadline" + (", capped" if capped else "")
    return [_line(Rule.IMPATIENCE, reason, -min(penalty, weights.impatience_penalty_cap))]


def promise_lines(promises: Iterable[PromiseSignal], weights: Weights) -> list[ScoreLine]:
    """One line per resolved promise: kept adds, broken subtracts; open and cancelled ones are
    ignored."""
    lines = []
    for p in sorted(promises, key=lambda p: (p.due_at, p.status, p.description)):
        _require_aware(p.due_at, "PromiseSignal.due_at")
        if p.status == "kept":
            lines.append(
                _line(
                    Rule.PROMISE_KEPT,
                    f"Kept a promise: {_quote(p.description)}",
                    weights.promise_kept_points,
                )
            )
        elif p.status == "broken":
            lines.append(
                _line(
                    Rule.PROMISE_BROKEN,
                    f"Broke a promise: {_quote(p.description)}",
                    -weights.promise_broken_penalty,
                )
            )
        elif p.status not in ("open", "cancelled"):
            raise ValueError(f"Unknown promise status {p.status!r}.")
    return lines


def _prompted_replies(human: Sequence[ContactSignal]) -> list[ContactSignal]:
    return [c for c in _inbound(human) if c.is_prompted and "opt_out" not in c.tags]


def responsiveness_lines(human: Sequence[ContactSignal], weights: Weights) -> list[ScoreLine]:
    """+responsiveness_points once for any prompted human reply in scope."""
    if not _prompted_replies(human):
        return []
    return [
        _line(
            Rule.RESPONSIVENESS,
            "Replied when the team reached out",
            weights.responsiveness_points,
        )
    ]


def opt_out_lines(human: Sequence[ContactSignal]) -> list[ScoreLine]:
    """A polite withdrawal is neither a follow-up nor a fault: explained, worth 0."""
    if not any("opt_out" in c.tags for c in _inbound(human)):
        return []
    return [
        _line(
            Rule.OPT_OUT,
            "Withdrew politely (opt-out) — not counted as a follow-up, not penalised",
            0,
        )
    ]


def inappropriate_lines(human: Sequence[ContactSignal], subtotal: int) -> list[ScoreLine]:
    """*Inappropriate* on any human inbound contact zeroes the test: this line takes away
    exactly ``subtotal`` (what the other lines added up to)."""
    if not any("inappropriate" in c.tags for c in _inbound(human)):
        return []
    return [_line(Rule.INAPPROPRIATE, "Inappropriate contact — test zeroed", -subtotal)]


def contamination_lines(test: TestSignal | None) -> list[ScoreLine]:
    """A 0-point note: the team contacted the candidate while the test was observing."""
    if test is None or not test.contaminated:
        return []
    return [
        _line(
            Rule.CONTAMINATED,
            "The team contacted the candidate during the test — score not comparable",
            0,
        )
    ]


def cap_lines(subtotal: int) -> list[ScoreLine]:
    """Bring a total outside 0..100 back into range, as a line of its own."""
    if subtotal > 100:
        return [_line(Rule.CAP, "Capped at 100", 100 - subtotal)]
    if subtotal < 0:
        return [_line(Rule.CAP, "Floored at 0", -subtotal)]
    return []


def _when_and_how(contact: ContactSignal, test: TestSignal | None) -> str:
    """ "phone call Fri 04 Dec 16:59 CET": a contact's channel and time in the test's zone."""
    zone = test.time_zone if test is not None and test.time_zone is not None else UTC
    at = contact.occurred_at.astimezone(zone)
    return f"{_CHANNEL_REASONS[contact.channel].lower()} {at:%a %d %b %H:%M} {at.tzname()}"


def withdrew_lines(
    withdrawals: Sequence[ContactSignal], test: TestSignal | None, *, in_withdrawn_stage: bool
) -> list[ScoreLine]:
    """The 0-point verdict of a withdrawal: a move to Withdrawn, or an opt-out."""
    if in_withdrawn_stage:
        return [_line(Rule.WITHDREW, "Withdrawn from the process — withdrew, not scored", 0)]
    if not withdrawals:
        return []
    how = _when_and_how(withdrawals[0], test)
    return [_line(Rule.WITHDREW, f"Withdrew politely ({how}) — not silence, not scored", 0)]


def no_follow_up_lines(
    human: Sequence[ContactSignal], test: TestSignal | None, now: datetime
) -> list[ScoreLine]:
    """0-point lines for a candidate without a follow-up (yet): the verdict, and the facts that
    do not count without one (chasing before the deadline, prompted replies)."""
    if test is None:
        verdict = _line(Rule.PENDING, "No silence test yet — nothing to score", 0)
    elif test.state == "closed":
        verdict = _line(Rule.SILENT, "No unprompted contact after the deadline — silent", 0)
    else:
        verdict = _line(Rule.PENDING, "No unprompted contact after the deadline yet", 0)
    chasing = chasing_contacts(human, test=test, now=now)
    if chasing and test is not None and test.state == "closed":
        verdict = _line(
            Rule.EARLY_ONLY,
            "No unprompted contact after the deadline — contacted before the deadline only",
            0,
        )
    lines = [verdict]
    if chasing:
        last = _when_and_how(chasing[-1], test)
        lines.append(
            _line(
                Rule.IMPATIENCE,
                f"Contacted the team {_times(len(chasing))} before the deadline only "
                f"(last: {last}) — not a follow-up",
                0,
            )
        )
    if _prompted_replies(human):
        lines.append(
            _line(
                Rule.RESPONSIVENESS,
                "Replied only when the team wrote — responsiveness, not persistence",
                0,
            )
        )
    return lines


# --------------------------------------------------------------------------------------------
# The score
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _cached_weights_problems(weights: Weights) -> tuple[str, ...]:
    return tuple(weights.validate())


def _weights_problems(weights: Weights) -> tuple[str, ...]:
    """``weights.validate()``, once per distinct weights: a bulk rescore scores thousands of
    applications with the same frozen weights."""
    try:
        hash(weights)
    except TypeError:  # an unhashable value is invalid anyway: let validate() say why
        return tuple(weights.validate())
    return _cached_weights_problems(weights)


def score_application(
    *,
    test: TestSignal | None,
    contacts: Sequence[ContactSignal],
    promises: Sequence[PromiseSignal],
    weights: Weights,
    now: datetime,
    in_withdrawn_stage: bool = False,
) -> ScoreResult:
    """Score one application's silence test; see the module docstring for every rule.
    ``in_withdrawn_stage``: the application is in a Withdrawn stage.

    Raises ``ValueError`` for invalid weights, naive datetimes, unknown channels, directions or
    promise statuses, or a window that closes before its deadline."""
    problems = _weights_problems(weights)
    if problems:
        raise ValueError("Invalid weights: " + " ".join(problems))
    _require_aware(now, "now")
    if test is not None:
        _require_aware(test.deadline_at, "TestSignal.deadline_at")
        _require_aware(test.window_closes_at, "TestSignal.window_closes_at")
        if test.window_closes_at < test.deadline_at:
            raise ValueError("The observation window cannot close before the deadline.")

    human = human_contacts(contacts, test=test, now=now)
    persistence = persistence_contacts(human, test=test, now=now)
    closed = test is not None and test.state == "closed"
    withdrawals = withdrawal_contacts(human, test=test, now=now)
    if in_withdrawn_stage or withdrawals:
        promise_lines(promises, weights)  # validated only
        return ScoreResult(
            score=0,
            outcome=Outcome.WITHDREW.value,
            comparable=not (test is not None and test.contaminated),
            lines=tuple(
                withdrew_lines(withdrawals, test, in_withdrawn_stage=in_withdrawn_stage)
                + contamination_lines(test)
            ),
            first_follow_up_at=None,
        )

    lines: list[ScoreLine] = []
    if test is not None and not closed and persistence:
        lines.append(_line(Rule.PENDING, "Test still running — outcome pending", 0))
    lines += contamination_lines(test)

    if not persistence:
        lines += no_follow_up_lines(human, test, now)
        lines += opt_out_lines(human)
        lines += inappropriate_lines(human, 0)
        outcome = (
            Outcome(
                silence_outcome(
                    in_withdrawn_stage=False,
                    withdrew=False,
                    followed_up=False,
                    contacted_early=bool(chasing_contacts(human, test=test, now=now)),
                )
            )
            if closed
            else Outcome.PENDING
        )
        promise_lines(promises, weights)  # validated only: promises never lift a silent candidate
        return ScoreResult(
            score=0,
            outcome=outcome.value,
            comparable=not (test is not None and test.contaminated),
            lines=tuple(lines),
            first_follow_up_at=None,
        )

    lines += base_lines(persistence, weights)
    lines += latency_lines(persistence, test, weights)
    lines += channel_lines(persistence, weights)
    lines += multi_channel_lines(persistence, weights)
    lines += adds_value_lines(persistence, weights)
    lines += just_checking_in_lines(persistence)
    lines += pushy_lines(human, weights)
    lines += cadence_lines(persistence, weights)
    lines += impatience_lines(chasing_contacts(human, test=test, now=now), weights)
    lines += promise_lines(promises, weights)
    lines += responsiveness_lines(human, weights)
    lines += opt_out_lines(human)
    subtotal = sum(line.points for line in lines)
    zeroing = inappropriate_lines(human, max(subtotal, 0))
    if zeroing:
        lines += cap_lines(min(subtotal, 0)) + zeroing  # floor first, then take the rest away
    else:
        lines += cap_lines(subtotal)
    score = sum(line.points for line in lines)
    assert 0 <= score <= 100, lines  # by construction
    return ScoreResult(
        score=score,
        outcome=(Outcome.REACHED_OUT if closed else Outcome.PENDING).value,
        comparable=not test.contaminated,
        lines=tuple(lines),
        first_follow_up_at=persistence[0].occurred_at,
    )
