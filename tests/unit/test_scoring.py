"""Pure tests of the persistence score (docs/design.md, "Persistence score").

No database, no clock: every instant is built here. One block per rule (the component function,
then the rule through ``score_application``), then hypothesis properties, then a scenario from
the hiring practice with the order a seasoned sales hiring manager would choose.
"""

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from followups import rules as contact_rules
from scoring.rules import (
    CHANNELS,
    IMPATIENCE_LOOKBACK,
    ContactSignal,
    PromiseSignal,
    ScoreLine,
    ScoreResult,
    TestSignal,
    Weights,
    adds_value_lines,
    base_lines,
    business_hours_after,
    cadence_extras,
    cadence_lines,
    cap_lines,
    channel_group,
    channel_lines,
    chasing_contacts,
    contamination_lines,
    format_points,
    human_contacts,
    impatience_lines,
    inappropriate_lines,
    is_persistence_contact,
    just_checking_in_lines,
    latency_lines,
    latency_points,
    multi_channel_lines,
    no_follow_up_lines,
    opt_out_lines,
    persistence_contacts,
    promise_lines,
    pushy_lines,
    responsiveness_lines,
    score_application,
    withdrawal_contacts,
)

NY = ZoneInfo("America/New_York")
MINUS = "\N{MINUS SIGN}"
LQ, RQ = "\N{LEFT DOUBLE QUOTATION MARK}", "\N{RIGHT DOUBLE QUOTATION MARK}"
W = Weights()

#: Friday 6 February 2026, 17:00 in New York; the window closes at the end of Wednesday (the
#: 3rd business day after the deadline); the manager reads the digest on Thursday morning.
DEADLINE = datetime(2026, 2, 6, 17, 0, tzinfo=NY)
CLOSE = datetime(2026, 2, 12, 0, 0, tzinfo=NY)
AFTER = datetime(2026, 2, 12, 9, 0, tzinfo=NY)


def ny(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=NY)


def make_test(state: str = "closed", contaminated: bool = False, **kw) -> TestSignal:
    kw.setdefault("time_zone", NY)
    return TestSignal(
        deadline_at=kw.pop("deadline_at", DEADLINE.astimezone(UTC)),
        window_closes_at=kw.pop("window_closes_at", CLOSE.astimezone(UTC)),
        state=state,
        contaminated=contaminated,
        **kw,
    )


CLOSED = make_test()


def contact(
    at: datetime,
    channel: str = "email",
    *,
    direction: str = "inbound",
    prompted: bool = False,
    automated: bool = False,
    tags=(),
    summary: str = "",
) -> ContactSignal:
    return ContactSignal(
        occurred_at=at,
        channel=channel,
        direction=direction,
        is_prompted=prompted,
        is_automated=automated,
        tags=frozenset(tags),
        summary=summary,
    )


def score(contacts=(), promises=(), *, test=CLOSED, weights: Weights = W, now=AFTER) -> ScoreResult:
    result = score_application(
        test=test, contacts=list(contacts), promises=list(promises), weights=weights, now=now
    )
    assert_consistent(result)
    return result


def assert_consistent(result: ScoreResult) -> None:
    assert 0 <= result.score <= 100
    assert sum(line.points for line in result.lines) == result.score
    assert result.outcome in {"reached_out", "silent", "early_only", "withdrew", "pending"}
    for line in result.lines:
        assert line.text.endswith(f" ({format_points(line.points)})"), line
        assert "(-" not in line.text, "a real minus sign, not a hyphen"


def rules(result: ScoreResult) -> list[str]:
    return [line.rule for line in result.lines]


def line_of(result: ScoreResult, rule: str) -> ScoreLine:
    (found,) = [line for line in result.lines if line.rule == rule]
    return found


SATURDAY_EMAIL = contact(ny(2, 7, 10, 30), tags={"professional"})


# --------------------------------------------------------------------------------------------
# Formatting and weights
# --------------------------------------------------------------------------------------------


def test_format_points_uses_a_real_minus_sign():
    assert format_points(5) == "+5"
    assert format_points(-5) == f"{MINUS}5"
    assert format_points(0) == "0"


def test_default_weights_are_valid():
    assert Weights().validate() == []


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"pushy_penalty": -1}, "cannot be negative"),
        ({"adds_value_points": 101}, "cannot exceed 100"),
        ({"adds_value_points": 2.5}, "whole number"),
        ({"adds_value_points": True}, "whole number"),
        ({"latency_full_hours": -1}, "cannot be negative"),
        ({"latency_zero_hours": float("nan")}, "finite"),
        ({"latency_zero_hours": "72"}, "number of hours"),
        ({"latency_zero_hours": 24}, "greater than latency full hours"),
        ({"cadence_max_per_24h": 0}, "at least 1"),
        ({"cadence_max_in_window": 1}, "could never apply"),
        ({"base_reached_out": 0}, "at least 1 point"),
    ],
)
def test_weights_validation_explains_problems(change, fragment):
    problems = replace(W, **change).validate()
    assert problems
    assert any(fragment in p for p in problems), problems


def test_invalid_weights_are_refused():
    with pytest.raises(ValueError, match="Invalid weights"):
        score(weights=replace(W, latency_zero_hours=1))


@pytest.mark.parametrize("value", [1, [40], float("nan")])
def test_invalid_weights_are_refused_every_time_even_unhashable_ones(value):
    # Validation is cached per distinct weights; a cached verdict must not let a bad value in.
    for _ in range(2):
        with pytest.raises(ValueError, match="Invalid weights"):
            score(weights=replace(W, latency_zero_hours=value))


