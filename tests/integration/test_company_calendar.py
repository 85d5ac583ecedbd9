"""The company calendar (closure days), regional holidays, and deadlines said the way people say
them: announcing, editing the calendar (waiting tests move, with history; others never), the
admin preview, and the pages."""

import datetime as dt
import html
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from audit.models import AuditAction, AuditEvent
from hiring.calendars import ClosureKind
from hiring.closures import (
    closure_delete,
    closure_save,
    closures_preview,
    company_calendar,
    company_calendar_with,
)
from hiring.models import Closure, SilenceTest, SilenceTestReschedule, SilenceTestState
from hiring.wording import window_end
from scoring.rules import business_hours_after
from scoring.scores import score_inputs_bulk
from silence.services import silence_test_announce, silence_tests_sweep
from tests.factories import (
    ApplicationFactory,
    RequisitionFactory,
    SilenceTestFactory,
    UserFactory,
)

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def _announce(app, at, now=None):
    return silence_test_announce(
        application=app,
        announced_by=app.requisition.hiring_manager,
        recorded_by=app.requisition.hiring_manager,
        announced_at=at,
        now=now or at,
    )


def _new_york_app():
    req = RequisitionFactory(time_zone="America/New_York", country="US", subdivision="NY")
    return ApplicationFactory(requisition=req, at_silence_test=True)


def _day_after_thanksgiving(**kwargs):
    return Closure(
        label="Day after Thanksgiving",
        kind=ClosureKind.NTH_WEEKDAY,
        month=11,
        weekday=3,
        nth=4,
        offset_days=1,
        **kwargs,
    )


# --- announcing with the company calendar and regional holidays ---------------------------------


def test_thanksgiving_week_with_the_day_after_closed_gets_wednesday_five_pm():
    _day_after_thanksgiving(country="US").save()
    app = _new_york_app()
    test = _announce(app, dt.datetime(2026, 11, 23, 10, 0, tzinfo=NEW_YORK))  # Monday
    # Friday 27 is closed, Thursday 26 is Thanksgiving: Wednesday (not "Friday 27 Nov 17:00").
    assert test.deadline_at == dt.datetime(2026, 11, 25, 17, 0, tzinfo=NEW_YORK)


def test_new_years_eve_closure_gives_a_berlin_requisition_wednesday_30_december():
    Closure(label="New Year's Eve", kind=ClosureKind.YEARLY, month=12, day=31).save()
    app = ApplicationFactory(requisition=RequisitionFactory(berlin=True), at_silence_test=True)
    test = _announce(app, dt.datetime(2026, 12, 28, 10, 0, tzinfo=BERLIN))  # Monday
    assert test.deadline_at == dt.datetime(2026, 12, 30, 17, 0, tzinfo=BERLIN)


def test_a_bavarian_requisitions_window_skips_epiphany():
    announced = dt.datetime(2025, 12, 31, 9, 0, tzinfo=BERLIN)  # deadline Friday 2 Jan 2026
    bavarian = RequisitionFactory(berlin=True, subdivision="BY")
    berlin = RequisitionFactory(berlin=True)
    by = _announce(ApplicationFactory(requisition=bavarian, at_silence_test=True), announced)
    be = _announce(ApplicationFactory(requisition=berlin, at_silence_test=True), announced)
    assert by.deadline_at == be.deadline_at == dt.datetime(2026, 1, 2, 17, 0, tzinfo=BERLIN)
    assert be.window_closes_at == dt.datetime(2026, 1, 8, 0, 0, tzinfo=BERLIN)
    # Tuesday 6 January is Epiphany in Bavaria: one business day later.
    assert by.window_closes_at == dt.datetime(2026, 1, 9, 0, 0, tzinfo=BERLIN)


def test_a_subdivision_must_be_one_the_holiday_calendar_knows_for_the_country():
    req = RequisitionFactory(berlin=True, subdivision="NY")
    with pytest.raises(ValidationError) as raised:
        req.full_clean()
    assert "subdivision" in raised.value.message_dict
    req.subdivision = "BY"
    req.full_clean()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": ClosureKind.DATES}, "start"),
        (
            {"kind": ClosureKind.DATES, "start": dt.date(2026, 1, 1), "end": dt.date(2026, 6, 1)},
            "end",
        ),
        ({"kind": ClosureKind.YEARLY, "month": 2, "day": 30}, "day"),
        ({"kind": ClosureKind.YEARLY, "month": 13, "day": 1}, "month"),
        ({"kind": ClosureKind.NTH_WEEKDAY, "month": 11, "weekday": 3, "nth": 0}, "nth"),
        ({"kind": ClosureKind.YEARLY, "month": 1, "day": 1, "country": "XX"}, "country"),
    ],
)
def test_a_closure_that_makes_no_sense_is_a_form_error(fields, field):
    with pytest.raises(ValidationError) as raised:
        closure_save(closure=Closure(label="x", **fields), now=dt.datetime.now(dt.UTC))
    assert field in raised.value.message_dict
    assert not Closure.objects.exists()


