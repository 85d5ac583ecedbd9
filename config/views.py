"""The error responses of every page: refusals (403, CSRF failures), missing pages (404) and
server errors (500).

A full page keeps the site's frame, so a refused action always has a way back. An HTMX request
gets a small notice instead: htmx does not swap an error response into the page, so a refusal
there would otherwise change nothing on screen. The notice is retargeted (``HX-Retarget``) to
the page's ``#toasts`` region, which ``static/js/toasts.js`` lets htmx fill.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import render
from django.template import loader
from django.views import defaults

#: Where an HTMX error notice goes (base.html holds the region).
TOAST_TARGET = "#toasts"

_NOTICES = {
    403: "You can't do this: {reason}",
    413: "That was too large to accept, so nothing was saved.",
    404: "This is no longer there, or no longer in your team's requisitions.",
    500: "Something went wrong on our side. Nothing was saved by this request.",
}


def _is_htmx(request) -> bool:
    # Set by django-htmx's middleware; a request that failed before it ran is a plain one.
    return bool(getattr(request, "htmx", False))


def _toast(status: int, message: str) -> HttpResponse:
    # Rendered without context processors: the 500 notice must not touch the database.
    html = loader.render_to_string("includes/error_toast.html", {"message": message})
    response = HttpResponse(html, status=status)
    response["HX-Retarget"] = TOAST_TARGET
    response["HX-Reswap"] = "beforeend"
    return response


def permission_denied(request, exception=None, template_name="403.html"):
    if _is_htmx(request):
        reason = str(exception or "") or "your role does not include it."
        return _toast(403, _NOTICES[403].format(reason=reason))
    return defaults.permission_denied(request, exception, template_name=template_name)


#: What Django refuses while reading a body, before any view sees it: the body was too large
#: or had too many fields or files. A person is told so, not "the request could not be read".
_TOO_LARGE = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)


def too_large(request, *, reason: str = "", back_url: str = "", back_label: str = ""):
    """The 413 answer of every page: the site's frame with a way back, or a notice for HTMX."""
    if _is_htmx(request):
        return _toast(413, reason or _NOTICES[413])
    context = {
        "reason": reason,
        "back_url": back_url,
        "back_label": back_label,
        "limit_mb": round(settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024), 1),
    }
    return render(request, "413.html", context, status=413)


def bad_request(request, exception=None, template_name="400.html"):
    if isinstance(exception, _TOO_LARGE):
        return too_large(request)
    return defaults.bad_request(request, exception, template_name=template_name)


def page_not_found(request, exception=None, template_name="404.html"):
    if _is_htmx(request):
        return _toast(404, _NOTICES[404])
    return defaults.page_not_found(request, exception, template_name=template_name)


def server_error(request, template_name="500.html"):
    if _is_htmx(request):
        return _toast(500, _NOTICES[500])
    return defaults.server_error(request, template_name=template_name)


def csrf_failure(request, reason=""):
    """``CSRF_FAILURE_VIEW``: an expired or foreign form (a page left open across a sign-in, a
    blocked cookie) is refused with the site's 403 page, not Django's bare one."""
    message = (
        "This form has expired, or your browser did not send its security cookie. "
        "Reload the page and try again."
    )
    if _is_htmx(request):
        return _toast(403, message)
    html = loader.render_to_string(
        "403.html", {"exception": message, "expired_form": True}, request=request
    )
    return HttpResponseForbidden(html)