def test_naive_datetimes_and_broken_inputs_are_refused():
    with pytest.raises(ValueError, match="aware"):
        score(now=datetime(2026, 2, 12, 9, 0))
    with pytest.raises(ValueError, match="aware"):
        score([contact(datetime(2026, 2, 9, 9, 0))])
    with pytest.raises(ValueError, match="channel"):
        score([contact(ny(2, 9), "pigeon")])
    with pytest.raises(ValueError, match="direction"):
        score([contact(ny(2, 9), direction="sideways")])
    with pytest.raises(ValueError, match="promise status"):
        score([SATURDAY_EMAIL], [PromiseSignal("maybe", "x", ny(2, 9))])
    with pytest.raises(ValueError, match="before the deadline"):
        score(test=make_test(window_closes_at=DEADLINE - timedelta(hours=1)))


# --------------------------------------------------------------------------------------------
# Business time
# --------------------------------------------------------------------------------------------


def test_business_hours_skip_the_weekend():
    # Friday 17:00 -> Monday 09:00: 7 h on Friday + 9 h on Monday.
    assert business_hours_after(DEADLINE, ny(2, 9, 9)) == pytest.approx(16)
    assert business_hours_after(DEADLINE, ny(2, 7, 10)) == pytest.approx(7)
    assert business_hours_after(ny(2, 10, 9), ny(2, 10, 12)) == pytest.approx(3)


def test_business_hours_are_zero_when_the_end_is_not_later():
    assert business_hours_after(DEADLINE, DEADLINE) == 0.0
    assert business_hours_after(DEADLINE, DEADLINE - timedelta(hours=5)) == 0.0


def test_business_hours_skip_holidays():
    holiday_monday = frozenset({date(2026, 2, 9)})
    assert business_hours_after(
        DEADLINE, ny(2, 10, 9), tz=NY, holidays=holiday_monday
    ) == pytest.approx(16)


def test_business_hours_follow_the_given_zone():
    start = datetime(2026, 2, 7, 3, 0, tzinfo=UTC)  # Friday 22:00 in New York, Saturday in UTC
    end = start + timedelta(hours=2)
    assert business_hours_after(start, end, tz=NY) == pytest.approx(2)
    assert business_hours_after(start, end, tz=UTC) == 0.0
    assert business_hours_after(start, end) == 0.0  # defaults to the start's zone


def test_business_hours_are_real_hours_across_dst():
    # 8 March 2026 is 23 h long in New York (clocks spring forward).
    hours = business_hours_after(ny(3, 8, 0), ny(3, 9, 0), tz=NY, weekend=frozenset())
    assert hours == pytest.approx(23)


def test_business_hours_refuse_naive_datetimes():
    with pytest.raises(ValueError, match="aware"):
        business_hours_after(datetime(2026, 2, 6, 17), AFTER)


# --------------------------------------------------------------------------------------------
# Which contacts count
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("c", "now", "expected"),
    [
        # "If you haven't heard by 17:00, reach out": 17:00:00 itself is a follow-up.
        (contact(DEADLINE), AFTER, True),
        (contact(DEADLINE - timedelta(microseconds=1)), AFTER, False),
        (contact(DEADLINE + timedelta(seconds=1)), AFTER, True),
        (contact(CLOSE), AFTER, True),
        (contact(CLOSE + timedelta(seconds=1)), AFTER, False),
        (contact(ny(2, 9), direction="outbound"), AFTER, False),
        (contact(ny(2, 9), prompted=True), AFTER, False),
        (contact(ny(2, 9), automated=True), AFTER, False),
        (contact(ny(2, 9), tags={"opt_out"}), AFTER, False),
        (contact(ny(2, 9), tags={"pushy", "inappropriate"}), AFTER, True),
        (contact(ny(2, 9, 12)), ny(2, 9, 11), False),  # has not happened yet
        (contact(ny(2, 9, 12)), ny(2, 9, 12), True),
    ],
)
def test_is_persistence_contact(c, now, expected):
    assert is_persistence_contact(c, CLOSED, now) is expected


def test_follow_up_rule_includes_the_deadline_instant_and_not_a_microsecond_before():
    def at(occurred_at):
        return contact_rules.is_follow_up(
            direction="inbound",
            is_prompted=False,
            is_automated=False,
            tags=set(),
            occurred_at=occurred_at,
            deadline_at=DEADLINE,
            window_closes_at=CLOSE,
        )

    assert at(DEADLINE)
    assert not at(DEADLINE - timedelta(microseconds=1))


def test_contact_at_the_deadline_instant_scores_as_a_prompt_follow_up_not_impatience():
    result = score([contact(DEADLINE)])
    rules = {line.rule: line.points for line in result.lines}
    assert result.outcome == "reached_out"
    assert result.first_follow_up_at == DEADLINE
    assert rules["base"] == W.base_reached_out
    assert rules["latency"] == W.latency_max_points
    assert "impatience" not in rules


def test_no_test_means_no_persistence_contact():
    assert not is_persistence_contact(contact(ny(2, 9)), None, AFTER)
    assert persistence_contacts([contact(ny(2, 9))], test=None, now=AFTER) == ()


def test_persistence_contacts_are_sorted():
    late, early = contact(ny(2, 10)), contact(ny(2, 9))
    assert persistence_contacts([late, early], test=CLOSED, now=AFTER) == (early, late)


def test_human_contacts_drop_automated_future_and_after_window():
    keep = contact(ny(2, 3), direction="outbound")
    dropped = [
        contact(ny(2, 9), automated=True),
        contact(CLOSE + timedelta(minutes=1)),
    ]
    assert human_contacts([*dropped, keep], test=CLOSED, now=AFTER) == (keep,)
    assert human_contacts([contact(ny(2, 9))], test=CLOSED, now=ny(2, 8)) == ()
    assert len(human_contacts([contact(ny(3, 9))], test=None, now=ny(3, 10))) == 1


