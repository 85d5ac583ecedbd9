"""Pure tests of silence-test deadlines and observation windows (no database, no clock)."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays as holiday_calendars
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hiring.calendars import (
    ClosureKind,
    ClosureRule,
    CompanyCalendar,
    business_calendar,
    requisition_instants,
    subdivision_choices,
)
from hiring.deadlines import (
    DEFAULT_WEEKEND,
    SilenceSchedule,
    is_business_day,
    local_instant,
    silence_deadline,
    window_close,
)

NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
BERLIN = ZoneInfo("Europe/Berlin")
LONDON = ZoneInfo("Europe/London")
SYDNEY = ZoneInfo("Australia/Sydney")
ADELAIDE = ZoneInfo("Australia/Adelaide")
KOLKATA = ZoneInfo("Asia/Kolkata")
KATHMANDU = ZoneInfo("Asia/Kathmandu")
RIYADH = ZoneInfo("Asia/Riyadh")
JERUSALEM = ZoneInfo("Asia/Jerusalem")

DEFAULT = SilenceSchedule()
FRI_SAT_WEEKEND = frozenset({4, 5})
GERMANY_2026 = holiday_calendars.country_holidays("DE", years=2026)
US_2026 = holiday_calendars.country_holidays("US", years=2026)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(tz: ZoneInfo, *args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=tz, fold=fold)


def deadline(announced_at, tz, schedule=DEFAULT, **calendar):
    return silence_deadline(announced_at=announced_at, tz=tz, schedule=schedule, **calendar)


def close(deadline_at, tz, schedule=DEFAULT, **calendar):
    return window_close(deadline=deadline_at, tz=tz, schedule=schedule, **calendar)


# --- SilenceSchedule ---------------------------------------------------------------------------


def test_schedule_defaults_are_friday_five_pm_48h_three_business_days():
    assert (
        SilenceSchedule(
            weekday=4, local_time=time(17), lead=timedelta(hours=48), window_business_days=3
        )
        == DEFAULT
    )
    assert frozenset({5, 6}) == DEFAULT_WEEKEND


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weekday": -1}, "weekday"),
        ({"weekday": 7}, "weekday"),
        ({"weekday": "4"}, "weekday"),
        ({"weekday": True}, "weekday"),
        ({"local_time": "17:00"}, "local_time"),
        ({"local_time": time(17, tzinfo=UTC)}, "naive"),
        ({"lead": timedelta(seconds=-1)}, "negative"),
        ({"lead": 48}, "lead"),
        ({"window_business_days": 0}, "at least 1"),
        ({"window_business_days": -3}, "at least 1"),
        ({"window_business_days": 2.5}, "window_business_days"),
    ],
)
def test_invalid_schedule_is_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SilenceSchedule(**kwargs)


def test_boundary_schedules_are_valid():
    SilenceSchedule(weekday=0, lead=timedelta(0), window_business_days=1)
    SilenceSchedule(weekday=6, local_time=time(0), lead=timedelta(days=30))


# --- is_business_day ---------------------------------------------------------------------------


def test_business_day_skips_weekend_and_holidays():
    assert is_business_day(date(2026, 11, 20))  # Friday
    assert not is_business_day(date(2026, 11, 21))  # Saturday
    assert not is_business_day(date(2026, 11, 22))  # Sunday
    assert not is_business_day(date(2026, 11, 26), holidays={date(2026, 11, 26)})
    assert not is_business_day(date(2026, 11, 26), holidays=US_2026)  # Thanksgiving
    assert not is_business_day(date(2026, 11, 20), weekend=FRI_SAT_WEEKEND)
    assert is_business_day(date(2026, 11, 22), weekend=FRI_SAT_WEEKEND)
    assert is_business_day(date(2026, 11, 22), weekend=frozenset())


# --- local_instant -----------------------------------------------------------------------------


def test_local_instant_plain_wall_time():
    result = local_instant(date(2026, 11, 20), time(17), LOS_ANGELES)
    assert result == utc(2026, 11, 21, 1)
    assert result.tzinfo is UTC


def test_local_instant_in_spring_forward_gap_moves_forward_by_the_gap():
    # 2026-03-08 02:00 EST -> 03:00 EDT: 02:30 does not exist and becomes 03:30 EDT.
    result = local_instant(date(2026, 3, 8), time(2, 30), NEW_YORK)
    assert result == utc(2026, 3, 8, 7, 30)
    assert result.astimezone(NEW_YORK).time() == time(3, 30)


def test_local_instant_in_half_hour_gap_moves_forward_half_an_hour():
    # Lord Howe Island shifts by 30 minutes: 2026-10-04 02:00 +10:30 -> 02:30 +11:00.
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    result = local_instant(date(2026, 10, 4), time(2, 15), lord_howe)
    assert result.astimezone(lord_howe).time() == time(2, 45)


def test_local_instant_in_fall_back_overlap_takes_first_occurrence():
    # 2026-11-01 02:00 EDT -> 01:00 EST: 01:30 happens twice; the first is EDT (-04:00).
    assert local_instant(date(2026, 11, 1), time(1, 30), NEW_YORK) == utc(2026, 11, 1, 5, 30)
    # Sydney 2026-04-05 03:00 AEDT -> 02:00 AEST: 02:30 first occurs at +11:00.
    assert local_instant(date(2026, 4, 5), time(2, 30), SYDNEY) == utc(2026, 4, 4, 15, 30)


def test_local_instant_midnight_gap():
    # Chile springs forward at 24:00: 2026-09-06 00:00 does not exist, 00:00 becomes 01:00.
    santiago = ZoneInfo("America/Santiago")
    result = local_instant(date(2026, 9, 6), time(0), santiago)
    assert result.astimezone(santiago).replace(tzinfo=None) == datetime(2026, 9, 6, 1, 0)


def test_local_instant_rejects_aware_time():
    with pytest.raises(ValueError, match="naive"):
        local_instant(date(2026, 11, 20), time(17, tzinfo=UTC), NEW_YORK)


# --- silence_deadline: basics -----------------------------------------------------------------


def test_wednesday_announcement_gets_that_friday():
    result = deadline(local(LOS_ANGELES, 2026, 11, 18, 10), LOS_ANGELES)
    assert result == utc(2026, 11, 21, 1)  # Friday 2026-11-20 17:00 PST
    assert result.tzinfo is UTC
    assert result.astimezone(LOS_ANGELES) == local(LOS_ANGELES, 2026, 11, 20, 17)


def test_announcement_in_utc_or_any_offset_is_the_same_instant():
    announced = local(LOS_ANGELES, 2026, 11, 18, 10)
    expected = utc(2026, 11, 21, 1)
    assert deadline(announced.astimezone(UTC), LOS_ANGELES) == expected
    assert deadline(announced.astimezone(timezone(timedelta(hours=9))), LOS_ANGELES) == expected


def test_thursday_evening_is_too_late_for_this_friday():
    result = deadline(local(LOS_ANGELES, 2026, 11, 19, 18), LOS_ANGELES)
    assert result == utc(2026, 11, 28, 1)  # Friday 2026-11-27 17:00 PST


def test_exactly_the_lead_before_is_enough():
    result = deadline(local(LOS_ANGELES, 2026, 11, 18, 17), LOS_ANGELES)
    assert result == utc(2026, 11, 21, 1)
    # One microsecond later it is not.
    late = deadline(local(LOS_ANGELES, 2026, 11, 18, 17, 0, 0, 1), LOS_ANGELES)
    assert late == utc(2026, 11, 28, 1)


def test_lead_zero():
    schedule = SilenceSchedule(lead=timedelta(0))
    at_deadline = local(LOS_ANGELES, 2026, 11, 20, 17)
    assert deadline(at_deadline, LOS_ANGELES, schedule) == utc(2026, 11, 21, 1)
    assert deadline(local(LOS_ANGELES, 2026, 11, 20, 16, 59), LOS_ANGELES, schedule) == utc(
        2026, 11, 21, 1
    )
    after = at_deadline + timedelta(seconds=1)
    assert deadline(after, LOS_ANGELES, schedule) == utc(2026, 11, 28, 1)


def test_monday_morning_schedule():
    schedule = SilenceSchedule(weekday=0, local_time=time(9, 30), lead=timedelta(hours=24))
    # Saturday noon + 24 h = Sunday noon -> Monday 09:30 GMT.
    assert deadline(local(LONDON, 2026, 11, 21, 12), LONDON, schedule) == utc(2026, 11, 23, 9, 30)
    # Sunday 10:00 + 24 h = Monday 10:00, after 09:30 -> the Monday after.
    assert deadline(local(LONDON, 2026, 11, 22, 10), LONDON, schedule) == utc(2026, 11, 30, 9, 30)


def test_naive_announcement_is_rejected():
    with pytest.raises(ValueError, match="aware"):
        deadline(datetime(2026, 11, 18, 10), LOS_ANGELES)


# --- silence_deadline: DST ----------------------------------------------------------------------


def test_us_spring_forward_week():
    # Friday before the change is EST (-05:00), Friday after is EDT (-04:00).
    assert deadline(local(NEW_YORK, 2026, 3, 4, 12), NEW_YORK) == utc(2026, 3, 6, 22)
    assert deadline(local(NEW_YORK, 2026, 3, 6, 16), NEW_YORK) == utc(2026, 3, 13, 21)
    assert deadline(local(NEW_YORK, 2026, 3, 11, 17), NEW_YORK) == utc(2026, 3, 13, 21)


def test_us_spring_forward_lead_is_absolute_time():
    # Saturday 16:30 EST + 48 real hours = Monday 21:30 UTC = 17:30 EDT, past Monday 17:00.
    # (Adding 48 h of wall-clock time would wrongly give Monday 16:30 and that Monday.)
    schedule = SilenceSchedule(weekday=0)
    result = deadline(local(NEW_YORK, 2026, 3, 7, 16, 30), NEW_YORK, schedule)
    assert result == utc(2026, 3, 16, 21)  # Monday 2026-03-16 17:00 EDT


def test_us_fall_back_week():
    assert deadline(local(NEW_YORK, 2026, 10, 28, 9), NEW_YORK) == utc(2026, 10, 30, 21)
    assert deadline(local(NEW_YORK, 2026, 11, 4, 17), NEW_YORK) == utc(2026, 11, 6, 22)


def test_us_fall_back_lead_is_absolute_time():
    # Saturday 17:30 EDT + 48 real hours = Monday 21:30 UTC = 16:30 EST: that Monday 17:00 works.
    schedule = SilenceSchedule(weekday=0)
    result = deadline(local(NEW_YORK, 2026, 10, 31, 17, 30), NEW_YORK, schedule)
    assert result == utc(2026, 11, 2, 22)  # Monday 2026-11-02 17:00 EST


def test_sydney_dst_start():
    # 2026-10-04 AEST (+10) -> AEDT (+11).
    assert deadline(local(SYDNEY, 2026, 9, 30, 9), SYDNEY) == utc(2026, 10, 2, 7)
    assert deadline(local(SYDNEY, 2026, 10, 1, 9), SYDNEY) == utc(2026, 10, 9, 6)


def test_sydney_dst_end():
    # 2026-04-05 AEDT (+11) -> AEST (+10). (No holidays passed: Good Friday stays a deadline.)
    assert deadline(local(SYDNEY, 2026, 4, 1, 9), SYDNEY) == utc(2026, 4, 3, 6)
    assert deadline(local(SYDNEY, 2026, 4, 8, 17), SYDNEY) == utc(2026, 4, 10, 7)


def test_berlin_dst_start_and_end():
    assert deadline(local(BERLIN, 2026, 3, 25, 9), BERLIN) == utc(2026, 3, 27, 16)  # CET
    assert deadline(local(BERLIN, 2026, 3, 26, 9), BERLIN) == utc(2026, 4, 3, 15)  # CEST
    assert deadline(local(BERLIN, 2026, 10, 21, 9), BERLIN) == utc(2026, 10, 23, 15)  # CEST
    assert deadline(local(BERLIN, 2026, 10, 22, 9), BERLIN) == utc(2026, 10, 30, 16)  # CET


@pytest.mark.parametrize(
    ("tz", "expected"),
    [
        (KOLKATA, utc(2026, 11, 20, 11, 30)),  # +05:30
        (KATHMANDU, utc(2026, 11, 20, 11, 15)),  # +05:45
        (ADELAIDE, utc(2026, 11, 20, 6, 30)),  # +10:30 (ACDT)
        (ZoneInfo("Pacific/Chatham"), utc(2026, 11, 20, 3, 15)),  # +13:45
        (ZoneInfo("America/St_Johns"), utc(2026, 11, 20, 20, 30)),  # -03:30
    ],
)
def test_non_hour_offsets(tz, expected):
    result = deadline(local(tz, 2026, 11, 18, 10), tz)
    assert result == expected
    assert result.astimezone(tz).replace(tzinfo=None) == datetime(2026, 11, 20, 17)


def test_adelaide_standard_time_and_dst_start():
    # Winter: ACST +09:30.
    assert deadline(local(ADELAIDE, 2026, 6, 17, 10), ADELAIDE) == utc(2026, 6, 19, 7, 30)
    # Across 2026-10-04 (+09:30 -> +10:30).
    assert deadline(local(ADELAIDE, 2026, 10, 1, 10), ADELAIDE) == utc(2026, 10, 9, 6, 30)


def test_configured_time_in_dst_gap_moves_forward():
    schedule = SilenceSchedule(weekday=6, local_time=time(2, 30))
    result = deadline(local(NEW_YORK, 2026, 3, 4, 12), NEW_YORK, schedule, weekend=frozenset())
    assert result == utc(2026, 3, 8, 7, 30)
    assert result.astimezone(NEW_YORK).replace(tzinfo=None) == datetime(2026, 3, 8, 3, 30)
    # The week after, 02:30 exists again.
    later = deadline(local(NEW_YORK, 2026, 3, 7, 12), NEW_YORK, schedule, weekend=frozenset())
    assert later == utc(2026, 3, 15, 6, 30)


def test_configured_time_in_fall_back_overlap_takes_first_occurrence():
    schedule = SilenceSchedule(weekday=6, local_time=time(1, 30), lead=timedelta(0))
    result = deadline(local(NEW_YORK, 2026, 10, 31, 12), NEW_YORK, schedule, weekend=frozenset())
    assert result == utc(2026, 11, 1, 5, 30)  # 01:30 EDT, not 01:30 EST
    # Announced between the two 01:30s: the first has passed -> next Sunday.
    between = local(NEW_YORK, 2026, 11, 1, 1, 45, fold=0)
    assert deadline(between, NEW_YORK, schedule, weekend=frozenset()) == utc(2026, 11, 8, 6, 30)


# --- silence_deadline: holidays and weekends ------------------------------------------------


def test_good_friday_moves_the_deadline_to_thursday():
    announced = local(BERLIN, 2026, 3, 30, 10)
    expected = utc(2026, 4, 2, 15)  # Thursday 2026-04-02 17:00 CEST
    assert deadline(announced, BERLIN, holidays=GERMANY_2026) == expected
    assert deadline(announced, BERLIN, holidays=frozenset({date(2026, 4, 3)})) == expected


def test_holiday_move_that_breaks_the_lead_goes_to_next_week():
    # Tuesday 18:00 + 48 h = Thursday 18:00: the moved deadline (Thursday 17:00) is too early.
    result = deadline(local(BERLIN, 2026, 3, 31, 18), BERLIN, holidays=GERMANY_2026)
    assert result == utc(2026, 4, 10, 15)  # Friday 2026-04-10 17:00 CEST


def test_move_back_skips_several_non_business_days():
    off = frozenset({date(2026, 11, 19), date(2026, 11, 20)})
    result = deadline(local(NEW_YORK, 2026, 11, 16, 9), NEW_YORK, holidays=off)
    assert result == utc(2026, 11, 18, 22)  # Wednesday 17:00 EST


def test_next_week_is_also_adjusted():
    off = frozenset({date(2026, 11, 20), date(2026, 11, 27)})
    # Wednesday 10:00: Friday 20 is a holiday, Thursday 19 17:00 is < 48 h away -> Friday 27 is
    # a holiday too -> Thursday 26 (no Thanksgiving in this calendar).
    result = deadline(local(NEW_YORK, 2026, 11, 18, 10), NEW_YORK, holidays=off)
    assert result == utc(2026, 11, 26, 22)


def test_friday_in_a_friday_saturday_weekend_moves_to_thursday():
    result = deadline(local(RIYADH, 2026, 11, 15, 10), RIYADH, weekend=FRI_SAT_WEEKEND)
    assert result == utc(2026, 11, 19, 14)  # Thursday 17:00 +03:00


def test_weekend_weekday_moves_to_the_previous_business_day():
    saturday = SilenceSchedule(weekday=5, local_time=time(12))
    result = deadline(local(LONDON, 2026, 11, 16, 9), LONDON, saturday)
    assert result == utc(2026, 11, 20, 12)  # Friday noon GMT
    # With no weekend Saturday stays Saturday.
    result = deadline(local(LONDON, 2026, 11, 16, 9), LONDON, saturday, weekend=frozenset())
    assert result == utc(2026, 11, 21, 12)


def test_calendar_without_business_days_raises_instead_of_looping():
    every_day = frozenset(range(7))
    with pytest.raises(ValueError, match="business day"):
        deadline(local(NEW_YORK, 2026, 11, 18, 10), NEW_YORK, weekend=every_day)

    class AlwaysHoliday:
        def __contains__(self, item: object) -> bool:
            return True

    with pytest.raises(ValueError, match="business day"):
        deadline(local(NEW_YORK, 2026, 11, 18, 10), NEW_YORK, holidays=AlwaysHoliday())
    with pytest.raises(ValueError, match="business day"):
        close(utc(2026, 11, 20, 22), NEW_YORK, holidays=AlwaysHoliday())


def test_endless_holiday_run_raises_instead_of_looping():
    # Every day after the announcement is a holiday: each Friday moves back before the lead.
    run = frozenset(date(2026, 11, 19) + timedelta(days=d) for d in range(400))
    with pytest.raises(ValueError, match="check the weekend and holidays"):
        deadline(local(NEW_YORK, 2026, 11, 18, 10), NEW_YORK, weekend=frozenset(), holidays=run)


# --- window_close ------------------------------------------------------------------------------


def test_window_closes_at_end_of_third_business_day():
    friday = local(NEW_YORK, 2026, 11, 20, 17)
    result = close(friday, NEW_YORK)
    assert result == utc(2026, 11, 26, 5)  # Thursday 2026-11-26 00:00 EST
    assert result.tzinfo is UTC
    assert result.astimezone(NEW_YORK).replace(tzinfo=None) == datetime(2026, 11, 26)


def test_window_close_skips_thanksgiving():
    tuesday = local(NEW_YORK, 2026, 11, 24, 17)
    expected = utc(2026, 12, 1, 5)  # Wed 25, Fri 27, Mon 30 -> Tuesday 2026-12-01 00:00 EST
    assert close(tuesday, NEW_YORK, holidays=frozenset({date(2026, 11, 26)})) == expected
    assert close(tuesday, NEW_YORK, holidays=US_2026) == expected
    # Without the holiday: Wed 25, Thu 26, Fri 27 -> Saturday 00:00.
    assert close(tuesday, NEW_YORK) == utc(2026, 11, 28, 5)


def test_window_close_skips_easter_monday_in_germany():
    thursday = utc(2026, 4, 2, 15)  # the Good-Friday-moved deadline
    # Fri 3 and Mon 6 are holidays: Tue 7, Wed 8, Thu 9 -> Friday 2026-04-10 00:00 CEST.
    assert close(thursday, BERLIN, holidays=GERMANY_2026) == utc(2026, 4, 9, 22)
    # Without holidays: Fri 3, Mon 6, Tue 7 -> Wednesday 2026-04-08 00:00 CEST.
    assert close(thursday, BERLIN) == utc(2026, 4, 7, 22)


def test_window_close_with_friday_saturday_weekend():
    thursday = local(JERUSALEM, 2026, 11, 19, 17)
    # Fri, Sat off: Sun 22, Mon 23, Tue 24 -> Wednesday 2026-11-25 00:00 +02:00.
    assert close(thursday, JERUSALEM, weekend=FRI_SAT_WEEKEND) == utc(2026, 11, 24, 22)


def test_window_close_uses_the_local_date_of_the_deadline():
    # 2026-11-20 01:00 UTC is still Thursday 17:00 in Los Angeles: Fri, Mon, Tue -> Wednesday
    # 00:00 PST. (Counting from the UTC date, Friday, would wrongly give Thursday.)
    assert close(utc(2026, 11, 20, 1), LOS_ANGELES) == utc(2026, 11, 25, 8)


def test_window_close_across_dst_changes():
    # New York fall back: Fri 30 Oct EDT -> Mon 2, Tue 3, Wed 4 -> Thu 5 Nov 00:00 EST.
    assert close(local(NEW_YORK, 2026, 10, 30, 17), NEW_YORK) == utc(2026, 11, 5, 5)
    # Berlin spring forward: Fri 27 Mar CET -> Mon 30, Tue 31, Wed 1 -> Thu 2 Apr 00:00 CEST.
    assert close(local(BERLIN, 2026, 3, 27, 17), BERLIN) == utc(2026, 4, 1, 22)


def test_window_close_when_local_midnight_does_not_exist():
    # Egypt: Friday/Saturday weekend; DST starts Friday 2026-04-24 at 00:00 (-> 01:00 +03:00).
    cairo = ZoneInfo("Africa/Cairo")
    monday = local(cairo, 2026, 4, 20, 17)
    result = close(monday, cairo, weekend=FRI_SAT_WEEKEND)  # Tue, Wed, Thu -> Friday 00:00
    assert result == utc(2026, 4, 23, 22)
    assert result.astimezone(cairo).replace(tzinfo=None) == datetime(2026, 4, 24, 1)


def test_window_length_is_configurable():
    friday = local(NEW_YORK, 2026, 11, 20, 17)
    one = SilenceSchedule(window_business_days=1)
    assert close(friday, NEW_YORK, one) == utc(2026, 11, 24, 5)  # Tuesday 00:00
    five = SilenceSchedule(window_business_days=5)
    assert close(friday, NEW_YORK, five) == utc(2026, 11, 28, 5)  # Saturday 00:00


def test_window_close_rejects_naive_deadline():
    with pytest.raises(ValueError, match="aware"):
        close(datetime(2026, 11, 20, 17), NEW_YORK)


# --- properties --------------------------------------------------------------------------------

ZONES = [
    "America/Los_Angeles",
    "America/New_York",
    "America/Sao_Paulo",
    "America/St_Johns",
    "America/Santiago",  # DST changes at local midnight
    "Africa/Cairo",  # DST changes at local midnight (from 2023)
    "Asia/Tehran",  # DST changes at local midnight (until 2022)
    "Europe/Berlin",
    "Europe/London",
    "Europe/Dublin",  # negative DST in tzdata
    "Australia/Sydney",
    "Australia/Adelaide",
    "Australia/Lord_Howe",  # 30-minute DST
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "Pacific/Auckland",
    "UTC",
]

zones = st.sampled_from(ZONES).map(ZoneInfo)
instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)
quarter_hours = st.integers(0, 95).map(lambda q: time(q // 4, q % 4 * 15))
leads = st.integers(0, 200 * 60).map(lambda minutes: timedelta(minutes=minutes))
weekends = st.sampled_from([DEFAULT_WEEKEND, FRI_SAT_WEEKEND, frozenset({6}), frozenset()])
#: Holidays as day offsets from the announcement's local date, so they actually get hit.
holiday_offsets = st.frozensets(st.integers(-10, 45), max_size=15)
schedules = st.builds(
    SilenceSchedule,
    weekday=st.integers(0, 6),
    local_time=quarter_hours,
    lead=leads,
    window_business_days=st.integers(1, 10),
)

PROPERTY_SETTINGS = settings(max_examples=300, deadline=None)
QUARTER_HOUR = timedelta(minutes=15)


def next_offset_change(after: datetime, tz: ZoneInfo) -> datetime | None:
    """Roughly (to the minute) when ``tz`` next changes its UTC offset, within 400 days."""
    offset = after.astimezone(tz).utcoffset()
    low = after
    for _ in range(400):
        high = low + timedelta(days=1)
        if high.astimezone(tz).utcoffset() != offset:
            break
        low = high
    else:
        return None
    while high - low > timedelta(minutes=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).utcoffset() == offset:
            low = middle
        else:
            high = middle
    return low


@st.composite
def wall_clock_near(draw, change: datetime, tz: ZoneInfo) -> tuple[date, time]:
    """A quarter-hour wall-clock time within 2 h of an offset change (often in its gap/overlap)."""
    before = change.astimezone(tz).replace(tzinfo=None)  # wall clock just before the change
    floor = before.replace(minute=before.minute // 15 * 15, second=0, microsecond=0)
    wall_clock = floor + draw(st.integers(-8, 8)) * QUARTER_HOUR
    return wall_clock.date(), wall_clock.time()


@st.composite
def wall_clocks(draw) -> tuple[date, time, ZoneInfo]:
    """(day, time, zone): anywhere half the time, next to a DST change the other half."""
    tz = draw(zones)
    instant = draw(instants)
    change = next_offset_change(instant, tz) if draw(st.booleans()) else None
    if change is None:
        return instant.astimezone(tz).date(), draw(quarter_hours), tz
    day, at = draw(wall_clock_near(change, tz))
    return day, at, tz


@st.composite
def deadline_scenarios(draw):
    """(announced_at, tz, schedule, weekend, holidays), aimed at the edges a third of the time each.

    * random: any instant, any schedule, holidays scattered over the following weeks;
    * boundary: the announcement within +-3 days of exactly ``lead`` before a nominal deadline,
      with holidays around it (exercises "exactly the lead", move-backs that break the lead);
    * dst: as boundary, but the deadline's day and wall time are next to a DST transition (and
      that day is a business day), so the configured time is often in the gap or the overlap.
    """
    tz = draw(zones)
    instant = draw(instants)
    schedule = draw(schedules)
    weekend = draw(weekends)
    mode = draw(st.sampled_from(["random", "boundary", "dst"]))
    change = next_offset_change(instant, tz) if mode == "dst" else None
    if mode == "random" or (mode == "dst" and change is None):
        base = instant.astimezone(tz).date()
        holidays = frozenset(base + timedelta(days=o) for o in draw(holiday_offsets))
        return instant, tz, schedule, weekend, holidays
    offsets = draw(st.frozensets(st.integers(-10, 10), max_size=8))
    if change is None:
        target = instant.astimezone(tz).date()
        at = schedule.local_time
        shift = draw(st.integers(-3 * 96, 3 * 96)) * QUARTER_HOUR
    else:
        # Make the transition day itself the likely deadline: a business day, lead mostly kept.
        target, at = draw(wall_clock_near(change, tz))
        weekend = weekend - {target.weekday()}
        offsets = offsets - {0}
        shift = draw(st.integers(-3 * 96, 8)) * QUARTER_HOUR
    schedule = replace(schedule, weekday=target.weekday(), local_time=at)
    announced = local_instant(target, at, tz) - schedule.lead + shift
    holidays = frozenset(target + timedelta(days=o) for o in offsets)
    return announced, tz, schedule, weekend, holidays


def wall(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def wall_time_exists(day: date, at: time, tz: ZoneInfo) -> bool:
    naive = datetime.combine(day, at)
    # Round-trip through UTC: ``aware.astimezone(its_own_tz)`` would return it unchanged.
    return wall(naive.replace(tzinfo=tz).astimezone(UTC), tz) == naive


def adjusted_day(nominal: date, weekend, holidays) -> date:
    day = nominal
    while not is_business_day(day, weekend=weekend, holidays=holidays):
        day -= timedelta(days=1)
    return day


@PROPERTY_SETTINGS
@given(wall_clock=wall_clocks())
def test_local_instant_properties(wall_clock):
    day, at, tz = wall_clock
    result = local_instant(day, at, tz)
    assert result.tzinfo is UTC
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    if wall_time_exists(day, at, tz):
        assert wall(result, tz) == naive
        # Ambiguous: the first occurrence (the earlier instant).
        assert result == min(first.astimezone(UTC), second.astimezone(UTC))
    else:
        gap = second.utcoffset() - first.utcoffset()
        assert gap > timedelta(0)
        assert wall(result, tz) == naive + gap


@PROPERTY_SETTINGS
@given(scenario=deadline_scenarios())
def test_deadline_properties(scenario):
    announced, tz, schedule, weekend, holidays = scenario
    calendar = {"weekend": weekend, "holidays": holidays}
    at = schedule.local_time
    earliest = announced + schedule.lead

    result = silence_deadline(announced_at=announced, tz=tz, schedule=schedule, **calendar)

    assert result.tzinfo is UTC
    assert result >= earliest

    # The local day the deadline belongs to (a gap can push the wall time past midnight).
    day = result.astimezone(tz).date()
    if local_instant(day, at, tz) != result:
        day -= timedelta(days=1)
    assert local_instant(day, at, tz) == result

    # Wall time: the configured one, or pushed forward by exactly the gap it falls in.
    naive = datetime.combine(day, at)
    if wall_time_exists(day, at, tz):
        assert wall(result, tz) == naive
    else:
        gap = naive.replace(tzinfo=tz, fold=1).utcoffset() - naive.replace(tzinfo=tz).utcoffset()
        assert wall(result, tz) == naive + gap

    # Weekday: the configured one, or moved back from it to the previous business day.
    assert is_business_day(day, **calendar)
    if day.weekday() == schedule.weekday:
        nominal = day
    else:
        nominal = day + timedelta(days=(schedule.weekday - day.weekday()) % 7)
        assert nominal > day
        skipped = [day + timedelta(days=i) for i in range(1, (nominal - day).days + 1)]
        assert not any(is_business_day(d, **calendar) for d in skipped)

    # Earliest: no earlier week's (adjusted) occurrence keeps the lead.
    # (An adjusted occurrence is never later than its nominal one, so the walk back can stop at
    # the first week whose nominal occurrence is already too early.)
    previous = nominal - timedelta(weeks=1)
    while True:
        assert local_instant(adjusted_day(previous, **calendar), at, tz) < earliest
        if local_instant(previous, at, tz) < earliest:
            break
        previous -= timedelta(weeks=1)


@PROPERTY_SETTINGS
@given(
    deadline_at=instants, tz=zones, schedule=schedules, weekend=weekends, offsets=holiday_offsets
)
def test_window_close_properties(deadline_at, tz, schedule, weekend, offsets):
    start = deadline_at.astimezone(tz).date()
    holidays = frozenset(start + timedelta(days=o) for o in offsets)
    calendar = {"weekend": weekend, "holidays": holidays}

    result = window_close(deadline=deadline_at, tz=tz, schedule=schedule, **calendar)

    assert result.tzinfo is UTC
    assert result > deadline_at
    end = result.astimezone(tz).date()
    # Local midnight (or the first instant of the day, if midnight falls in a DST gap).
    assert result == local_instant(end, time(0), tz)
    if wall_time_exists(end, time(0), tz):
        assert result.astimezone(tz).time() == time(0)
    # Exactly N business days strictly between, the last of them the day before the close.
    between = [start + timedelta(days=i) for i in range(1, (end - start).days)]
    assert sum(is_business_day(d, **calendar) for d in between) == schedule.window_business_days
    assert is_business_day(end - timedelta(days=1), **calendar)


@PROPERTY_SETTINGS
@given(announced=instants, tz=zones, schedule=schedules, weekend=weekends)
def test_window_of_a_deadline_closes_after_it(announced, tz, schedule, weekend):
    at = silence_deadline(announced_at=announced, tz=tz, schedule=schedule, weekend=weekend)
    closes = window_close(deadline=at, tz=tz, schedule=schedule, weekend=weekend)
    assert at < closes
    # Nothing moves when the announcement is expressed in another offset.
    shifted = announced.astimezone(timezone(timedelta(hours=-7, minutes=-30)))
    assert silence_deadline(announced_at=shifted, tz=tz, schedule=schedule, weekend=weekend) == at


# --- Company calendar and regional holidays (hiring.calendars: still pure) ---------------------

DAY_AFTER_THANKSGIVING = ClosureRule(
    kind=ClosureKind.NTH_WEEKDAY, month=11, weekday=3, nth=4, offset_days=1, country="US"
)
NEW_YEARS_EVE = ClosureRule(kind=ClosureKind.YEARLY, month=12, day=31)
CHRISTMAS_EVE = ClosureRule(kind=ClosureKind.YEARLY, month=12, day=24)


def instants_for(announced_at, tz, country, schedule=DEFAULT, subdivision="", rules=()):
    return requisition_instants(
        announced_at=announced_at,
        tz=tz,
        schedule=schedule,
        country=country,
        subdivision=subdivision,
        company=CompanyCalendar(tuple(rules)),
    )


def test_day_after_thanksgiving_closure_moves_the_deadline_to_wednesday():
    announced = local(NEW_YORK, 2026, 11, 23, 10, 0)  # Monday of Thanksgiving week
    without, _ = instants_for(announced, NEW_YORK, "US")
    assert without == local(NEW_YORK, 2026, 11, 27, 17, 0)  # the national calendar alone
    deadline_at, _ = instants_for(announced, NEW_YORK, "US", rules=[DAY_AFTER_THANKSGIVING])
    # Friday closed, Thursday is Thanksgiving: Wednesday, still 48 h after Monday 10:00.
    assert deadline_at == local(NEW_YORK, 2026, 11, 25, 17, 0)


def test_new_years_eve_closure_moves_the_berlin_deadline_to_wednesday():
    announced = local(BERLIN, 2026, 12, 28, 10, 0)  # Monday
    without, _ = instants_for(announced, BERLIN, "DE")
    assert without == local(BERLIN, 2026, 12, 31, 17, 0)
    deadline_at, _ = instants_for(announced, BERLIN, "DE", rules=[NEW_YEARS_EVE])
    assert deadline_at == local(BERLIN, 2026, 12, 30, 17, 0)


def test_closure_for_another_country_does_not_apply():
    announced = local(BERLIN, 2026, 11, 23, 10, 0)
    deadline_at, _ = instants_for(announced, BERLIN, "DE", rules=[DAY_AFTER_THANKSGIVING])
    assert deadline_at == local(BERLIN, 2026, 11, 27, 17, 0)


def test_bavarian_epiphany_is_a_holiday_for_a_bavarian_requisition_only():
    announced = local(BERLIN, 2025, 12, 31, 9, 0)  # deadline Friday 2 Jan 2026, 17:00
    deadline_at, berlin = instants_for(announced, BERLIN, "DE", subdivision="BE")
    assert deadline_at == local(BERLIN, 2026, 1, 2, 17, 0)
    assert berlin == local(BERLIN, 2026, 1, 8, 0, 0)  # Mon, Tue, Wed
    _, bavaria = instants_for(announced, BERLIN, "DE", subdivision="BY")
    assert bavaria == local(BERLIN, 2026, 1, 9, 0, 0)  # Tuesday 6 Jan is Epiphany in Bavaria


def test_window_skips_closure_days():
    deadline_at = local(NEW_YORK, 2026, 12, 18, 17, 0)  # Friday
    shutdown = ClosureRule(kind=ClosureKind.DATES, start=date(2026, 12, 21), end=date(2026, 12, 22))
    weekend, closed = business_calendar(
        "US", date(2026, 12, 18), company=CompanyCalendar((shutdown, CHRISTMAS_EVE))
    )
    closes = close(deadline_at, NEW_YORK, weekend=weekend, holidays=closed)
    # Mon 21 and Tue 22 shut, Wed 23 counts, Thu 24 shut, Fri 25 Christmas: Mon 28, Tue 29.
    assert closes == local(NEW_YORK, 2026, 12, 30, 0, 0)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (ClosureRule(kind=ClosureKind.DATES, start=date(2026, 5, 4)), {date(2026, 5, 4)}),
        (
            ClosureRule(kind=ClosureKind.DATES, start=date(2026, 12, 30), end=date(2027, 1, 2)),
            {date(2026, 12, 30), date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 2)},
        ),
        (CHRISTMAS_EVE, {date(year, 12, 24) for year in range(2024, 2029)}),
        (
            ClosureRule(kind=ClosureKind.YEARLY, month=2, day=29),
            {date(2024, 2, 29), date(2028, 2, 29)},
        ),
        (
            DAY_AFTER_THANKSGIVING,
            {date(2024, 11, 29), date(2025, 11, 28), date(2026, 11, 27), date(2027, 11, 26)}
            | {date(2028, 11, 24)},
        ),
        (
            ClosureRule(kind=ClosureKind.NTH_WEEKDAY, month=5, weekday=0, nth=-1),  # Memorial Day
            {date(2024, 5, 27), date(2025, 5, 26), date(2026, 5, 25), date(2027, 5, 31)}
            | {date(2028, 5, 29)},
        ),
    ],
)
def test_closure_rules_expand_to_their_days(rule, expected):
    assert set(rule.dates(2024, 2028)) == expected


def test_subdivision_choices_are_the_countrys_known_ones():
    codes = {code for code, _label in subdivision_choices("DE")}
    assert {"BY", "BE", "NW"} <= codes
    assert "NY" not in codes
    assert ("BY", "BY — Bayern") in subdivision_choices("DE")
    assert subdivision_choices("SG") == [] or all(code for code, _l in subdivision_choices("SG"))


CALENDAR_COUNTRIES = [
    ("US", ""),
    ("US", "NY"),
    ("DE", "BY"),
    ("DE", ""),
    ("GB", "SCT"),
    ("ES", "CT"),
]

closure_rules = st.one_of(
    st.builds(
        ClosureRule,
        kind=st.just(ClosureKind.DATES),
        start=st.dates(date(2025, 1, 1), date(2030, 12, 31)),
        end=st.none(),
    ),
    st.dates(date(2025, 1, 1), date(2030, 12, 31)).flatmap(
        lambda start: st.builds(
            ClosureRule,
            kind=st.just(ClosureKind.DATES),
            start=st.just(start),
            end=st.integers(0, 20).map(lambda n: start + timedelta(days=n)),
        )
    ),
    st.builds(
        ClosureRule,
        kind=st.just(ClosureKind.YEARLY),
        month=st.integers(1, 12),
        day=st.integers(1, 29),
    ),
    st.builds(
        ClosureRule,
        kind=st.just(ClosureKind.NTH_WEEKDAY),
        month=st.integers(1, 12),
        weekday=st.integers(0, 6),
        nth=st.sampled_from([1, 2, 3, 4, 5, -1]),
        offset_days=st.integers(-3, 3),
    ),
)


@PROPERTY_SETTINGS
@given(
    announced=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2030, 6, 30), timezones=st.just(UTC)
    ),
    place=st.sampled_from(CALENDAR_COUNTRIES),
    tz=zones,
    schedule=st.builds(
        SilenceSchedule,
        weekday=st.integers(0, 4),
        local_time=st.integers(8 * 4, 19 * 4).map(lambda q: time(q // 4, q % 4 * 15)),
        lead=leads,
        window_business_days=st.integers(1, 10),
    ),
    rules=st.lists(closure_rules, max_size=8),
    near_deadline=st.booleans(),
)
def test_a_deadline_never_falls_on_a_closure_day_or_holiday(
    announced, place, tz, schedule, rules, near_deadline
):
    country, subdivision = place
    if near_deadline:
        # Close the days around the nominal deadline too, so the calendar actually bites.
        base = (announced + schedule.lead).astimezone(tz).date()
        rules = [*rules, ClosureRule(kind=ClosureKind.DATES, start=base, end=base + timedelta(6))]
    company = CompanyCalendar(tuple(rules))
    deadline_at, closes = instants_for(announced, tz, country, schedule, subdivision, rules)

    day = deadline_at.astimezone(tz).date()
    weekend, closed = business_calendar(country, day, subdivision=subdivision, company=company)
    public = holiday_calendars.country_holidays(country, subdiv=subdivision or None, years=day.year)
    assert day not in public
    assert day not in company.closed_days(country, day.year, day.year)
    assert is_business_day(day, weekend=weekend, holidays=closed)
    assert deadline_at >= announced + schedule.lead
    # The window's last day is a business day too.
    last = closes.astimezone(tz).date() - timedelta(days=1)
    weekend, closed = business_calendar(country, last, subdivision=subdivision, company=company)
    assert is_business_day(last, weekend=weekend, holidays=closed)
