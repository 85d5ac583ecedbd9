import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from privacy.retention import months_before


@pytest.mark.parametrize(
    ("now", "months", "expected"),
    [
        (dt.datetime(2026, 6, 15, 12, 0), 6, dt.datetime(2025, 12, 15, 12, 0)),
        (dt.datetime(2026, 3, 31, 8, 30), 1, dt.datetime(2026, 2, 28, 8, 30)),
        (dt.datetime(2024, 3, 31), 1, dt.datetime(2024, 2, 29)),
        (dt.datetime(2026, 1, 10), 13, dt.datetime(2024, 12, 10)),
        (dt.datetime(2026, 1, 10), 0, dt.datetime(2026, 1, 10)),
    ],
)
def test_months_before_steps_calendar_months_and_clamps_to_the_months_last_day(
    now, months, expected
):
    assert months_before(now, months) == expected


def test_months_before_keeps_the_time_zone():
    berlin = ZoneInfo("Europe/Berlin")
    result = months_before(dt.datetime(2026, 7, 1, 9, 0, tzinfo=berlin), 3)
    assert result == dt.datetime(2026, 4, 1, 9, 0, tzinfo=berlin)


def test_months_before_refuses_negative_months():
    with pytest.raises(ValueError, match="negative"):
        months_before(dt.datetime(2026, 1, 1), -1)
