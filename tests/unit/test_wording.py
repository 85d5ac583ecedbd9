"""Dates said the way people say them (hiring.wording: pure)."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from hiring.wording import (
    day_and_time,
    deadline_sentence,
    spoken_time,
    spoken_zone,
    week_of,
    window_end,
)

NEW_YORK = ZoneInfo("America/New_York")


def test_window_closing_at_local_midnight_is_the_end_of_the_previous_day():
    closes = datetime(2026, 12, 18, 0, 0, tzinfo=NEW_YORK)  # Friday 18 Dec 00:00
    assert window_end(closes.astimezone(UTC), "America/New_York") == "end of Thursday 17 Dec"


def test_window_end_is_said_in_the_requisitions_zone():
    closes = datetime(2026, 12, 18, 0, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert window_end(closes, "Europe/Berlin") == "end of Thursday 17 Dec"
    # The same instant is Thursday 18:00 in New York: not a day's end there.
    assert window_end(closes, "America/New_York") == "Thursday 17 Dec, 6 pm"


def test_deadline_sentence_says_day_hour_and_zone_like_a_person():
    deadline = datetime(2026, 11, 25, 17, 0, tzinfo=NEW_YORK).astimezone(UTC)
    assert (
        deadline_sentence(deadline, "America/New_York")
        == "you'll hear from us by Wednesday 25 November, 5 pm Eastern"
    )
    berlin = datetime(2026, 12, 30, 17, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    assert (
        deadline_sentence(berlin, "Europe/Berlin")
        == "you'll hear from us by Wednesday 30 December, 5:30 pm Berlin time"
    )


@pytest.mark.parametrize(
    ("at", "said"),
    [(time(17), "5 pm"), (time(9, 30), "9:30 am"), (time(12), "noon"), (time(0), "midnight"),
     (time(12, 15), "12:15 pm"), (time(0, 45), "12:45 am")],
)  # fmt: skip
def test_spoken_time(at, said):
    assert spoken_time(at) == said


@pytest.mark.parametrize(
    ("zone", "said"),
    [("America/Los_Angeles", "Pacific"), ("Europe/London", "UK time"),
     ("America/Argentina/Buenos_Aires", "Buenos Aires time"), ("Australia/Sydney", "Sydney time")],
)  # fmt: skip
def test_spoken_zone(zone, said):
    assert spoken_zone(zone) == said


def test_week_is_named_by_its_monday():
    assert week_of(date(2026, 11, 16)) == "week of 16 Nov"  # ISO 2026-W47
    assert week_of(date(2024, 12, 30), with_year=True) == "week of 30 Dec 2024"


def test_day_and_time_says_the_day_and_hour_in_the_requisitions_zone():
    deadline = datetime(2026, 12, 11, 17, 0, tzinfo=NEW_YORK).astimezone(UTC)
    assert day_and_time(deadline, "America/New_York") == "Friday 11 Dec, 5 pm"
