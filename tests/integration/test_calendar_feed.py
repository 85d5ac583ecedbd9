"""The .ics feed of upcoming silence-test deadlines: content, tokens, access and query count."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from dashboards.calendar_feed import (
    calendar_feed_ics,
    calendar_token_active,
    calendar_token_issue,
    calendar_token_revoke,
)
from hiring.models import CalendarFeedToken, SilenceTestState, UserProfile
from tests.factories import RequisitionFactory, SilenceTestFactory, UserFactory

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def team():
    manager = UserFactory(hiring_manager=True)
    other_manager = UserFactory(hiring_manager=True)
    recruiter = UserFactory(recruiter=True)
    UserProfile.objects.create(user=manager, time_zone="Europe/Berlin")
    return {
        "manager": manager,
        "other_manager": other_manager,
        "recruiter": recruiter,
        "req": RequisitionFactory(hiring_manager=manager, recruiters=[recruiter]),
        "other_req": RequisitionFactory(hiring_manager=other_manager),
    }


def make_test(requisition, now, *, deadline, close, **kwargs):
    kwargs.setdefault("announced_at", now - dt.timedelta(days=7))
    return SilenceTestFactory(
        application__requisition=requisition,
        deadline_at=deadline,
        window_closes_at=close,
        **kwargs,
    )


def events(ics: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(ics)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_feed_lists_visible_upcoming_deadlines_and_window_closes(team, now):
    deadline = (now + dt.timedelta(days=2)).astimezone(BERLIN).replace(hour=17, minute=0, second=0)
    waiting = make_test(team["req"], now, deadline=deadline, close=deadline + dt.timedelta(days=3))
    observing = make_test(
        team["req"],
        now,
        deadline=now - dt.timedelta(days=1),
        close=now + dt.timedelta(days=2),
        state=SilenceTestState.OBSERVING,
        observing_since=now - dt.timedelta(days=1),
    )
    # Not in the feed: another team's, closed, cancelled, beyond the horizon.
    make_test(team["other_req"], now, deadline=deadline, close=deadline + dt.timedelta(days=3))
    make_test(
        team["req"],
        now,
        deadline=now - dt.timedelta(days=5),
        close=now + dt.timedelta(days=1),
        state=SilenceTestState.CLOSED,
        outcome="silent",
        closed_at=now,
    )
    make_test(
        team["req"],
        now,
        deadline=deadline,
        close=deadline + dt.timedelta(days=3),
        state=SilenceTestState.CANCELLED,
        cancelled_at=now,
    )
    make_test(
        team["req"],
        now,
        deadline=now + dt.timedelta(days=61),
        close=now + dt.timedelta(days=64),
    )

    ics = calendar_feed_ics(user=team["manager"], now=now)
    calendar = Calendar.from_ical(ics)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"])
    assert str(calendar["X-WR-CALNAME"]) == "Persist deadlines"
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Berlin"

    found = events(ics)
    assert set(found) == {
        f"silence-{waiting.pk}-deadline@persist",
        f"silence-{waiting.pk}-window-close@persist",
        f"silence-{observing.pk}-window-close@persist",
    }
    event = found[f"silence-{waiting.pk}-deadline@persist"]
    start = event.decoded("DTSTART")
    assert start.tzinfo is not None
    assert start == deadline
    assert start.astimezone(BERLIN).hour == 17
    assert event.decoded("DURATION") == dt.timedelta(minutes=30)
    application = waiting.application
    assert str(event["SUMMARY"]) == (
        f"Silence-test deadline: {application.candidate} ({application.requisition})"
    )
    url = settings.SITE_URL + reverse("candidates:application_detail", args=[application.pk])
    assert "Don't chase: let them reach out." in str(event["DESCRIPTION"])
    assert url in str(event["DESCRIPTION"])
    assert "(Europe/Berlin)" in str(event["DESCRIPTION"])
    close = found[f"silence-{waiting.pk}-window-close@persist"].decoded("DTSTART")
    assert close == waiting.window_closes_at

    # The recruiter on the requisition sees the same tests; the other manager only theirs.
    assert set(events(calendar_feed_ics(user=team["recruiter"], now=now))) == set(found)
    assert all(
        f"silence-{waiting.pk}-" not in uid
        for uid in events(calendar_feed_ics(user=team["other_manager"], now=now))
    )


def test_user_without_profile_gets_utc_zone(team, now):
    calendar = Calendar.from_ical(calendar_feed_ics(user=team["recruiter"], now=now))
    assert str(calendar["X-WR-TIMEZONE"]) == "UTC"
    assert calendar.walk("VEVENT") == []


def test_issue_rotates_and_revoke_kills_the_token(team, now):
    user = team["manager"]
    first = calendar_token_issue(user=user, now=now)
    assert len(first.token) >= 40
    second = calendar_token_issue(user=user, now=now)
    first.refresh_from_db()
    assert first.revoked_at == now
    assert calendar_token_active(user=user) == second
    assert calendar_token_revoke(user=user, now=now) == 1
    assert calendar_token_active(user=user) is None
    assert calendar_token_revoke(user=user, now=now) == 0


def test_database_allows_one_active_token_per_user(team):
    CalendarFeedToken.objects.create(user=team["manager"], token="a" * 43)
    with pytest.raises(IntegrityError), transaction.atomic():
        CalendarFeedToken.objects.create(user=team["manager"], token="b" * 43)


def test_feed_is_public_with_an_active_token(client, team, now):
    test = make_test(
        team["req"], now, deadline=now + dt.timedelta(days=1), close=now + dt.timedelta(days=4)
    )
    token = calendar_token_issue(user=team["manager"], now=now)
    response = client.get(reverse("hiring:calendar_feed", args=[token.token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert f"silence-{test.pk}-deadline@persist" in events(response.content)


def test_unknown_revoked_and_rotated_tokens_are_404(client, team, now):
    user = team["manager"]
    assert client.get(reverse("hiring:calendar_feed", args=["nope"])).status_code == 404
    old = calendar_token_issue(user=user, now=now)
    new = calendar_token_issue(user=user, now=now)
    assert client.get(reverse("hiring:calendar_feed", args=[old.token])).status_code == 404
    assert client.get(reverse("hiring:calendar_feed", args=[new.token])).status_code == 200
    calendar_token_revoke(user=user, now=now)
    assert client.get(reverse("hiring:calendar_feed", args=[new.token])).status_code == 404


def test_inactive_users_feed_is_404(client, team, now):
    token = calendar_token_issue(user=team["manager"], now=now)
    team["manager"].is_active = False
    team["manager"].save(update_fields=["is_active"])
    assert client.get(reverse("hiring:calendar_feed", args=[token.token])).status_code == 404


def test_settings_page_needs_login(client):
    response = client.get(reverse("hiring:calendar_settings"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_settings_page_creates_rotates_and_revokes(client, team):
    user = team["manager"]
    client.force_login(user)
    url = reverse("hiring:calendar_settings")
    page = client.get(url)
    assert page.status_code == 200
    assert "Create link" in page.content.decode()

    client.post(url, {"action": "create"})
    first = calendar_token_active(user=user)
    feed_url = settings.SITE_URL + reverse("hiring:calendar_feed", args=[first.token])
    page = client.get(url).content.decode()
    assert feed_url in page
    assert "New link (revokes the old one)" in page

    client.post(url, {"action": "rotate"})
    second = calendar_token_active(user=user)
    assert second.token != first.token
    assert client.get(reverse("hiring:calendar_feed", args=[first.token])).status_code == 404

    client.post(url, {"action": "revoke"})
    assert calendar_token_active(user=user) is None
    assert "Create link" in client.get(url).content.decode()


def test_profile_links_to_calendar(client, team):
    client.force_login(team["manager"])
    page = client.get(reverse("hiring:profile")).content.decode()
    assert reverse("hiring:calendar_settings") in page


@pytest.mark.parametrize("count", [3, 30])
def test_feed_query_count_is_constant(client, team, now, count, django_assert_max_num_queries):
    for i in range(count):
        make_test(
            team["req"],
            now,
            deadline=now + dt.timedelta(days=1, hours=i),
            close=now + dt.timedelta(days=4, hours=i),
        )
    token = calendar_token_issue(user=team["manager"], now=now)
    with django_assert_max_num_queries(4):
        response = client.get(reverse("hiring:calendar_feed", args=[token.token]))
    assert len(events(response.content)) == 2 * count
