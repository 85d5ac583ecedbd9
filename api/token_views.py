"""The settings page's "API tokens" section: create (the secret shown once) and revoke.

These are pages, behind the session and, for admins, the second sign-in step: a token can only
be made from a verified session, though it then acts as the user without one (docs/api.md).
"""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from api.models import ApiToken
from api.services import TokenLimitReached, api_token_create, api_token_revoke


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="Token name", help_text="What it is for.")


def profile_section(request) -> dict:
    """Registered with ``hiring.views.profile_section_register``."""
    return {
        "template": "api/_profile.html",
        "tokens": list(ApiToken.objects.filter(user=request.user, revoked_at__isnull=True)),
        "form": TokenForm(),
    }


@require_POST
def token_create(request):
    form = TokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the token a name.")
        return redirect("hiring:profile")
    try:
        token, secret = api_token_create(user=request.user, name=form.cleaned_data["name"])
    except TokenLimitReached as exc:
        messages.error(request, str(exc))
        return redirect("hiring:profile")
    # Rendered, not redirected: the secret must not pass through the session or a message.
    response = render(request, "api/token_created.html", {"token": token, "secret": secret})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def token_revoke(request, pk: int):
    # Only your own tokens: someone else's is a 404, like any object you cannot see.
    token = get_object_or_404(ApiToken.objects.filter(user=request.user), pk=pk)
    api_token_revoke(token=token, actor=request.user)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("hiring:profile")
