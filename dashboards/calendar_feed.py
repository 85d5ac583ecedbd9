"""A per-user .ics feed of upcoming silence-test deadlines and window closes.

The feed URL carries a secret token (no login: calendar apps cannot sign in). A user has at most
one active token; issuing a new one revokes the old, so a leaked URL can be killed.
"""

import datetime as dt
import secrets
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from icalendar import Calendar, Event

from hiring.models import (
    OPEN_SILENCE_STATES,
    CalendarFeedToken,
    Requisition,
    SilenceTest,
    UserProfile,
)

#: How far ahead the feed looks.
FEED_HORIZON = dt.timedelta(days=60)
#: Length of each calendar entry: a reminder, not a meeting.
EVENT_DURATION = dt.timedelta(minutes=30)
CALENDAR_NAME = "Persist deadlines"
PRODID = "-//Persist//Silence-test deadlines//EN"


def calendar_token_active(*, user) -> CalendarFeedToken | None:
    return CalendarFeedToken.objects.filter(user=user, revoked_at__isnull=True).first()


def calendar_token_issue(*, user, now: dt.datetime) -> CalendarFeedToken:
    """Revoke the user's active token, if any, and issue a new one."""
    with transaction.atomic():
        # Lock the user's row so that concurrent issues queue rather than hit the constraint.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        CalendarFeedToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
        return CalendarFeedToken.objects.create(user=user, token=secrets.token_urlsafe(32))


def calendar_token_revoke(*, user, now: dt.datetime) -> int:
    """Revoke the user's active token; returns how many were revoked (0 or 1)."""
    return CalendarFeedToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=now
    )


def calendar_feed_user(*, token: str):
    """The active user a feed token belongs to, or None for unknown or revoked tokens."""
    found = (
        CalendarFeedToken.objects.select_related("user")
        .filter(token=token, revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    return found.user if found else None


def calendar_feed_url(token: CalendarFeedToken) -> str:
    return settings.SITE_URL + reverse("hiring:calendar_feed", args=[token.token])


def _user_zone(user) -> str:
    zone = UserProfile.objects.filter(user=user).values_list("time_zone", flat=True).first()
    return zone or "UTC"


def _upcoming_tests(*, user, now: dt.datetime, until: dt.datetime):
    return (
        SilenceTest.objects.filter(
            application__requisition__in=Requisition.objects.visible_to(user),
            state__in=OPEN_SILENCE_STATES,
        )
        # Either instant falls in the horizon; each is checked again when building events.
        .filter(
            Q(deadline_at__gte=now, deadline_at__lte=until)
            | Q(window_closes_at__gte=now, window_closes_at__lte=until)
        )
        .select_related("application__candidate", "application__requisition")
        .order_by("deadline_at", "id")
    )


def _event(*, uid, start, summary, description, url, now) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now.astimezone(dt.UTC))
    event.add("dtstart", start.astimezone(dt.UTC))
    event.add("duration", EVENT_DURATION)
    event.add("summary", summary)
    event.add("description", description)
    event.add("url", url)
    event.add("transp", "TRANSPARENT")
    return event


def calendar_feed_ics(*, user, now: dt.datetime) -> bytes:
    """The user's feed: one event per upcoming deadline and one per upcoming window close."""
    zone_name = _user_zone(user)
    zone = ZoneInfo(zone_name)
    until = now + FEED_HORIZON

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", CALENDAR_NAME)
    calendar.add("x-wr-timezone", zone_name)

    for test in _upcoming_tests(user=user, now=now, until=until):
        application = test.application
        who = f"{application.candidate} ({application.requisition})"
        url = settings.SITE_URL + reverse("candidates:application_detail", args=[application.pk])
        if now <= test.deadline_at <= until:
            local = test.deadline_at.astimezone(zone)
            calendar.add_component(
                _event(
                    uid=f"silence-{test.pk}-deadline@persist",
                    start=test.deadline_at,
                    summary=f"Silence-test deadline: {who}",
                    description=(
                        f"Deadline {local:%a %d %b %Y %H:%M} ({zone_name}).\n"
                        "Don't chase: let them reach out.\n"
                        f"{url}"
                    ),
                    url=url,
                    now=now,
                )
            )
        if now <= test.window_closes_at <= until:
            local = test.window_closes_at.astimezone(zone)
            calendar.add_component(
                _event(
                    uid=f"silence-{test.pk}-window-close@persist",
                    start=test.window_closes_at,
                    summary=f"Silence-test window closes: {who}",
                    description=(
                        f"Window closes {local:%a %d %b %Y %H:%M} ({zone_name}).\n"
                        "Don't chase: let them reach out. After this, silence is the answer.\n"
                        f"{url}"
                    ),
                    url=url,
                    now=now,
                )
            )
    return calendar.to_ical()
