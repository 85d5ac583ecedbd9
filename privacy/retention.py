"""Pure date arithmetic of the retention policy."""

import calendar
from datetime import datetime


def months_before(now: datetime, months: int) -> datetime:
    """The same wall-clock instant ``months`` calendar months earlier, clamped to the month's
    last day (31 March minus one month is 28/29 February), keeping the time zone."""
    if months < 0:
        raise ValueError("months cannot be negative")
    index = now.year * 12 + (now.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    day = min(now.day, calendar.monthrange(year, month)[1])
    return now.replace(year=year, month=month, day=day)