# --- editing the calendar moves waiting tests only ------------------------------------------------


def test_adding_a_closure_moves_waiting_tests_with_history_and_leaves_the_others_alone():
    admin = UserFactory(admin=True)
    monday = dt.datetime(2026, 11, 23, 10, 0, tzinfo=NEW_YORK)
    waiting = _announce(_new_york_app(), monday)
    # Announced the week before: deadline Friday 20 Nov, observing by Monday.
    observing = _announce(_new_york_app(), dt.datetime(2026, 11, 16, 10, 0, tzinfo=NEW_YORK))
    # Announced a fortnight before: closed by Monday.
    closed = _announce(_new_york_app(), dt.datetime(2026, 11, 9, 10, 0, tzinfo=NEW_YORK))
    silence_tests_sweep(now=monday)
    observing.refresh_from_db()
    closed.refresh_from_db()
    assert (observing.state, closed.state) == (SilenceTestState.OBSERVING, SilenceTestState.CLOSED)
    untouched = {
        t.pk: (t.deadline_at, t.window_closes_at, t.updated_at) for t in (observing, closed)
    }
    assert waiting.deadline_at == dt.datetime(2026, 11, 27, 17, 0, tzinfo=NEW_YORK)

    # A shutdown that would also move the older tests' deadlines (Fri 13 and Fri 20 November).
    moves = closure_save(
        closure=Closure(label="Shutdown", kind=ClosureKind.DATES, **_fortnight()),
        now=monday,
        actor=admin,
    )

    assert [m.test_id for m in moves] == [waiting.pk]
    waiting.refresh_from_db()
    # Every day back to Friday 13 is shut: the next week's Friday.
    assert waiting.deadline_at == dt.datetime(2026, 12, 4, 17, 0, tzinfo=NEW_YORK)
    assert waiting.state == SilenceTestState.WAITING
    for test in SilenceTest.objects.filter(pk__in=untouched):
        assert (test.deadline_at, test.window_closes_at, test.updated_at) == untouched[test.pk]
    [entry] = SilenceTestReschedule.objects.all()
    assert entry.test_id == waiting.pk
    assert entry.actor == admin
    assert entry.old_deadline_at == dt.datetime(2026, 11, 27, 17, 0, tzinfo=NEW_YORK)
    assert entry.new_deadline_at == waiting.deadline_at
    assert "Shutdown" in entry.reason
    [event] = AuditEvent.objects.filter(
        action=AuditAction.ADMIN_CHANGED, object_type="hiring.silencetest"
    )
    assert event.object_id == str(waiting.pk)
    assert event.details["by"] == "company_calendar"


def _fortnight():
    return {"start": dt.date(2026, 11, 13), "end": dt.date(2026, 11, 27)}


def test_a_waiting_test_whose_deadline_has_passed_never_moves():
    monday = dt.datetime(2026, 11, 23, 10, 0, tzinfo=NEW_YORK)
    test = _announce(_new_york_app(), monday)
    after_deadline = dt.datetime(2026, 11, 27, 18, 0, tzinfo=NEW_YORK)  # the sweeper is late
    moves = closure_save(closure=_day_after_thanksgiving(), now=after_deadline)
    assert moves == []
    test.refresh_from_db()
    assert test.deadline_at == dt.datetime(2026, 11, 27, 17, 0, tzinfo=NEW_YORK)
    assert not SilenceTestReschedule.objects.exists()


def test_a_move_to_a_deadline_already_passed_is_listed_but_not_made():
    monday = dt.datetime(2026, 11, 23, 10, 0, tzinfo=NEW_YORK)
    test = _announce(_new_york_app(), monday)
    thursday = dt.datetime(2026, 11, 26, 9, 0, tzinfo=NEW_YORK)  # Wednesday 17:00 is gone
    [move] = closure_save(closure=_day_after_thanksgiving(), now=thursday)
    assert move.test_id == test.pk
    assert not move.applies
    test.refresh_from_db()
    assert test.deadline_at == dt.datetime(2026, 11, 27, 17, 0, tzinfo=NEW_YORK)


