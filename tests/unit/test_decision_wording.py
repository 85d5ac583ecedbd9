"""Rejection emails: the restricted placeholder substitution and the send time (pure)."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from decisions.wording import (
    MAX_VALUE_CHARS,
    DelayKind,
    SendDelay,
    placeholders_unknown,
    send_at,
    subject_render,
    text_render,
    value_clean,
)

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
MORNING = SendDelay(kind=DelayKind.NEXT_BUSINESS_MORNING, minutes=60, morning=time(9, 0))


def test_known_placeholders_are_replaced_and_unknown_ones_left_as_written():
    text = "Dear {first_name}, about {requisition_title} at {company}: {secret_key} {0.__class__}"
    rendered = text_render(
        text, {"first_name": "Dana", "requisition_title": "AE", "company": "Acme"}
    )
    assert rendered == "Dear Dana, about AE at Acme: {secret_key} {0.__class__}"


def test_unknown_placeholders_are_listed_once_for_the_admin_form():
    assert placeholders_unknown("{first_name} {nope} {nope} {user.password}") == ["nope"]


def test_a_value_is_not_substituted_again_so_a_name_cannot_pull_in_other_values():
    rendered = text_render("Hi {first_name}", {"first_name": "{company}", "company": "Acme"})
    assert rendered == "Hi {company}"


def test_template_syntax_in_a_name_stays_plain_text():
    rendered = text_render("Hi {first_name}", {"first_name": "{{ settings.SECRET_KEY }}{% x %}"})
    assert rendered == "Hi {{ settings.SECRET_KEY }}{% x %}"


def test_a_hostile_name_cannot_add_header_lines_to_the_subject():
    subject = subject_render(
        "Your application, {first_name}", {"first_name": "Eve\r\nBcc: all@example.com\x00"}
    )
    assert not any(char in subject for char in "\r\n\x00")
    assert subject == "Your application, Eve Bcc: all@example.com"


def test_a_subject_template_with_a_line_break_becomes_one_line():
    assert subject_render("Line one\nline two", {}) == "Line one line two"


@given(st.text(max_size=2000))
def test_values_are_always_one_bounded_line(value):
    cleaned = value_clean(value)
    assert len(cleaned) <= MAX_VALUE_CHARS
    assert not any(char in cleaned for char in "\r\n\x00\x0b\x0c\u2028\u2029\x85")


def test_after_kind_is_now_plus_the_cancel_window():
    now = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
    delay = SendDelay(kind=DelayKind.AFTER, minutes=90)
    assert send_at(now=now, delay=delay, tz=NEW_YORK) == datetime(2026, 3, 6, 16, 30, tzinfo=UTC)


def test_friday_afternoon_rejection_goes_monday_morning_in_the_zone():
    friday = datetime(2026, 3, 6, 20, 0, tzinfo=UTC)  # 15:00 in New York
    assert send_at(now=friday, delay=MORNING, tz=NEW_YORK) == datetime(
        2026, 3, 9, 13, 0, tzinfo=UTC
    )  # Monday 09:00 EDT: the clocks sprang forward on Sunday 8 March


def test_early_morning_rejection_goes_the_same_morning_after_the_window():
    now = datetime(2026, 3, 10, 11, 30, tzinfo=UTC)  # Tuesday 07:30 EDT
    assert send_at(now=now, delay=MORNING, tz=NEW_YORK) == datetime(2026, 3, 10, 13, 0, tzinfo=UTC)


def test_the_cancel_window_pushes_past_this_morning():
    now = datetime(2026, 3, 10, 12, 30, tzinfo=UTC)  # Tuesday 08:30 EDT: 09:00 is too soon
    assert send_at(now=now, delay=MORNING, tz=NEW_YORK) == datetime(2026, 3, 11, 13, 0, tzinfo=UTC)


def test_holidays_and_company_closures_are_skipped():
    now = datetime(2026, 12, 24, 15, 0, tzinfo=UTC)  # Thursday afternoon in Berlin
    closed = frozenset({date(2026, 12, 25), date(2026, 12, 28)})
    assert send_at(now=now, delay=MORNING, tz=BERLIN, holidays=closed) == datetime(
        2026, 12, 29, 8, 0, tzinfo=UTC
    )


def test_a_morning_inside_the_spring_forward_gap_moves_forward_by_the_gap():
    delay = SendDelay(kind=DelayKind.NEXT_BUSINESS_MORNING, minutes=0, morning=time(2, 30))
    now = datetime(2026, 3, 8, 5, 0, tzinfo=UTC)  # Sunday 00:00 EST; Monday is next business
    # Sunday is skipped as weekend; take a calendar where Sunday is a business day.
    got = send_at(now=now, delay=delay, tz=NEW_YORK, weekend=frozenset({5}))
    assert got.astimezone(NEW_YORK).replace(tzinfo=None) == datetime(2026, 3, 8, 3, 30)


def test_an_ambiguous_morning_is_its_first_occurrence():
    delay = SendDelay(kind=DelayKind.NEXT_BUSINESS_MORNING, minutes=0, morning=time(1, 30))
    now = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)  # Sunday 00:00 EDT
    got = send_at(now=now, delay=delay, tz=NEW_YORK, weekend=frozenset({5}))
    assert got == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT, not EST


def test_the_cancel_window_is_absolute_time_across_a_dst_change():
    delay = SendDelay(kind=DelayKind.AFTER, minutes=120)
    now = datetime(2026, 3, 8, 6, 30, tzinfo=UTC)  # 01:30 EST, the clocks jump at 02:00
    assert (send_at(now=now, delay=delay, tz=NEW_YORK) - now).total_seconds() == 7200


@given(
    st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
    ),
    st.integers(min_value=0, max_value=3000),
    st.integers(min_value=0, max_value=23),
    st.sampled_from(["America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata"]),
)
def test_the_send_time_is_a_business_morning_at_least_the_window_away(now, minutes, hour, zone):
    tz = ZoneInfo(zone)
    delay = SendDelay(kind=DelayKind.NEXT_BUSINESS_MORNING, minutes=minutes, morning=time(hour))
    got = send_at(now=now, delay=delay, tz=tz)
    assert (got - now).total_seconds() >= minutes * 60
    local = got.astimezone(tz)
    assert local.weekday() < 5
    # The morning itself, or a later wall time only when the hour fell in a DST gap.
    assert local.hour == hour or (local.hour == hour + 1 and local.minute == 0)
    assert (got - now).days <= 5 + minutes // 1440


def test_a_naive_now_is_refused():
    with pytest.raises(ValueError, match="aware"):
        send_at(now=datetime(2026, 3, 6, 15, 0), delay=MORNING, tz=NEW_YORK)


def test_a_calendar_without_business_days_is_refused():
    with pytest.raises(ValueError, match="No business morning"):
        send_at(
            now=datetime(2026, 3, 6, 15, 0, tzinfo=UTC),
            delay=MORNING,
            tz=NEW_YORK,
            weekend=frozenset(range(7)),
        )
