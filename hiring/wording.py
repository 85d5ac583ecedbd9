"""Dates and times said the way people say them. Pure: no ORM, no clock, no locale.

* A window that closes at local midnight closes at the *end* of the previous day: "end of
  Thursday 17 Dec", not "Friday 18 Dec 00:00" (which reads as a day later than it is).
* The sentence a hiring manager says: "you'll hear from us by Wednesday 25 November, 5 pm
  Eastern" — the hour as spoken, the zone as people name it.
* A week is "week of 16 Nov" (its Monday), not "2026-W47".
"""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

__all__ = [
    "day_and_time",
    "deadline_sentence",
    "spoken_time",
    "spoken_zone",
    "week_of",
    "window_end",
]

#: Zones people name by region rather than by city. Every other zone is "<city> time".
_REGION_NAMES = {
    "America/New_York": "Eastern",
    "America/Detroit": "Eastern",
    "America/Toronto": "Eastern",
    "America/Chicago": "Central",
    "America/Winnipeg": "Central",
    "America/Denver": "Mountain",
    "America/Edmonton": "Mountain",
    "America/Phoenix": "Arizona time",
    "America/Los_Angeles": "Pacific",
    "America/Vancouver": "Pacific",
    "America/Anchorage": "Alaska time",
    "Pacific/Honolulu": "Hawaii time",
    "Europe/London": "UK time",
    "UTC": "UTC",
    "Etc/UTC": "UTC",
}


def spoken_zone(zone: str) -> str:
    """ "Eastern", "Pacific", "UK time", "Berlin time", "Sydney time"."""
    if zone in _REGION_NAMES:
        return _REGION_NAMES[zone]
    city = zone.rsplit("/", 1)[-1].replace("_", " ")
    return f"{city} time"


def spoken_time(at: time) -> str:
    """ "5 pm", "9:30 am", "noon", "midnight"."""
    if at.hour == 12 and at.minute == 0:
        return "noon"
    if at.hour == 0 and at.minute == 0:
        return "midnight"
    hour = at.hour % 12 or 12
    suffix = "am" if at.hour < 12 else "pm"
    return f"{hour} {suffix}" if at.minute == 0 else f"{hour}:{at.minute:02d} {suffix}"


# Spelled out here: strftime's %A and %B follow the process locale.
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def _month(day: date, *, long: bool) -> str:
    name = _MONTHS[day.month - 1]
    return name if long else name[:3]


def _day(day: date, *, long_month: bool) -> str:
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_month(day, long=long_month)}"


def deadline_sentence(deadline: datetime, zone: str) -> str:
    """ "you'll hear from us by Wednesday 25 November, 5 pm Eastern"."""
    local = deadline.astimezone(ZoneInfo(zone))
    return (
        f"you'll hear from us by {_day(local.date(), long_month=True)}, "
        f"{spoken_time(local.time())} {spoken_zone(zone)}"
    )


def day_and_time(at: datetime, zone: str) -> str:
    """ "Friday 11 Dec, 5 pm" in ``zone`` (a deadline, in lists where the zone is said once)."""
    local = at.astimezone(ZoneInfo(zone))
    return f"{_day(local.date(), long_month=False)}, {spoken_time(local.time())}"


def window_end(closes: datetime, zone: str) -> str:
    """ "end of Thursday 17 Dec" for a close at local midnight; else "Friday 18 Dec, 3:30 pm"."""
    local = closes.astimezone(ZoneInfo(zone))
    if local.time() == time(0, 0):
        return f"end of {_day(date.fromordinal(local.date().toordinal() - 1), long_month=False)}"
    return day_and_time(closes, zone)


def week_of(monday: date, *, with_year: bool = False) -> str:
    """ "week of 16 Nov" (or "week of 16 Nov 2026" where several years are shown)."""
    label = f"week of {monday.day} {_month(monday, long=False)}"
    return f"{label} {monday.year}" if with_year else label