def test_deleting_a_closure_moves_the_waiting_test_back_and_a_closure_elsewhere_moves_nothing():
    monday = dt.datetime(2026, 11, 23, 10, 0, tzinfo=NEW_YORK)
    closure = _day_after_thanksgiving()
    closure.save()
    test = _announce(_new_york_app(), monday)
    assert test.deadline_at == dt.datetime(2026, 11, 25, 17, 0, tzinfo=NEW_YORK)

    assert closure_save(closure=_day_after_thanksgiving(country="DE"), now=monday) == []
    closure_delete(closure=closure, now=monday)
    test.refresh_from_db()
    assert test.deadline_at == dt.datetime(2026, 11, 27, 17, 0, tzinfo=NEW_YORK)
    assert SilenceTestReschedule.objects.filter(test=test).count() == 1


def test_the_preview_lists_the_tests_that_would_move_and_writes_nothing():
    monday = dt.datetime(2026, 11, 23, 10, 0, tzinfo=NEW_YORK)
    test = _announce(_new_york_app(), monday)
    closure = _day_after_thanksgiving()
    [move] = closures_preview(
        before=company_calendar(), after=company_calendar_with(closure=closure), now=monday
    )
    assert (move.test_id, move.new_deadline_at) == (
        test.pk,
        dt.datetime(2026, 11, 25, 17, 0, tzinfo=NEW_YORK),
    )
    assert not Closure.objects.exists()
    test.refresh_from_db()
    assert test.deadline_at == dt.datetime(2026, 11, 27, 17, 0, tzinfo=NEW_YORK)


# --- the admin ------------------------------------------------------------------------------------


def _closure_post(**extra):
    return {
        "label": "Day after Thanksgiving",
        "kind": ClosureKind.NTH_WEEKDAY,
        "country": "US",
        "start": "",
        "end": "",
        "month": "11",
        "day": "",
        "weekday": "3",
        "nth": "4",
        "offset_days": "1",
        **extra,
    }


def test_an_admin_previews_without_an_error_banner_then_saves_and_the_waiting_test_moves(client):
    # A test announced just now, in a week whose Friday the closure shuts (a year ahead).
    app = _new_york_app()
    test = SilenceTest.objects.create(
        application=app,
        stage=app.stage,
        announced_at=dt.datetime(2027, 11, 22, 10, 0, tzinfo=NEW_YORK),
        time_zone="America/New_York",
        deadline_at=dt.datetime(2027, 11, 26, 17, 0, tzinfo=NEW_YORK),
        window_closes_at=dt.datetime(2027, 12, 2, 0, 0, tzinfo=NEW_YORK),
    )
    admin = UserFactory(admin=True)  # an admin, not a superuser
    client.force_login(admin)
    url = reverse("admin:hiring_closure_add")

    preview = client.post(url, _closure_post(_preview="1"))
    assert preview.status_code == 200
    page = html.unescape(preview.content.decode())
    # Information, not an error: no red banner, and the form is shown unsaved.
    assert not preview.context["adminform"].form.errors
    assert "Please correct the error" not in page
    assert "errornote" not in page
    assert "Preview only, nothing was saved: 1 waiting test(s) would move" in page
    assert f"{app.candidate.full_name} for {app.requisition.title} (application #{app.pk})" in page
    assert "deadline Friday 26 Nov, 5 pm → Wednesday 24 Nov, 5 pm" in page
    assert not Closure.objects.exists()

    saved = client.post(url, _closure_post())
    assert saved.status_code == 302
    test.refresh_from_db()
    assert test.deadline_at == dt.datetime(2027, 11, 24, 17, 0, tzinfo=NEW_YORK)
    assert SilenceTestReschedule.objects.get().actor == admin
    closure = Closure.objects.get()
    assert AuditEvent.objects.filter(
        action=AuditAction.ADMIN_CHANGED, object_type="hiring.closure", object_id=str(closure.pk)
    ).exists()

    # Its change page shows the test it moves (and would move back if deleted).
    change = client.get(reverse("admin:hiring_closure_change", args=[closure.pk]))
    assert f"(application #{app.pk})" in html.unescape(change.content.decode())

    client.post(reverse("admin:hiring_closure_delete", args=[closure.pk]), {"post": "yes"})
    test.refresh_from_db()
    assert test.deadline_at == dt.datetime(2027, 11, 26, 17, 0, tzinfo=NEW_YORK)
    assert SilenceTestReschedule.objects.count() == 2