@pytest.mark.parametrize(
    ("c", "counted"),
    [
        (contact(DEADLINE - IMPATIENCE_LOOKBACK), True),
        (contact(DEADLINE - IMPATIENCE_LOOKBACK - timedelta(seconds=1)), False),
        (contact(DEADLINE - timedelta(seconds=1)), True),
        (contact(DEADLINE), False),
        (contact(ny(2, 5), prompted=True), False),
        (contact(ny(2, 5), automated=True), False),
        (contact(ny(2, 5), direction="outbound"), False),
        (contact(ny(2, 5), tags={"opt_out"}), False),
    ],
)
def test_chasing_contacts(c, counted):
    assert chasing_contacts([c], test=CLOSED, now=AFTER) == ((c,) if counted else ())


# --------------------------------------------------------------------------------------------
# Rules, one by one
# --------------------------------------------------------------------------------------------


def test_base_once_whatever_the_number_of_follow_ups():
    assert base_lines([], W) == []
    (line,) = base_lines([contact(ny(2, 9)), contact(ny(2, 10))], W)
    assert line == ScoreLine("base", "Reached out unprompted after the deadline (+50)", 50)


@pytest.mark.parametrize(
    ("hours", "points"),
    [(0, 15), (24, 15), (24.01, 15), (48, 8), (60, 4), (71.9, 0), (72, 0), (500, 0)],
)
def test_latency_points_taper_linearly(hours, points):
    assert latency_points(hours, W) == points


def test_latency_points_follow_the_weights():
    weights = replace(W, latency_full_hours=0, latency_zero_hours=10, latency_max_points=20)
    assert latency_points(5, weights) == 10


def test_latency_counts_business_time_in_the_requisition_zone():
    # Called Monday 9:00 after a Friday 17:00 deadline: 64 h on the clock, 16 h of business days.
    (line,) = latency_lines([contact(ny(2, 9, 9), "phone")], CLOSED, W)
    assert line.points == 15
    assert line.text == (
        "First follow-up 64 h after the deadline, 16 h counting business days only (+15)"
    )
    (line,) = latency_lines([contact(ny(2, 10, 17))], CLOSED, W)  # Tuesday 17:00: 48 h
    assert line.points == 8
    assert line.text == (
        "First follow-up 96 h after the deadline, 48 h counting business days only (+8)"
    )
    (line,) = latency_lines([contact(ny(2, 11, 17))], CLOSED, W)  # Wednesday 17:00: 72 h
    assert line.points == 0


def test_latency_on_a_business_day_has_one_duration():
    test = make_test(deadline_at=ny(2, 2, 17), window_closes_at=ny(2, 6, 0))  # a Monday
    (line,) = latency_lines([contact(ny(2, 3, 12))], test, W)
    assert line.text == "First follow-up 19 h after the deadline (+15)"
    (line,) = latency_lines([contact(ny(2, 2, 17, 25))], test, W)
    assert line.text == "First follow-up 25 min after the deadline (+15)"


def test_latency_skips_the_requisition_holidays():
    monday = frozenset({date(2026, 2, 9)})
    tuesday_9am = [contact(ny(2, 10, 9))]
    assert latency_lines(tuesday_9am, make_test(holidays=monday), W)[0].points == 15
    assert latency_lines(tuesday_9am, CLOSED, W)[0].points == 10  # 40 business hours


@pytest.mark.parametrize(
    ("channel", "group", "text"),
    [
        ("phone", "call", "Phone call (+10)"),
        ("voicemail", "call", "Left a voicemail (+10)"),
        ("in_person", "in person", "Came in person (+10)"),
        ("email", "written", "Email (+4)"),
        ("sms", "written", "Text message (+4)"),
        ("linkedin", "written", "LinkedIn message (+4)"),
        ("other", "other", "Other channel (0)"),
    ],
)
def test_channel_of_the_first_follow_up(channel, group, text):
    assert channel_group(channel) == group
    (line,) = channel_lines([contact(ny(2, 9), channel), contact(ny(2, 10), "email")], W)
    assert line.text == text
    assert line.rule == "channel"


def test_channel_covers_every_channel():
    assert {channel_group(c) for c in CHANNELS} == {"call", "written", "in person", "other"}
    assert channel_lines([], W) == []


@pytest.mark.parametrize(
    ("channels", "text"),
    [
        (["email"], None),
        (["email", "linkedin", "sms"], None),  # all written: one group
        (["phone", "voicemail"], None),
        (["email", "phone"], "Used 2 channels (call, written) (+5)"),
        (["in_person", "sms", "voicemail"], "Used 3 channels (call, in person, written) (+5)"),
    ],
)
def test_multi_channel_bonus(channels, text):
    follow_ups = [contact(ny(2, 9, h), ch) for h, ch in enumerate(channels, start=9)]
    lines = multi_channel_lines(follow_ups, W)
    assert [line.text for line in lines] == ([text] if text else [])


def test_adds_value_once_with_the_summary():
    plan = contact(ny(2, 9), tags={"adds_value"}, summary="Sent a 30-60-90 day plan")
    again = contact(ny(2, 10), tags={"adds_value"}, summary="References")
    (line,) = adds_value_lines([plan, again], W)
    assert line.text == f"Added value: {LQ}Sent a 30-60-90 day plan{RQ} (+10)"
    assert adds_value_lines([contact(ny(2, 9))], W) == []
    (line,) = adds_value_lines([contact(ny(2, 9), tags={"adds_value"}, summary="x" * 200)], W)
    assert len(line.text) < 90
    assert "\N{HORIZONTAL ELLIPSIS}" in line.text


def test_just_checking_in_is_neutral():
    follow_ups = [contact(ny(2, 9, h), tags={"just_checking_in"}) for h in (9, 10)]
    assert just_checking_in_lines(follow_ups) == [
        ScoreLine("just_checking_in", "Just checking in 2\N{MULTIPLICATION SIGN} — neutral (0)", 0)
    ]
    assert just_checking_in_lines([contact(ny(2, 9))]) == []


