"""The second sign-in step: enrolment (QR code + confirmation), the code page after the password,
and managing recovery codes. Views parse, call twofactor.services, render."""

import math
from base64 import b32encode

import django_otp
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.roles import requires_second_factor
from twofactor import services
from twofactor.forms import CodeForm
from twofactor.middleware import second_factor_exempt
from twofactor.qr import qr_data_uri


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("hiring:home")


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def _wait(until) -> str:
    seconds = max(1, math.ceil((until - timezone.now()).total_seconds()))
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def _refusal(check, wrong: str) -> tuple[int, str]:
    """Status and message for a refused code: 429 while earlier wrong codes are being waited
    out (this one was not even compared), else 422 with how long the next try must wait."""
    if check.locked_until:
        return 429, (
            f"Too many wrong codes: this one was not checked. Wait {_wait(check.locked_until)} "
            "and try again (each wrong code doubles the wait)."
        )
    if check.retry_at:
        return 422, f"{wrong} You can try again in {_wait(check.retry_at)}."
    return 422, wrong


def _verified_login(request, device) -> None:
    django_otp.login(request, device)
    # The session just gained admin powers: a new key, so a session id planted or seen
    # before this point is worthless.
    request.session.cycle_key()


def _recovery_codes_page(request, codes, *, next_url: str, first_time: bool):
    # Shown once: the views are never_cache (no-store), so no browser or proxy keeps a copy.
    return render(
        request,
        "twofactor/recovery_codes.html",
        {
            "codes": codes,
            "codes_text": "\n".join(codes) + "\n",
            "next_url": next_url,
            "first_time": first_time,
        },
    )


@second_factor_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def setup(request):
    """Enrol an authenticator app: QR code and key, then one code from the app confirms it."""
    user = request.user
    next_url = _next_url(request)
    if not requires_second_factor(user):
        return redirect(next_url)
    if services.has_confirmed_totp(user=user):
        # Replacing an enrolled app needs a verified session (see replace_authenticator), never
        # just a password: otherwise a stolen password could enrol the thief's phone.
        return redirect(_with_next("twofactor:verify", next_url))
    device = services.totp_enrolment_start(user=user)
    form = CodeForm(request.POST or None, label="6-digit code from the app", numeric=True)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            check = services.totp_enrolment_confirm(user=user, token=form.cleaned_data["code"])
            if check.ok:
                _verified_login(request, check.device)
                return _recovery_codes_page(
                    request, check.recovery_codes, next_url=next_url, first_time=True
                )
            status, message = _refusal(
                check,
                "That code did not match. Check the phone's clock is set automatically and "
                "type the code the app shows now.",
            )
            form.add_error("code", message)
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return render(
        request,
        "twofactor/setup.html",
        {
            "form": form,
            "qr_code": qr_data_uri(device.config_url),
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
            "next_url": next_url,
        },
        status=status,
    )


@second_factor_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def verify(request):
    """After the password: a code from the authenticator app, or a recovery code."""
    user = request.user
    next_url = _next_url(request)
    if not requires_second_factor(user) or user.is_verified():
        return redirect(next_url)
    if not services.has_confirmed_totp(user=user):
        return redirect(_with_next("twofactor:setup", next_url))
    form = CodeForm(request.POST or None, label="Code")
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            check = services.second_factor_verify(user=user, token=form.cleaned_data["code"])
            if check.ok:
                _verified_login(request, check.device)
                if check.kind == services.RECOVERY:
                    left = check.recovery_codes_left
                    messages.warning(
                        request,
                        f"You signed in with a recovery code; {left} left. Each works once: "
                        "generate new ones in your settings if you are running low.",
                    )
                return redirect(next_url)
            status, message = _refusal(check, "That code did not match.")
            form.add_error("code", message)
    return render(
        request, "twofactor/verify.html", {"form": form, "next_url": next_url}, status=status
    )


@never_cache
@require_POST
def recovery_codes_new(request):
    """Replace the recovery codes (the old ones stop working) and show the new ones once."""
    if not requires_second_factor(request.user):
        raise Http404
    codes = services.recovery_codes_generate(user=request.user)
    return _recovery_codes_page(
        request, codes, next_url=reverse("hiring:profile"), first_time=False
    )


@require_POST
def replace_authenticator(request):
    """A new phone: drop the current app and recovery codes and enrol again. The session is
    verified (the middleware saw to that), so this is the account's owner, not just someone
    who knows the password."""
    if not requires_second_factor(request.user):
        raise Http404
    services.second_factor_reset(user=request.user)
    messages.info(request, "Scan the new code with the authenticator app on your new phone.")
    return redirect(_with_next("twofactor:setup", reverse("hiring:profile")))
