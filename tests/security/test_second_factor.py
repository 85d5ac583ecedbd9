"""Two-step sign-in for admins, superusers and staff (issue #13): enforcement at every door,
enrolment with a real authenticator code, one-time hashed recovery codes, throttled guesses,
resets. Codes are computed here from the key exactly as a phone's authenticator app does."""

import datetime as dt
import hashlib
import re
from base64 import b32decode

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditAction, AuditEvent
from tests.clients import Client, authenticator_for, totp_code
from tests.factories import ApplicationFactory, UserFactory
from twofactor.models import RECOVERY_CODE_COUNT, RecoveryCode

SECRET = re.compile(r'data-testid="totp-secret">([A-Z2-7 ]+)<')
RECOVERY = re.compile(r"<li><code>([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})</code></li>")
ADMIN_KINDS = {
    "admins group": {"admin": True},
    "superuser": {"is_superuser": True, "is_staff": True},
    "staff flag only": {"is_staff": True},
}


def _password_only(user) -> Client:
    client = Client()
    client.force_login(user, second_factor=False)
    return client


def _code_from_page(html: str, *, offset_steps: int = 0) -> str:
    """What an authenticator app shows after the user typed the key from the page."""
    key = b32decode(SECRET.search(html).group(1).replace(" ", ""))
    return f"{totp(key, drift=offset_steps):06d}"


def _enrol(client) -> list[str]:
    page = client.get(reverse("twofactor:setup"))
    response = client.post(reverse("twofactor:setup"), {"code": _code_from_page(page.text)})
    assert response.status_code == 200, response.status_code
    return RECOVERY.findall(response.text)


@pytest.fixture
def admin():
    return UserFactory(admin=True)


@pytest.mark.parametrize("kind", ADMIN_KINDS)
def test_an_admin_who_typed_only_the_password_is_walked_to_enrolment_from_every_admin_door(kind):
    user = UserFactory(**ADMIN_KINDS[kind])
    candidate = ApplicationFactory().candidate
    client = _password_only(user)
    for url in (
        reverse("admin:index"),
        reverse("admin:auth_user_changelist"),
        reverse("followups:weights_edit"),
        reverse("privacy:candidate_erase", args=[candidate.pk]),
        reverse("hiring:home"),
    ):
        response = client.get(url, follow=True)
        assert response.redirect_chain[0][0].startswith(reverse("twofactor:verify")), url
        # No authenticator yet: the code page hands over to enrolment, keeping the destination.
        assert response.request["PATH_INFO"] == reverse("twofactor:setup"), url
        assert response.context["next_url"] == url
        assert "Set up two-step sign-in" in response.text


def test_enrolment_shows_a_qr_code_the_page_may_display_and_the_key_as_text(admin):
    response = _password_only(admin).get(reverse("twofactor:setup"))
    assert response.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in response.text
    # The Content-Security-Policy lets the inline image render (and nothing from elsewhere).
    assert "img-src 'self' data:" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]
    device = TOTPDevice.objects.get(user=admin)
    assert not device.confirmed
    key = b32decode(SECRET.search(response.text).group(1).replace(" ", ""))
    assert key == device.bin_key
    # Reloading keeps the key: a QR code already scanned stays valid.
    again = _password_only(admin).get(reverse("twofactor:setup"))
    assert SECRET.search(again.text).group(1) == SECRET.search(response.text).group(1)
    assert TOTPDevice.objects.filter(user=admin).count() == 1


def test_after_enrolment_with_a_real_code_the_admin_reaches_the_admin_and_admin_pages(admin):
    client = _password_only(admin)
    candidate = ApplicationFactory().candidate
    codes = _enrol(client)
    assert len(codes) == RECOVERY_CODE_COUNT == len(set(codes))
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("followups:weights_edit")).status_code == 200
    assert client.get(reverse("privacy:candidate_erase", args=[candidate.pk])).status_code == 200
    assert TOTPDevice.objects.get(user=admin).confirmed
    event = AuditEvent.objects.get(action=AuditAction.SECOND_FACTOR_ENROLLED)
    assert (event.actor, event.object_id) == (admin, str(admin.pk))


def test_a_wrong_enrolment_code_leaves_the_app_unconfirmed_and_the_admin_outside(admin):
    client = _password_only(admin)
    page = client.get(reverse("twofactor:setup"))
    wrong = f"{(int(_code_from_page(page.text)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("twofactor:setup"), {"code": wrong})
    assert response.status_code == 422
    assert "did not match" in response.text
    assert not TOTPDevice.objects.get(user=admin).confirmed
    assert client.get(reverse("admin:index")).status_code == 302