def test_pushy_once_on_any_human_inbound_contact():
    pushy = [contact(ny(2, 9), tags={"pushy"}), contact(ny(2, 10), prompted=True, tags={"pushy"})]
    assert pushy_lines(pushy, W) == [
        ScoreLine("pushy", f"Tagged pushy on 2 contacts ({MINUS}15)", -15)
    ]
    assert pushy_lines([contact(ny(2, 9), direction="outbound", tags={"pushy"})], W) == []
    assert pushy_lines(pushy[:1], W)[0].text == f"Tagged pushy ({MINUS}15)"


@pytest.mark.parametrize(
    ("offsets_hours", "n", "m", "expected"),
    [
        ([], 2, 4, (0, 0, 0)),
        ([0, 0.5], 2, 4, (0, 2, 2)),
        ([0, 0.5, 1], 2, 4, (1, 3, 3)),
        ([0, 24, 48], 1, 4, (0, 1, 3)),  # exactly 24 h apart is not within 24 h
        ([0, 23.9, 47.8], 1, 4, (2, 2, 3)),
        ([0, 25, 50, 75, 100], 2, 4, (1, 1, 5)),  # one a day, but a fifth in the window
        ([0, 0.2, 0.4, 0.6, 0.8], 2, 4, (3, 5, 5)),  # the fifth breaks both limits: once
    ],
)
def test_cadence_extras(offsets_hours, n, m, expected):
    times = [DEADLINE + timedelta(hours=1 + h) for h in offsets_hours]
    assert cadence_extras(times, max_per_24h=n, max_in_window=m) == expected


def test_cadence_lines_explain_and_cap():
    five_in_an_hour = [contact(ny(2, 7, 11, 12 * i)) for i in range(5)]
    (line,) = cadence_lines(five_in_an_hour, W)
    assert line == ScoreLine(
        "cadence", f"5 follow-ups within 24 h and 5 in the window — pushy cadence ({MINUS}15)", -15
    )
    ten = [contact(ny(2, 7, 11, 5 * i)) for i in range(10)]
    assert cadence_lines(ten, W)[0].points == -20
    assert "capped" in cadence_lines(ten, W)[0].text
    daily = [contact(ny(2, d, 10)) for d in (7, 8, 9, 10, 11)]
    assert (
        cadence_lines(daily, W)[0].text == f"5 follow-ups in the window — pushy cadence ({MINUS}5)"
    )
    assert cadence_lines(daily[:4], W) == []


def test_impatience_per_contact_capped():
    assert impatience_lines([], W) == []
    (line,) = impatience_lines([contact(ny(2, 5))], W)
    assert line == ScoreLine(
        "impatience", f"Chased 1\N{MULTIPLICATION SIGN} before the deadline ({MINUS}5)", -5
    )
    (line,) = impatience_lines([contact(ny(2, d)) for d in (3, 4, 5)], W)
    assert line.points == -10
    assert "capped" in line.text


def test_promises_kept_and_broken_only():
    promises = [
        PromiseSignal("broken", "Send references by Tuesday", ny(2, 10)),
        PromiseSignal("kept", "I'll call Monday", ny(2, 9)),
        PromiseSignal("open", "Will send the plan", ny(2, 20)),
        PromiseSignal("cancelled", "Coffee", ny(2, 8)),
    ]
    assert promise_lines(promises, W) == [
        ScoreLine(
            "promise_kept",
            f"Kept a promise: {LQ}I'll call Monday{RQ} (+8)",
            8,
        ),
        ScoreLine(
            "promise_broken",
            f"Broke a promise: {LQ}Send references by Tuesday{RQ} ({MINUS}10)",
            -10,
        ),
    ]


def test_responsiveness_once_for_prompted_replies():
    replies = [contact(ny(2, 3), prompted=True), contact(ny(2, 9), prompted=True)]
    assert responsiveness_lines(replies, W) == [
        ScoreLine("responsiveness", "Replied when the team reached out (+3)", 3)
    ]
    assert responsiveness_lines([contact(ny(2, 9))], W) == []
    assert responsiveness_lines([contact(ny(2, 9), prompted=True, direction="outbound")], W) == []
    assert responsiveness_lines([contact(ny(2, 9), prompted=True, tags={"opt_out"})], W) == []


def test_opt_out_is_explained_with_zero_points():
    (line,) = opt_out_lines([contact(ny(2, 9), tags={"opt_out"})])
    assert line.points == 0
    assert line.rule == "opt_out"
    assert opt_out_lines([contact(ny(2, 9))]) == []


def test_inappropriate_takes_away_the_subtotal():
    rude = [contact(ny(2, 9), prompted=True, tags={"inappropriate"})]
    (line,) = inappropriate_lines(rude, 72)
    assert line == ScoreLine(
        "inappropriate", f"Inappropriate contact — test zeroed ({MINUS}72)", -72
    )
    assert inappropriate_lines([contact(ny(2, 9))], 72) == []


def test_contamination_is_a_zero_point_note():
    assert contamination_lines(None) == []
    assert contamination_lines(CLOSED) == []
    (line,) = contamination_lines(make_test(contaminated=True))
    assert (line.rule, line.points) == ("contaminated", 0)


def test_cap_lines():
    assert cap_lines(120) == [ScoreLine("cap", f"Capped at 100 ({MINUS}20)", -20)]
    assert cap_lines(-5) == [ScoreLine("cap", "Floored at 0 (+5)", 5)]
    assert cap_lines(0) == cap_lines(100) == cap_lines(50) == []