def test_a_closure_inside_the_observation_window_previews_and_reports_the_window_move_only(client):
    monday = dt.datetime(2027, 12, 6, 10, 0, tzinfo=NEW_YORK)
    test = _announce(_new_york_app(), monday)
    app = test.application
    deadline, closes = test.deadline_at, test.window_closes_at
    # Sanity: the closure below is after the deadline and before the window closes.
    assert deadline < dt.datetime(2027, 12, 13, tzinfo=NEW_YORK) < closes
    client.force_login(UserFactory(admin=True))
    url = reverse("admin:hiring_closure_add")
    post = {
        **_closure_post(kind=ClosureKind.DATES, month="", weekday="", nth="", offset_days="0"),
        "label": "Office move",
        "start": "2027-12-13",
        "end": "2027-12-13",
    }

    preview = client.post(url, {**post, "_preview": "1"})

    assert preview.status_code == 200
    page = html.unescape(preview.content.decode())
    assert not Closure.objects.exists()
    assert "Preview only, nothing was saved: 1 waiting test(s) would move" in page
    old_close = window_end(closes, "America/New_York")
    moved = f"{app.candidate.full_name} for {app.requisition.title} (application #{app.pk})"
    [line] = [line for line in page.splitlines() if moved in line]
    assert f"window closes {old_close} → " in line
    assert "deadline" not in line  # the deadline the candidate was told does not move
    new_close = line.split(f"window closes {old_close} → ")[1].split(" (")[0]
    assert new_close != old_close

    saved = client.post(url, post, follow=True)

    test.refresh_from_db()
    assert test.deadline_at == deadline
    assert test.window_closes_at > closes
    assert window_end(test.window_closes_at, "America/New_York") == new_close
    said = [str(m) for m in saved.context["messages"]]
    assert "1 waiting silence test(s) moved." in said
    assert f"{moved}: window closes {old_close} → {new_close} (Eastern)" in said


def test_the_requisition_admin_offers_only_the_countrys_subdivisions(client):
    client.force_login(UserFactory(admin=True))
    req = RequisitionFactory(berlin=True)
    page = client.get(reverse("admin:hiring_requisition_change", args=[req.pk]))
    form = page.context["adminform"].form
    codes = {code for code, _label in form.fields["subdivision"].choices}
    assert {"BY", "BE"} <= codes
    assert "NY" not in codes


# --- said the way people say it -------------------------------------------------------------------


def test_the_application_page_says_the_window_end_and_previews_the_sentence(client):
    app = _new_york_app()
    client.force_login(app.requisition.hiring_manager)
    url = reverse("candidates:application_detail", args=[app.pk])
    page = html.unescape(client.get(url).content.decode())
    assert "Said now, the sentence is: <strong>“You'll hear from us by " in page
    assert ", 5 pm Eastern; if you haven't, reach out.”</strong>" in page

    SilenceTest.objects.create(
        application=app,
        stage=app.stage,
        announced_at=dt.datetime(2027, 12, 9, 10, 0, tzinfo=NEW_YORK),
        time_zone="America/New_York",
        deadline_at=dt.datetime(2027, 12, 10, 17, 0, tzinfo=NEW_YORK),
        window_closes_at=dt.datetime(2027, 12, 16, 0, 0, tzinfo=NEW_YORK),
    )
    page = html.unescape(client.get(url).content.decode())
    assert "end of Wednesday 15 Dec" in page


# --- latency ------------------------------------------------------------------------------------


def test_latency_skips_closure_days_and_regional_holidays_like_public_holidays():
    Closure(label="Bridge day", kind=ClosureKind.DATES, start=dt.date(2026, 11, 23)).save()
    req = RequisitionFactory(time_zone="America/New_York", country="US", subdivision="NY")
    friday = dt.datetime(2026, 11, 20, 17, 0, tzinfo=NEW_YORK)
    test = SilenceTestFactory(
        application__requisition=req,
        announced_at=friday - dt.timedelta(days=3),
        deadline_at=friday,
        window_closes_at=friday + dt.timedelta(days=6),
    )
    tuesday_noon = dt.datetime(2026, 11, 24, 12, 0, tzinfo=NEW_YORK)
    inputs, _current = score_inputs_bulk([test.application_id], now=tuesday_noon)
    signal = inputs[test.application_id].test
    assert dt.date(2026, 11, 23) in signal.holidays  # the closure
    assert dt.date(2026, 11, 26) in signal.holidays  # Thanksgiving
    # Friday 17:00 to Tuesday 12:00: Friday's last 7 hours and Tuesday's 12; Monday is closed.
    hours = business_hours_after(
        friday, tuesday_noon, tz=NEW_YORK, weekend=signal.weekend, holidays=signal.holidays
    )
    assert hours == pytest.approx(19)
