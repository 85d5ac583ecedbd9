"""The error responses of every page: refusals (403, CSRF failures), missing pages (404) and
server errors (500).

A full page keeps the site's frame, so a refused action always has a way back. An HTMX request
gets a small notice instead: htmx does not swap an error response into the page, so a refusal
there would otherwise change nothing on screen. The notice is retargeted (``HX-Retarget``) to
the page's ``#toasts`` region, which ``static/js/toasts.js`` lets htmx fill.
"""

from django.http import HttpResponse, HttpResponseForbidden
from django.template import loader
from django.views import defaults

#: Where an HTMX error notice goes (base.html holds the region).
TOAST_TARGET = "#toasts"

_NOTICES = {
    403: "You can't do this: {reason}",
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