def test_no_follow_up_lines_give_the_verdict_and_the_context():
    chased_and_replied = [contact(ny(2, 5)), contact(ny(2, 9), prompted=True)]
    lines = no_follow_up_lines(chased_and_replied, CLOSED, AFTER)
    # Closed with chasing before the deadline only: not "silent" but early contact.
    assert [line.rule for line in lines] == ["early_only", "impatience", "responsiveness"]
    assert [line.rule for line in no_follow_up_lines(chased_and_replied[1:], CLOSED, AFTER)] == [
        "silent",
        "responsiveness",
    ]
    assert all(line.points == 0 for line in lines)
    assert no_follow_up_lines([], make_test("observing"), AFTER)[0].rule == "pending"
    assert (
        no_follow_up_lines([], None, AFTER)[0].text == "No silence test yet — nothing to score (0)"
    )


# --------------------------------------------------------------------------------------------
# Rules through score_application
# --------------------------------------------------------------------------------------------


def test_one_polite_email_saturday():
    result = score([SATURDAY_EMAIL])
    assert (result.score, result.outcome, result.comparable) == (69, "reached_out", True)
    assert rules(result) == ["base", "latency", "channel"]
    assert result.first_follow_up_at == SATURDAY_EMAIL.occurred_at


def test_silent_scores_zero_whatever_else_happened():
    result = score(
        [
            contact(ny(2, 5), tags={"adds_value"}),  # chased before the deadline
            contact(ny(2, 9), "phone", prompted=True),  # answered the recruiter
            contact(ny(2, 9), automated=True),  # out of office
            contact(ny(2, 8), direction="outbound"),
        ],
        [PromiseSignal("kept", "I'll call Monday", ny(2, 9))],
    )
    # It chased before the deadline: 0, but "contacted before the deadline only", not silent.
    assert (result.score, result.outcome, result.first_follow_up_at) == (0, "early_only", None)
    assert rules(result) == ["early_only", "impatience", "responsiveness"]


def test_every_component_together():
    result = score(
        [
            contact(ny(2, 4)),  # chasing
            contact(ny(2, 7, 9), "phone", tags={"adds_value"}, summary="Shared a plan"),
            contact(ny(2, 9, 10), "email", tags={"just_checking_in"}),
            contact(ny(2, 3), prompted=True),
        ],
        [PromiseSignal("kept", "Call Monday", ny(2, 9)), PromiseSignal("broken", "x", ny(2, 10))],
    )
    assert rules(result) == [
        "base",
        "latency",
        "channel",
        "multi_channel",
        "adds_value",
        "just_checking_in",
        "impatience",
        "promise_kept",
        "promise_broken",
        "responsiveness",
    ]
    assert result.score == 50 + 15 + 10 + 5 + 10 + 0 - 5 + 8 - 10 + 3


def test_pushy_and_cadence_through_the_score():
    result = score([contact(ny(2, 7, 10, i), tags={"pushy"}) for i in range(3)])
    assert line_of(result, "pushy").points == -15
    assert line_of(result, "cadence").points == -5
    assert result.score == 50 + 15 + 4 - 15 - 5


def test_inappropriate_zeroes_but_keeps_the_outcome():
    result = score([SATURDAY_EMAIL, contact(ny(2, 9), "phone", tags={"inappropriate"})])
    assert (result.score, result.outcome) == (0, "reached_out")
    assert result.lines[-1].rule == "inappropriate"
    assert result.lines[-1].points == -(50 + 15 + 4 + 5)  # email first, then a call
    assert result.first_follow_up_at == SATURDAY_EMAIL.occurred_at


def test_inappropriate_after_a_negative_total_floors_first():
    weights = replace(W, base_reached_out=1, latency_max_points=0, channel_written_points=0)
    result = score(
        [SATURDAY_EMAIL, contact(ny(2, 9), prompted=True, tags={"inappropriate", "pushy"})],
        weights=weights,
    )
    assert result.score == 0
    assert rules(result)[-2:] == ["cap", "inappropriate"]
    assert result.lines[-1].points == 0


def test_inappropriate_on_a_silent_candidate_is_explained():
    result = score([contact(ny(2, 9), prompted=True, tags={"inappropriate"})])
    assert (result.score, result.outcome) == (0, "silent")
    assert "inappropriate" in rules(result)


def test_opt_out_alone_is_a_withdrawal_not_silence():
    result = score([contact(ny(2, 9), tags={"opt_out"}, summary="Accepted another offer")])
    assert (result.score, result.outcome) == (0, "withdrew")
    assert rules(result) == ["withdrew"]
    assert "Withdrew politely (email" in line_of(result, "withdrew").text


def test_opt_out_after_a_follow_up_is_a_withdrawal_the_candidate_has_left():
    result = score([SATURDAY_EMAIL, contact(ny(2, 10), tags={"opt_out"})])
    assert (result.score, result.outcome, result.first_follow_up_at) == (0, "withdrew", None)
    assert rules(result) == ["withdrew"]


def test_withdrawn_stage_is_a_withdrawal_whatever_the_contacts():
    for test in (CLOSED, make_test("observing"), None):
        result = score_application(
            test=test,
            contacts=[SATURDAY_EMAIL],
            promises=[],
            weights=W,
            now=AFTER,
            in_withdrawn_stage=True,
        )
        assert (result.score, result.outcome) == (0, "withdrew")


def test_contact_before_the_deadline_only_is_early_only_with_the_contact_not_silent():
    # Called at 16:59 on Friday: 0 under the rule, but the manager sees the call.
    result = score([contact(DEADLINE - timedelta(minutes=1), "phone")])
    assert (result.score, result.outcome) == (0, "early_only")
    assert rules(result) == ["early_only", "impatience"]
    assert "(last: phone call Fri" in line_of(result, "impatience").text
    assert "silent" not in rules(result)
    # While the test runs it is pending: a follow-up may still come.
    running = score([contact(DEADLINE - timedelta(minutes=1))], test=make_test("observing"))
    assert running.outcome == "pending"


