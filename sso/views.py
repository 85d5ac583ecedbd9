from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from sso.config import sso_enabled, sso_provider_name


class LoginView(auth_views.LoginView):
    """Django's sign-in page, with a "Sign in with …" button when single sign-on is set up."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sso_enabled"] = sso_enabled()
        context["sso_provider_name"] = sso_provider_name()
        return context


class CallbackView(OIDCAuthenticationCallbackView):
    def login_failure(self):
        # The backend says why when the provider vouched for someone Persist does not let
        # in; otherwise the provider refused, the person cancelled, or the state expired.
        reason = getattr(self.request, "login_failure_reason", "") or (
            "Single sign-on did not sign you in. Try again, or sign in with your password."
        )
        messages.error(self.request, reason)
        return super().login_failure()


class AuthenticateView(OIDCAuthenticationRequestView):
    def get(self, request):
        if not sso_enabled():
            messages.error(request, "Single sign-on is not set up on this Persist.")
            return redirect("login")
        return super().get(request)


# Reached before anyone has signed in.
authenticate = login_not_required(AuthenticateView.as_view())
callback = login_not_required(CallbackView.as_view())
login = LoginView.as_view()
