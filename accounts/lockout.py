"""The page a locked-out sign-in gets (django-axes ``AXES_LOCKOUT_CALLABLE``)."""

from datetime import datetime, timedelta

from axes.helpers import get_cool_off
from django.conf import settings
from django.shortcuts import render
from django.utils import timezone


def _next_whole_minute(moment: datetime) -> datetime:
    # The page shows hours and minutes: rounding down would name a time that is still locked.
    floor = moment.replace(second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(minutes=1)


def lockout_response(request, original_response=None, credentials=None):
    # Every refused attempt during the lockout restarts the cool-off (axes'
    # AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT), so it ends one cool-off from now.
    cool_off = get_cool_off(request)
    minutes = int(cool_off.total_seconds() // 60)
    return render(
        request,
        "registration/lockout.html",
        {
            "cool_off_minutes": minutes,
            "retry_at": _next_whole_minute(timezone.now() + cool_off),
            "failure_limit": settings.AXES_FAILURE_LIMIT,
        },
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