def test_the_next_sign_in_asks_for_the_code_and_accepts_the_apps_current_one(admin):
    _enrol(_password_only(admin))
    client = _password_only(admin)
    response = client.get(reverse("admin:index"))
    assert response.url == f"{reverse('twofactor:verify')}?next=%2Fadmin%2F"
    page = client.get(response.url)
    assert "Two-step sign-in" in page.text
    before = client.session.session_key
    device = TOTPDevice.objects.get(user=admin)
    # The enrolment code's time step is used up: the phone's next code.
    answer = client.post(
        response.url, {"code": totp_code(device, offset_steps=1), "next": "/admin/"}
    )
    assert answer.status_code == 302
    assert answer.url == "/admin/"
    assert client.get("/admin/").status_code == 200
    # Verification is a privilege change: a new session key.
    assert client.session.session_key != before
    assert AuditEvent.objects.filter(action=AuditAction.SECOND_FACTOR_PASSED).count() == 1


def test_a_code_that_was_just_accepted_cannot_be_replayed(admin):
    device = authenticator_for(admin)
    code = totp_code(device)
    first = _password_only(admin).post(reverse("twofactor:verify"), {"code": code})
    assert first.status_code == 302
    replay = _password_only(admin).post(reverse("twofactor:verify"), {"code": code})
    assert replay.status_code in {422, 429}


def test_a_recovery_code_signs_in_once_and_is_stored_only_as_a_hash(admin):
    codes = _enrol(_password_only(admin))
    stored = set(RecoveryCode.objects.values_list("digest", flat=True))
    assert len(stored) == RECOVERY_CODE_COUNT
    assert not stored & set(codes)
    assert stored == {hashlib.sha256(c.replace("-", "").encode()).hexdigest() for c in codes}

    client = _password_only(admin)
    # As typed from paper: upper case, spaces instead of dashes.
    typed = codes[0].upper().replace("-", " ")
    response = client.post(reverse("twofactor:verify"), {"code": typed})
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
    assert RecoveryCode.objects.count() == RECOVERY_CODE_COUNT - 1

    again = _password_only(admin).post(reverse("twofactor:verify"), {"code": codes[0]})
    assert again.status_code in {422, 429}
    assert "did not match" in again.text or "Too many wrong codes" in again.text


def test_wrong_codes_are_throttled_and_the_wait_doubles(admin):
    device = authenticator_for(admin)
    client = _password_only(admin)
    url = reverse("twofactor:verify")
    start = timezone.now()

    def at(seconds):
        return time_machine.travel(start + dt.timedelta(seconds=seconds), tick=False)

    def wrong():
        return f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"

    with at(0):
        assert client.post(url, {"code": wrong()}).status_code == 422
    with at(0.5):
        # Even the right code is not checked during the wait.
        refused = client.post(url, {"code": totp_code(device)})
        assert refused.status_code == 429
        assert "Too many wrong codes" in refused.text
    with at(1.5):
        assert client.post(url, {"code": wrong()}).status_code == 422
    with at(3):  # second failure: 2 s from 1.5 s
        assert client.post(url, {"code": totp_code(device)}).status_code == 429
    with at(4):
        assert client.post(url, {"code": totp_code(device)}).status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0
    failed = AuditEvent.objects.filter(action=AuditAction.SECOND_FACTOR_FAILED)
    assert [e.details["throttled"] for e in failed.order_by("pk")] == [False, True, False, True]


def test_wrong_recovery_codes_are_throttled_too(admin):
    codes = _enrol(_password_only(admin))
    client = _password_only(admin)
    url = reverse("twofactor:verify")
    assert client.post(url, {"code": "0000-0000-0000"}).status_code == 422
    assert client.post(url, {"code": codes[1]}).status_code == 429
    assert RecoveryCode.objects.count() == RECOVERY_CODE_COUNT  # the right one was not spent


@pytest.mark.parametrize("trait", ["hiring_manager", "recruiter"])
def test_recruiters_and_hiring_managers_sign_in_with_the_password_alone(trait):
    user = UserFactory(**{trait: True})
    client = _password_only(user)
    assert client.get(reverse("hiring:home")).status_code == 200
    assert client.get(reverse("hiring:profile")).status_code == 200
    assert "Two-step sign-in" not in client.get(reverse("hiring:profile")).text
    assert client.get(reverse("twofactor:setup")).url == reverse("hiring:home")
    assert not TOTPDevice.objects.exists()


