"""Silence-test deadlines and observation windows: pure calendar arithmetic.

Nothing here touches the database or the clock: every instant, time zone, schedule and holiday
calendar is an argument, so the rules can be tested exhaustively (see docs/design.md, "Deadlines
and observation windows").

Conventions:

* Every instant going in must be aware; every instant coming out is aware and in UTC.
* Durations (the lead time) are measured in absolute time, not wall-clock time: a 48 h lead
  across a DST change is 48 real hours, even if the wall clock moved by 47 or 49.
* Wall-clock times are resolved with PEP 495 ``fold=0``: a time that does not exist (the
  spring-forward gap) moves forward by the length of the gap, and an ambiguous time (the
  fall-back overlap) is its first occurrence.
* ``weekend`` holds ``date.weekday()`` numbers (0 = Monday ... 6 = Sunday); ``holidays`` is any
  container of ``date`` (a ``frozenset``, or a ``holidays.HolidayBase`` for a country).
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "DEFAULT_WEEKEND",
    "MAX_SEARCH_DAYS",
    "SilenceSchedule",
    "is_business_day",
    "local_instant",
    "silence_deadline",
    "window_close",
]

#: Saturday and Sunday, as ``date.weekday()`` numbers.
DEFAULT_WEEKEND: frozenset[int] = frozenset({5, 6})

#: How far any search for a business day or a deadline may run before giving up. A calendar in
#: which no business day (or no valid deadline) can be found within a year is misconfigured.
MAX_SEARCH_DAYS = 366

_ONE_DAY = timedelta(days=1)
_ONE_WEEK = timedelta(days=7)
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class SilenceSchedule:
    """When a silence test's deadline falls and how long the observation window stays open.

    Defaults: Friday 17:00 local, at least 48 h after the announcement, window closing at the end
    of the 3rd business day after the deadline.
    """

    weekday: int = 4  # 0 = Monday ... 4 = Friday ... 6 = Sunday
    local_time: time = time(17, 0)
    lead: timedelta = timedelta(hours=48)
    window_business_days: int = 3

    def __post_init__(self) -> None:
        if isinstance(self.weekday, bool) or not isinstance(self.weekday, int):
            raise ValueError(
                f"weekday must be an integer from 0 (Monday) to 6 (Sunday), got {self.weekday!r}."
            )
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be from 0 (Monday) to 6 (Sunday), got {self.weekday}.")
        if not isinstance(self.local_time, time):
            raise ValueError(f"local_time must be a datetime.time, got {self.local_time!r}.")
        if self.local_time.tzinfo is not None:
            raise ValueError(
                "local_time must be a naive wall-clock time; the time zone is given separately, "
                f"got {self.local_time!r}."
            )
        if not isinstance(self.lead, timedelta):
            raise ValueError(f"lead must be a datetime.timedelta, got {self.lead!r}.")
        if self.lead < timedelta(0):
            raise ValueError(f"lead must not be negative, got {self.lead}.")
        if isinstance(self.window_business_days, bool) or not isinstance(
            self.window_business_days, int
        ):
            raise ValueError(
                "window_business_days must be a positive integer, "
                f"got {self.window_business_days!r}."
            )
        if self.window_business_days < 1:
            raise ValueError(
                f"window_business_days must be at least 1, got {self.window_business_days}."
            )


def is_business_day(
    day: date,
    *,
    weekend: Container[int] = DEFAULT_WEEKEND,
    holidays: Container[date] = frozenset(),
) -> bool:
    """True unless ``day`` falls on a weekend day or is one of ``holidays``."""
    return day.weekday() not in weekend and day not in holidays


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """Aware datetime (in UTC) for wall-clock ``at`` on ``day`` in ``tz``.

    Nonexistent wall times (spring-forward gap) move forward by the gap (e.g. 02:30 in a 1 h gap
    -> 03:30 local); ambiguous ones (fall-back) take the first occurrence (``fold=0``).
    """
    if at.tzinfo is not None:
        raise ValueError(f"at must be a naive wall-clock time, got {at!r}.")
    # PEP 495: with fold=0 a wall time is read with the UTC offset in force *before* a transition.
    # In an overlap that is the first occurrence; in a gap it lands past the gap, by its length.
    wall = datetime.combine(day, at.replace(fold=0))
    return wall.replace(tzinfo=tz).astimezone(UTC)


def silence_deadline(
    *,
    announced_at: datetime,
    tz: ZoneInfo,
    schedule: SilenceSchedule,
    weekend: Container[int] = DEFAULT_WEEKEND,
    holidays: Container[date] = frozenset(),
) -> datetime:
    """The silence test's deadline for an announcement made at ``announced_at``.

    The first configured weekday at the configured local time in ``tz`` that is at least
    ``schedule.lead`` after ``announced_at``. If that weekday's date is not a business day (a
    holiday, or a weekend day if the configured weekday is a weekend day in that country), the
    deadline moves to the previous business day at the same local time; if moving back makes it
    less than ``lead`` after the announcement, the following week's occurrence is taken instead
    (also adjusted). Returns an aware datetime in UTC.

    Raises ``ValueError`` if ``announced_at`` is naive, or if no deadline can be found within
    ``MAX_SEARCH_DAYS`` (a calendar without business days).
    """
    _require_aware(announced_at, "announced_at")
    # Absolute-time arithmetic: adding a timedelta to a datetime in a zoneinfo zone would add
    # wall-clock time and be off by the DST shift.
    earliest = announced_at.astimezone(UTC) + schedule.lead
    at = schedule.local_time

    # Start one day early: a wall time pushed forward through a gap could cross midnight.
    start = earliest.astimezone(tz).date() - _ONE_DAY
    nominal = start + timedelta(days=(schedule.weekday - start.weekday()) % 7)
    for _ in range(MAX_SEARCH_DAYS // 7 + 2):
        if local_instant(nominal, at, tz) >= earliest:
            day = _business_day_on_or_before(nominal, weekend=weekend, holidays=holidays)
            candidate = local_instant(day, at, tz)
            if candidate >= earliest:
                return candidate
        nominal += _ONE_WEEK
    raise ValueError(
        f"No silence-test deadline on a {_WEEKDAY_NAMES[schedule.weekday]} within "
        f"{MAX_SEARCH_DAYS} days of {earliest.isoformat()}: check the weekend and holidays."
    )


def window_close(
    *,
    deadline: datetime,
    tz: ZoneInfo,
    schedule: SilenceSchedule,
    weekend: Container[int] = DEFAULT_WEEKEND,
    holidays: Container[date] = frozenset(),
) -> datetime:
    """When the observation window that opens at ``deadline`` closes.

    End of the Nth business day after the deadline's local date (N =
    ``schedule.window_business_days``), i.e. local midnight at the start of the day following that
    Nth business day, in ``tz``, returned in UTC. Business days skip weekend days and holidays.
    E.g. a deadline on Friday 2026-11-20 17:00 America/New_York with N = 3 counts Mon, Tue, Wed
    and closes on Thursday 2026-11-26 00:00 local.

    Raises ``ValueError`` if ``deadline`` is naive, or if a stretch of more than
    ``MAX_SEARCH_DAYS`` days without a business day is met.
    """
    _require_aware(deadline, "deadline")
    day = deadline.astimezone(tz).date()
    for _ in range(schedule.window_business_days):
        day = _next_business_day(day, weekend=weekend, holidays=holidays)
    return local_instant(day + _ONE_DAY, time(0, 0), tz)


# --- helpers -------------------------------------------------------------------------------------


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {value!r}.")


def _business_day_on_or_before(
    start: date, *, weekend: Container[int], holidays: Container[date]
) -> date:
    day = start
    for _ in range(MAX_SEARCH_DAYS + 1):
        if is_business_day(day, weekend=weekend, holidays=holidays):
            return day
        day -= _ONE_DAY
    raise ValueError(
        f"No business day within {MAX_SEARCH_DAYS} days up to {start.isoformat()}: "
        "check the weekend and holidays."
    )


def _next_business_day(start: date, *, weekend: Container[int], holidays: Container[date]) -> date:
    day = start
    for _ in range(MAX_SEARCH_DAYS):
        day += _ONE_DAY
        if is_business_day(day, weekend=weekend, holidays=holidays):
            return day
    raise ValueError(
        f"No business day within {MAX_SEARCH_DAYS} days after {start.isoformat()}: "
        "check the weekend and holidays."
    )