def test_capped_at_100():
    weights = replace(W, base_reached_out=100)
    result = score([SATURDAY_EMAIL], weights=weights)
    assert result.score == 100
    assert result.lines[-1] == ScoreLine("cap", f"Capped at 100 ({MINUS}19)", -19)


def test_floored_at_0():
    weights = replace(W, base_reached_out=1, latency_max_points=0, channel_written_points=0)
    broken = [PromiseSignal("broken", "Call Monday", ny(2, 9))]
    result = score([SATURDAY_EMAIL], broken, weights=weights)
    assert (result.score, result.outcome) == (0, "reached_out")
    assert result.lines[-1] == ScoreLine("cap", "Floored at 0 (+9)", 9)


def test_contaminated_is_scored_but_not_comparable():
    clean = score([SATURDAY_EMAIL])
    dirty = score([SATURDAY_EMAIL], test=make_test(contaminated=True))
    assert dirty.comparable is False
    assert clean.comparable is True
    assert dirty.score == clean.score
    assert line_of(dirty, "contaminated").points == 0


@pytest.mark.parametrize("state", ["waiting", "observing", "cancelled"])
def test_running_test_is_pending(state):
    nothing = score(test=make_test(state), now=ny(2, 7, 8))
    assert (nothing.score, nothing.outcome) == (0, "pending")
    assert rules(nothing) == ["pending"]
    so_far = score([SATURDAY_EMAIL], test=make_test(state), now=ny(2, 7, 12))
    assert (so_far.score, so_far.outcome) == (69, "pending")
    assert rules(so_far)[0] == "pending"


def test_no_test_yet_is_pending_and_zero():
    result = score([contact(ny(2, 9))], test=None)
    assert (result.score, result.outcome, result.comparable) == (0, "pending", True)


def test_contacts_after_now_do_not_count_yet():
    result = score([contact(ny(2, 9, 9), "phone")], test=make_test("observing"), now=ny(2, 9, 8))
    assert (result.score, result.first_follow_up_at) == (0, None)
    result = score([contact(ny(2, 9, 9), "phone")], test=make_test("observing"), now=ny(2, 9, 9))
    assert result.score == 75


def test_follow_up_after_the_window_does_not_count():
    assert score([contact(CLOSE + timedelta(hours=9), "phone")]).outcome == "silent"


def test_order_of_the_inputs_does_not_matter():
    contacts = [
        contact(ny(2, 9), "phone", tags={"adds_value"}, summary="b"),
        contact(ny(2, 9), "email", summary="a"),
        contact(ny(2, 9), "email", summary="a", tags={"pushy"}),
        contact(ny(2, 5)),
    ]
    promises = [PromiseSignal("kept", "b", ny(2, 9)), PromiseSignal("kept", "a", ny(2, 9))]
    expected = score(contacts, promises)
    assert score(contacts[::-1], promises[::-1]) == expected
    assert expected.lines[2].text == "Email (+4)"  # ties at the same instant: by channel


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