def test_the_admin_site_itself_refuses_an_unverified_staff_session(admin, settings):
    # The second lock: even with the middleware left out, /admin/ wants a verified session.
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "twofactor.middleware.SecondFactorMiddleware"
    ]
    authenticator_for(admin)
    response = _password_only(admin).get(reverse("admin:index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_an_enrolled_admin_cannot_enrol_another_app_with_only_the_password(admin):
    device = authenticator_for(admin)
    client = _password_only(admin)
    response = client.get(reverse("twofactor:setup"))
    assert response.url.startswith(reverse("twofactor:verify"))
    assert client.post(reverse("twofactor:setup"), {"code": "123456"}).status_code == 302
    assert list(TOTPDevice.objects.filter(user=admin)) == [device]


def test_an_htmx_request_from_an_unverified_session_redirects_the_whole_page(admin):
    response = _password_only(admin).get(
        reverse("followups:quick_log_search"),
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/contacts/quick/"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{reverse('twofactor:verify')}?next=%2Fcontacts%2Fquick%2F"


def test_the_code_page_never_redirects_to_another_site(admin):
    device = authenticator_for(admin)
    response = _password_only(admin).post(
        reverse("twofactor:verify"), {"code": totp_code(device), "next": "https://evil.example/"}
    )
    assert response.url == reverse("hiring:home")


def test_the_settings_page_counts_recovery_codes_and_makes_new_ones(admin):
    codes = _enrol(_password_only(admin))
    client = _password_only(admin)
    client.post(reverse("twofactor:verify"), {"code": codes[0]})
    profile = client.get(reverse("hiring:profile")).text
    assert f"{RECOVERY_CODE_COUNT - 1} of {RECOVERY_CODE_COUNT} left" in profile

    fresh = client.post(reverse("twofactor:recovery_codes"))
    assert fresh.status_code == 200
    assert "no-store" in fresh["Cache-Control"]
    new_codes = RECOVERY.findall(fresh.text)
    assert len(new_codes) == RECOVERY_CODE_COUNT
    assert not set(new_codes) & set(codes)
    assert (
        f"{RECOVERY_CODE_COUNT} of {RECOVERY_CODE_COUNT} left"
        in client.get(reverse("hiring:profile")).text
    )
    # The old codes are gone.
    stale = _password_only(admin).post(reverse("twofactor:verify"), {"code": codes[1]})
    assert stale.status_code == 422


def test_a_superuser_resets_a_lost_phone_in_the_admin_and_the_sessions_lose_verification():
    superuser = UserFactory(is_superuser=True, is_staff=True)
    target = UserFactory(admin=True)
    target_client = Client()
    target_client.force_login(target)
    assert target_client.get(reverse("admin:index")).status_code == 200
    device = TOTPDevice.objects.get(user=target)

    # An Admins-group member who is not a superuser may not.
    colleague = Client()
    colleague.force_login(UserFactory(admin=True))
    delete_url = reverse("admin:twofactor_staffauthenticator_delete", args=[device.pk])
    assert colleague.post(delete_url, {"post": "yes"}).status_code == 403

    boss = Client()
    boss.force_login(superuser)
    assert boss.post(delete_url, {"post": "yes"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=target).exists()
    event = AuditEvent.objects.get(action=AuditAction.SECOND_FACTOR_RESET)
    assert (event.actor, event.object_id) == (superuser, str(target.pk))

    response = target_client.get(reverse("admin:index"), follow=True)
    assert response.request["PATH_INFO"] == reverse("twofactor:setup")


def test_the_admin_never_shows_an_authenticators_secret():
    boss = Client()
    boss.force_login(UserFactory(is_superuser=True, is_staff=True))
    device = TOTPDevice.objects.get()
    page = boss.get(reverse("admin:twofactor_staffauthenticator_change", args=[device.pk]))
    assert page.status_code == 200
    assert device.key not in page.text
    assert boss.get("/admin/otp_totp/totpdevice/").status_code == 404


def test_an_admin_replaces_their_phone_from_the_settings_page(admin):
    client = Client()
    client.force_login(admin)
    response = client.post(reverse("twofactor:replace"))
    assert response.url.startswith(reverse("twofactor:setup"))
    assert not TOTPDevice.objects.filter(user=admin, confirmed=True).exists()
    assert client.get(reverse("twofactor:setup")).status_code == 200


def test_the_break_glass_command_resets_a_user(admin, capsys):
    authenticator_for(admin)
    call_command("second_factor_reset", admin.username)
    assert not TOTPDevice.objects.filter(user=admin).exists()
    assert "reset for" in capsys.readouterr().out
    assert AuditEvent.objects.get(action=AuditAction.SECOND_FACTOR_RESET).actor is None


def test_the_demo_admins_first_sign_in_walks_through_enrolment(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo")
    client = Client()
    response = client.post(
        "/login/", {"username": "admin", "password": "demo-password-for-tests"}, follow=True
    )
    assert response.request["PATH_INFO"] == reverse("twofactor:setup")
    assert 'src="data:image/svg+xml;base64,' in response.text
    codes = _enrol(client)
    assert len(codes) == RECOVERY_CODE_COUNT
    assert client.get(reverse("admin:index")).status_code == 200
