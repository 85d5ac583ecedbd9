"""Business-day calendars per country (weekend days and public holidays), from `holidays`."""

from datetime import date
from functools import lru_cache

import holidays

from hiring.deadlines import DEFAULT_WEEKEND

#: Years of holidays loaded around an instant: a window can cross New Year.
CALENDAR_YEARS_AROUND = 1


@lru_cache(maxsize=256)
def _country_calendar(country: str, first_year: int, last_year: int):
    calendar = holidays.country_holidays(country, years=range(first_year, last_year + 1))
    weekend = frozenset(getattr(calendar, "weekend", DEFAULT_WEEKEND)) or DEFAULT_WEEKEND
    return weekend, frozenset(calendar.keys())


def business_calendar(country: str, around: date) -> tuple[frozenset[int], frozenset[date]]:
    """``(weekend weekdays, public holiday dates)`` for ``country`` around ``around``'s year."""
    return _country_calendar(
        country.upper(), around.year - CALENDAR_YEARS_AROUND, around.year + CALENDAR_YEARS_AROUND
    )