TAGS = [
    "adds_value",
    "just_checking_in",
    "professional",
    "pushy",
    "inappropriate",
    "opt_out",
    "promise_made",
]
CLEAN_TAGS = ["adds_value", "just_checking_in", "professional", "promise_made"]
DEADLINE_U = DEADLINE.astimezone(UTC)
CLOSE_U = CLOSE.astimezone(UTC)
WINDOW_MINUTES = int((CLOSE_U - DEADLINE_U).total_seconds() // 60)

instants = st.one_of(
    st.integers(min_value=-10 * 24 * 60, max_value=WINDOW_MINUTES + 3 * 24 * 60).map(
        lambda m: DEADLINE_U + timedelta(minutes=m)
    ),
    st.sampled_from(
        [DEADLINE_U, CLOSE_U, DEADLINE_U - IMPATIENCE_LOOKBACK, DEADLINE_U + timedelta(seconds=1)]
    ),
)
in_window = st.integers(min_value=1, max_value=WINDOW_MINUTES).map(
    lambda m: DEADLINE_U + timedelta(minutes=m)
)


BOOLEANS = st.booleans()


def contacts_strategy(*, automated=BOOLEANS, prompted=BOOLEANS, tags=TAGS, at=instants):
    return st.builds(
        ContactSignal,
        occurred_at=at,
        channel=st.sampled_from(sorted(CHANNELS)),
        direction=st.sampled_from(["inbound", "outbound"]),
        is_prompted=prompted,
        is_automated=automated,
        tags=st.frozensets(st.sampled_from(tags), max_size=3),
        summary=st.sampled_from(["", "plan", "hello"]),
    )


#: Mostly anything, plus human unprompted inbound contacts inside the window (follow-ups), so
#: the reached-out paths (cadence, caps, zeroing) are exercised as often as the silent ones.
contact_lists = st.lists(
    st.one_of(
        contacts_strategy(),
        contacts_strategy(automated=st.just(False), prompted=st.just(False), at=in_window).map(
            lambda c: replace(c, direction="inbound")
        ),
    ),
    max_size=8,
)
promise_lists = st.lists(
    st.builds(
        PromiseSignal,
        status=st.sampled_from(["open", "kept", "broken", "cancelled"]),
        description=st.sampled_from(["I'll call Monday", "References", "Plan"]),
        due_at=instants,
    ),
    max_size=3,
)


def weights_from_seed(seed: int) -> Weights:
    """Random valid weights from one drawn integer (cheap to generate, still varied)."""
    rng = random.Random(seed)

    def points() -> int:
        return rng.randint(0, 40)

    per_24h = rng.randint(1, 4)
    full = rng.choice([0, 8, 24, rng.uniform(0, 48)])
    weights = Weights(
        base_reached_out=rng.randint(1, 80),
        latency_full_hours=full,
        latency_max_points=points(),
        latency_zero_hours=full + rng.choice([0.5, 24, rng.uniform(0.5, 96)]),
        channel_call_points=points(),
        channel_written_points=points(),
        channel_in_person_points=points(),
        multi_channel_bonus=points(),
        adds_value_points=points(),
        pushy_penalty=points(),
        cadence_max_per_24h=per_24h,
        cadence_max_in_window=rng.randint(per_24h, 8),
        cadence_penalty_per_extra=points(),
        cadence_penalty_cap=points(),
        impatience_penalty=points(),
        impatience_penalty_cap=points(),
        promise_kept_points=points(),
        promise_broken_penalty=points(),
        responsiveness_points=points(),
    )
    assert weights.validate() == []
    return weights


weights_strategy = st.one_of(st.just(W), st.integers(0, 2**32).map(weights_from_seed))
tests_strategy = st.builds(
    make_test,
    state=st.sampled_from(["waiting", "observing", "closed", "cancelled"]),
    contaminated=st.booleans(),
)
nows = st.one_of(st.just(AFTER.astimezone(UTC)), instants)
closed_tests = st.builds(make_test, state=st.just("closed"), contaminated=st.booleans())


def is_follow_up(c: ContactSignal, test: TestSignal) -> bool:
    """The test's own reading of docs/design.md: unprompted human inbound contact after the
    deadline (the instant included), inside the window (now is after the window in these
    properties)."""
    return (
        c.direction == "inbound"
        and not c.is_prompted
        and not c.is_automated
        and test.deadline_at <= c.occurred_at <= test.window_closes_at
    )


PROPERTY = settings(max_examples=200, deadline=None)


@PROPERTY
@given(
    contacts=contact_lists,
    promises=promise_lists,
    weights=weights_strategy,
    test=st.one_of(st.none(), tests_strategy),
    now=nows,
    data=st.data(),
)
def test_property_general_invariants(contacts, promises, weights, test, now, data):
    """0 <= score <= 100 and the lines add up (checked by ``score``); the same inputs, in any
    order, give the same output; contamination only makes the score not comparable; what has
    not happened yet does not count; a test that is not closed is pending."""
    result = score(contacts, promises, test=test, weights=weights, now=now)
    assert score(contacts, promises, test=test, weights=weights, now=now) == result
    shuffled = data.draw(st.permutations(contacts))
    reordered = data.draw(st.permutations(promises))
    assert score(shuffled, reordered, test=test, weights=weights, now=now) == result

    if test is None or test.state != "closed":
        # Not closed: pending, unless the candidate has withdrawn already (a fact, at once).
        assert result.outcome in ("pending", "withdrew")
    if result.outcome == "withdrew":
        assert result.score == 0
    if result.outcome == "reached_out":
        assert result.first_follow_up_at is not None

    past = [c for c in contacts if c.occurred_at <= now]
    assert score(past, promises, test=test, weights=weights, now=now) == result

    if test is not None:
        dirty = score(contacts, promises, test=replace(test, contaminated=True), weights=weights,
                      now=now)  # fmt: skip
        clean = score(contacts, promises, test=replace(test, contaminated=False), weights=weights,
                      now=now)  # fmt: skip
        assert dirty.comparable is False
        assert clean.comparable is True
        assert (dirty.score, dirty.outcome) == (clean.score, clean.outcome)
        assert result.comparable is not test.contaminated
    else:
        assert result.comparable is True


@PROPERTY
@given(contacts=contact_lists, promises=promise_lists, weights=weights_strategy, test=closed_tests)
def test_property_silent_unless_a_follow_up(contacts, promises, weights, test):
    # No unprompted post-deadline contact: 0 and not reached out, whatever else happened:
    # withdrew with an opt-out in scope, early only with an unprompted contact in the week
    # before the deadline, else silent.
    def withdrawal(c):
        return (
            c.direction == "inbound"
            and not c.is_automated
            and "opt_out" in c.tags
            and test.deadline_at - IMPATIENCE_LOOKBACK <= c.occurred_at <= test.window_closes_at
        )

    without = [c for c in contacts if not is_follow_up(c, test)]
    early = any(
        c.direction == "inbound"
        and not c.is_automated
        and not c.is_prompted
        and "opt_out" not in c.tags
        and test.deadline_at - IMPATIENCE_LOOKBACK <= c.occurred_at < test.deadline_at
        for c in without
    )
    expected = "withdrew" if any(map(withdrawal, without)) else "early_only" if early else "silent"
    silent = score(without, promises, test=test, weights=weights)
    assert (silent.score, silent.outcome, silent.first_follow_up_at) == (0, expected, None)
    assert all(line.points == 0 for line in silent.lines)
    # And any (that is not a polite withdrawal) means reached out, with the base.
    follow_ups = [c for c in contacts if is_follow_up(c, test) and "opt_out" not in c.tags]
    result = score(contacts, promises, test=test, weights=weights)
    if any(map(withdrawal, contacts)):
        assert (result.score, result.outcome) == (0, "withdrew")
    elif follow_ups:
        assert result.outcome == "reached_out"
        assert result.first_follow_up_at == min(c.occurred_at for c in follow_ups)
        assert "base" in rules(result)
    else:
        assert result.outcome == expected
        assert result.score == 0


@PROPERTY
@given(
    contacts=contact_lists,
    promises=promise_lists,
    weights=weights_strategy,
    test=closed_tests,
    at=in_window,
    channel=st.sampled_from(sorted(CHANNELS)),
)
def test_property_adding_a_professional_follow_up_never_lowers(
    contacts, promises, weights, test, at, channel
):
    professional = contact(at, channel, tags={"professional"})
    before = [c for c in contacts if not is_follow_up(c, test)]
    without = score(before, promises, test=test, weights=weights)
    with_it = score([*before, professional], promises, test=test, weights=weights)
    assert with_it.score >= without.score
    assert with_it.score >= score([], promises, test=test, weights=weights).score
    # An opt-out in the test's scope wins over any follow-up (issue #23): the candidate withdrew.
    withdrew = withdrawal_contacts(before, test=test, now=datetime.max.replace(tzinfo=UTC))
    assert with_it.outcome == ("withdrew" if withdrew else "reached_out")
    if not withdrew:
        assert with_it.first_follow_up_at == at
    # For any base set: never below what it was without any contact.
    assert score([*contacts, professional], promises, test=test, weights=weights).score >= (
        score([], promises, test=test, weights=weights).score
    )
    # With the default weights and nothing against the candidate but some chasing, the base
    # shows: at least the base minus the capped impatience.
    clean = all(not ({"pushy", "inappropriate"} & c.tags) for c in before) and all(
        p.status != "broken" for p in promises
    )
    if clean and not withdrew and weights == W:
        assert with_it.score >= W.base_reached_out - W.impatience_penalty_cap


@PROPERTY
@given(
    contacts=contact_lists,
    automated=st.lists(contacts_strategy(automated=st.just(True)), min_size=1, max_size=5),
    promises=promise_lists,
    weights=weights_strategy,
    test=st.one_of(st.none(), tests_strategy),
    now=nows,
)
def test_property_automated_contacts_never_change_the_result(
    contacts, automated, promises, weights, test, now
):
    plain = score(contacts, promises, test=test, weights=weights, now=now)
    assert score([*automated, *contacts], promises, test=test, weights=weights, now=now) == plain


@PROPERTY
@given(
    contacts=contact_lists,
    replies=st.lists(
        contacts_strategy(automated=st.just(False), prompted=st.just(True), tags=CLEAN_TAGS),
        min_size=1,
        max_size=4,
    ),
    promises=promise_lists,
    weights=weights_strategy,
    test=closed_tests,
)
def test_property_prompted_replies_never_create_the_base(
    contacts, replies, promises, weights, test
):
    before = score(contacts, promises, test=test, weights=weights)
    after = score([*contacts, *replies], promises, test=test, weights=weights)
    assert ("base" in rules(after)) == ("base" in rules(before))
    assert after.outcome == before.outcome
    if before.outcome == "silent":
        assert after.score == 0
    assert 0 <= after.score - before.score <= weights.responsiveness_points


# --------------------------------------------------------------------------------------------
# Scenario: one requisition, one Friday 17:00 deadline, the stories a sales manager knows
# --------------------------------------------------------------------------------------------


def test_scenario_the_order_a_seasoned_sales_hiring_manager_would_choose():
    """Ranking: score, highest first; ties by interview scorecard average (docs/design.md,
    "Ranking"), then by name so the order is total. A contaminated test is ranked at its score
    but marked not comparable; the assertions about the order of candidates use the comparable
    ones."""
    manager_call = contact(ny(2, 7, 12), "phone", direction="outbound")
    recruiter_email = contact(ny(2, 9, 10), direction="outbound")
    stories = {
        # (a) calls Monday 9 am with a 30-60-90 plan
        "a": (
            False,
            4.0,
            [contact(ny(2, 9, 9), "phone", tags={"adds_value"}, summary="30-60-90 plan")],
        ),
        # (b) one polite email on Saturday
        "b": (False, 4.5, [contact(ny(2, 7, 10, 30), tags={"professional"})]),
        # (c) five "just checking in" emails within an hour
        "c": (
            False,
            4.8,
            [contact(ny(2, 7, 11, 12 * i), tags={"just_checking_in"}) for i in range(5)],
        ),
        # (d) silent
        "d": (False, 4.9, []),
        # (e) only an out-of-office auto-reply
        "e": (False, 4.7, [contact(ny(2, 7, 9), automated=True, summary="Out of office")]),
        # (f) emailed Thursday before the deadline and never again
        "f": (False, 4.6, [contact(ny(2, 5, 14), summary="Any news?")]),
        # (g) replied only when the recruiter wrote
        "g": (False, 4.4, [recruiter_email, contact(ny(2, 9, 11), prompted=True)]),
        # (h) the manager called during the test; the candidate called back on Monday
        "h": (True, 4.2, [manager_call, contact(ny(2, 9, 9, 30), "phone")]),
        # (i) called Monday but was rude to the receptionist
        "i": (False, 3.9, [contact(ny(2, 9, 10), "phone", tags={"inappropriate"})]),
    }
    results = {
        name: score(contacts, test=make_test(contaminated=contaminated))
        for name, (contaminated, _, contacts) in stories.items()
    }
    scorecards = {name: scorecard for name, (_, scorecard, _) in stories.items()}

    def ranked(names):
        return sorted(names, key=lambda n: (-results[n].score, -scorecards[n], n))

    comparable = ranked(n for n in results if results[n].comparable)
    assert comparable[:3] == ["a", "b", "c"]
    assert results["a"].score > results["b"].score > results["c"].score > 0
    assert comparable[3:] == ["d", "e", "f", "g", "i"]  # all 0: by scorecard average
    for name in "deg":
        assert (results[name].score, results[name].outcome) == (0, "silent"), name
    assert (results["f"].score, results["f"].outcome) == (0, "early_only")
    assert (results["i"].score, results["i"].outcome) == (0, "reached_out")

    assert results["h"].comparable is False
    assert results["h"].score > 0
    assert ranked(results) == ["a", "h", "b", "c", "d", "e", "f", "g", "i"]

    assert [line.text for line in results["a"].lines] == [
        "Reached out unprompted after the deadline (+50)",
        "First follow-up 64 h after the deadline, 16 h counting business days only (+15)",
        "Phone call (+10)",
        f"Added value: {LQ}30-60-90 plan{RQ} (+10)",
    ]
    assert line_of(results["c"], "cadence").points < 0
    assert rules(results["f"]) == ["early_only", "impatience"]
    assert rules(results["g"]) == ["silent", "responsiveness"]
    assert rules(results["e"]) == ["silent"]
