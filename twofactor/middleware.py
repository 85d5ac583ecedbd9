from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from accounts.roles import requires_second_factor


def second_factor_exempt(view):
    """Mark a view an account still waiting for its second sign-in step may open (the
    enrolment and code pages themselves, signing out)."""
    view.second_factor_exempt = True
    return view


class SecondFactorMiddleware:
    """The one gate for staff: an admin, superuser or staff account whose session has not
    passed the authenticator-app step reaches nothing but that step.

    Deny by default rather than a list of admin-only pages: an admin sees every candidate of
    every team, so to an admin every page is privileged, and a page added tomorrow is covered
    without anyone remembering to. Recruiters and hiring managers pass straight through (their
    roles are already cached by UserTimezoneMiddleware, so this costs them no query).

    Must come after django-otp's OTPMiddleware (``user.is_verified``) and after
    LoginRequiredMiddleware (anonymous visitors are sent to sign in first).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if (
            getattr(view_func, "second_factor_exempt", False)
            or not requires_second_factor(user)
            or user.is_verified()
        ):
            return None
        htmx = getattr(request, "htmx", None)
        if htmx:
            # A fragment request would swap the code page into part of the old page.
            back = htmx.current_url_abs_path or ""
        else:
            # After the code, a GET goes back where it was; a form posted from a page opened
            # before the session lost its verification is not replayed.
            back = request.get_full_path() if request.method in ("GET", "HEAD") else ""
        target = reverse("twofactor:verify")
        if back:
            target = f"{target}?{urlencode({'next': back})}"
        return HttpResponseClientRedirect(target) if htmx else redirect(target)
