from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from dashboards.calendar_feed import (
    calendar_feed_ics,
    calendar_feed_url,
    calendar_feed_user,
    calendar_token_active,
    calendar_token_issue,
    calendar_token_revoke,
)


def _webcal(url: str) -> str:
    """The same URL with the scheme calendar apps open as a subscription."""
    return "webcal://" + url.split("://", 1)[1]


@require_http_methods(["GET", "POST"])
def calendar_settings(request):
    if request.method == "POST":
        action = request.POST.get("action")
        now = timezone.now()
        if action in ("create", "rotate"):
            calendar_token_issue(user=request.user, now=now)
            if action == "rotate":
                messages.success(request, "New calendar link created; the old one stopped working.")
            else:
                messages.success(request, "Calendar link created.")
        elif action == "revoke":
            if calendar_token_revoke(user=request.user, now=now):
                messages.success(request, "Calendar link revoked; it no longer works.")
        else:
            messages.error(request, "Unknown action.")
        return redirect("hiring:calendar_settings")
    token = calendar_token_active(user=request.user)
    feed_url = calendar_feed_url(token) if token else None
    return render(
        request,
        "hiring/calendar.html",
        {
            "token": token,
            "feed_url": feed_url,
            "webcal_url": _webcal(feed_url) if feed_url else None,
        },
    )


@login_not_required
@require_GET
def calendar_feed(request, token: str):
    user = calendar_feed_user(token=token)
    if user is None:
        raise Http404("No such calendar feed.")
    response = HttpResponse(
        calendar_feed_ics(user=user, now=timezone.now()),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'inline; filename="persist-deadlines.ics"'
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
