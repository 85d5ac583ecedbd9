"""Business-day calendars per requisition: weekend days, national and regional public holidays
(from `holidays`) and the company's own closure days.

Pure: no ORM, no clock. The company's closures come in as a ``CompanyCalendar`` of
``ClosureRule`` values, loaded from the database by ``hiring.closures.company_calendar()``, so
the same rules can be expanded and tested without a database.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

import holidays

from hiring.deadlines import DEFAULT_WEEKEND, SilenceSchedule, silence_deadline, window_close

__all__ = [
    "CALENDAR_YEARS_AROUND",
    "MAX_CLOSURE_DAYS",
    "NO_CLOSURES",
    "ClosureKind",
    "ClosureRule",
    "CompanyCalendar",
    "business_calendar",
    "requisition_instants",
    "subdivision_choices",
    "subdivision_name",
]

#: Years of holidays loaded around an instant: a window can cross New Year.
CALENDAR_YEARS_AROUND = 1

#: The longest closure a single rule may describe: bounds the memory one rule can cost.
MAX_CLOSURE_DAYS = 62


class ClosureKind:
    DATES = "dates"  # one day, or a range of days (a shutdown week), once
    YEARLY = "yearly"  # the same month and day every year (24 December)
    NTH_WEEKDAY = "nth_weekday"  # e.g. the day after the 4th Thursday of November

    CHOICES = (
        (DATES, "On a date, or from a date to another (once)"),
        (YEARLY, "Every year on a month and day"),
        (NTH_WEEKDAY, "Every year on the nth weekday of a month, plus days"),
    )


@dataclass(frozen=True)
class ClosureRule:
    """One closure of the company calendar. ``country`` empty: every requisition; else only
    requisitions in that ISO country. Which fields count depends on ``kind`` (see ``ClosureKind``);
    ``nth`` is 1 to 5 or -1 for the last such weekday of the month."""

    kind: str
    start: date | None = None
    end: date | None = None
    month: int | None = None
    day: int | None = None
    weekday: int | None = None
    nth: int | None = None
    offset_days: int = 0
    country: str = ""

    def applies_to(self, country: str) -> bool:
        return not self.country or self.country.upper() == country.upper()

    def dates(self, first_year: int, last_year: int) -> Iterator[date]:
        """The closed days this rule yields whose year is within ``first_year..last_year``
        (an offset may carry a day into a neighbouring year; it is kept)."""
        if self.kind == ClosureKind.DATES:
            if self.start is None:
                return
            end = self.end or self.start
            day = self.start
            for _ in range(MAX_CLOSURE_DAYS):
                if day > end:
                    return
                if first_year <= day.year <= last_year:
                    yield day
                day += timedelta(days=1)
            return
        for year in range(first_year, last_year + 1):
            day = self._yearly_day(year)
            if day is not None:
                yield day

    def _yearly_day(self, year: int) -> date | None:
        if self.month is None or not 1 <= self.month <= 12:
            return None
        if self.kind == ClosureKind.YEARLY:
            if self.day is None or not 1 <= self.day <= _calendar.monthrange(year, self.month)[1]:
                return None  # 29 February outside leap years
            return date(year, self.month, self.day)
        if self.kind == ClosureKind.NTH_WEEKDAY:
            if self.weekday is None or self.nth is None:
                return None
            base = _nth_weekday(year, self.month, self.weekday, self.nth)
            return None if base is None else base + timedelta(days=self.offset_days)
        return None


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date | None:
    days = [
        date(year, month, d)
        for d in range(1, _calendar.monthrange(year, month)[1] + 1)
        if date(year, month, d).weekday() == weekday
    ]
    if nth == -1:
        return days[-1]
    return days[nth - 1] if 1 <= nth <= len(days) else None


@dataclass(frozen=True)
class CompanyCalendar:
    """The company's closure rules, as a hashable value (cached expansions key on it)."""

    rules: tuple[ClosureRule, ...] = ()

    def closed_days(self, country: str, first_year: int, last_year: int) -> frozenset[date]:
        return _closed_days(self, country.upper(), first_year, last_year)


NO_CLOSURES = CompanyCalendar()


@lru_cache(maxsize=256)
def _closed_days(company: CompanyCalendar, country: str, first_year: int, last_year: int):
    return frozenset(
        day
        for rule in company.rules
        if rule.applies_to(country)
        for day in rule.dates(first_year, last_year)
    )


@lru_cache(maxsize=256)
def _public_calendar(country: str, subdivision: str, first_year: int, last_year: int):
    calendar = holidays.country_holidays(
        country, subdiv=subdivision or None, years=range(first_year, last_year + 1)
    )
    weekend = frozenset(getattr(calendar, "weekend", DEFAULT_WEEKEND)) or DEFAULT_WEEKEND
    return weekend, frozenset(calendar.keys())


def business_calendar(
    country: str,
    around: date,
    *,
    subdivision: str = "",
    company: CompanyCalendar = NO_CLOSURES,
) -> tuple[frozenset[int], frozenset[date]]:
    """``(weekend weekdays, non-business dates)`` for a requisition around ``around``'s year.

    The dates are the country's public holidays, those of ``subdivision`` (a state, Land or
    province code `holidays` knows for the country) and the company's closure days for that
    country: all of them count exactly alike for the deadline, the window and latency.
    """
    country = country.upper()
    first, last = around.year - CALENDAR_YEARS_AROUND, around.year + CALENDAR_YEARS_AROUND
    weekend, public = _public_calendar(country, subdivision, first, last)
    closed = company.closed_days(country, first, last)
    return weekend, public | closed if closed else public


def requisition_instants(
    *,
    announced_at: datetime,
    tz: ZoneInfo,
    schedule: SilenceSchedule,
    country: str,
    subdivision: str = "",
    company: CompanyCalendar = NO_CLOSURES,
) -> tuple[datetime, datetime]:
    """``(deadline, window close)`` in UTC for an announcement in a requisition's calendar."""
    weekend, closed = business_calendar(
        country, announced_at.astimezone(tz).date(), subdivision=subdivision, company=company
    )
    deadline = silence_deadline(
        announced_at=announced_at, tz=tz, schedule=schedule, weekend=weekend, holidays=closed
    )
    weekend, closed = business_calendar(
        country, deadline.astimezone(tz).date(), subdivision=subdivision, company=company
    )
    closes = window_close(
        deadline=deadline, tz=tz, schedule=schedule, weekend=weekend, holidays=closed
    )
    return deadline, closes


@cache
def _subdivisions(country: str) -> tuple[tuple[str, str], ...]:
    try:
        calendar = holidays.country_holidays(country)
    except NotImplementedError:
        return ()
    names: dict[str, str] = {}
    for name, code in getattr(calendar, "subdivisions_aliases", {}).items():
        names.setdefault(code, name)  # the first alias is the usual English or local name
    return tuple((code, names.get(code, code)) for code in calendar.subdivisions)


def subdivision_choices(country: str) -> list[tuple[str, str]]:
    """``(code, "code — name")`` of the subdivisions `holidays` knows for ``country``."""
    return [
        (code, code if name == code else f"{code} — {name}")
        for code, name in _subdivisions(country.upper())
    ]


def subdivision_name(country: str, code: str) -> str:
    return dict(_subdivisions(country.upper())).get(code, code)
