"""Sign-in lockout (django-axes) through the real sign-in page, and the client address it locks."""

import datetime as dt
import importlib.util
import re
from pathlib import Path

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parents[2]


def _sign_in(client, username, password, **meta):
    return client.post("/login/", {"username": username, "password": password}, **meta)


def _fail_until_locked(client, username, **meta):
    responses = [
        _sign_in(client, username, "wrong password", **meta)
        for _ in range(django_settings.AXES_FAILURE_LIMIT)
    ]
    return responses


def test_the_limit_defaults_to_five_failures_and_a_fifteen_minute_cool_off():
    assert django_settings.AXES_FAILURE_LIMIT == 5
    assert dt.timedelta(minutes=15) == django_settings.AXES_COOLOFF_TIME


def test_sign_in_is_refused_with_a_retry_time_once_the_limit_is_reached(client):
    user = UserFactory(hiring_manager=True)
    responses = _fail_until_locked(client, user.username)
    assert [r.status_code for r in responses[:-1]] == [200] * (len(responses) - 1)
    assert responses[-1].status_code == 429

    before = timezone.now()
    response = _sign_in(client, user.username, PASSWORD)
    assert response.status_code == 429
    page = response.text
    assert "Too many sign-in attempts" in page
    assert "Try again in 15 minutes" in page
    # Rounded up to the next whole minute: the time shown is never still inside the lockout.
    earliest = before + dt.timedelta(minutes=15)
    shown = re.search(r'<time datetime="([^"]+)">(\d\d:\d\d) UTC</time>', page)
    retry_at = dt.datetime.fromisoformat(shown.group(1))
    assert earliest <= retry_at < earliest + dt.timedelta(minutes=1, seconds=5)
    assert (retry_at.second, retry_at.microsecond) == (0, 0)
    assert shown.group(2) == f"{retry_at.astimezone(dt.UTC):%H:%M}"
    # The right password during the lockout does not sign in.
    assert "_auth_user_id" not in client.session


def test_the_lockout_ends_after_the_cool_off(client):
    user = UserFactory(hiring_manager=True)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _fail_until_locked(client, user.username)
    with time_machine.travel(start + dt.timedelta(minutes=14), tick=False):
        assert _sign_in(client, user.username, PASSWORD).status_code == 429
    # The refused attempt at 14 minutes restarted the cool-off.
    with time_machine.travel(start + dt.timedelta(minutes=28), tick=False):
        assert _sign_in(client, user.username, PASSWORD).status_code == 429
    with time_machine.travel(start + dt.timedelta(minutes=44), tick=False):
        response = _sign_in(client, user.username, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_the_lock_holds_the_username_and_address_pair_only(client):
    victim = UserFactory(hiring_manager=True)
    colleague = UserFactory(recruiter=True)
    _fail_until_locked(client, victim.username, REMOTE_ADDR="198.51.100.66")

    # The attacker's address cannot lock the victim out from their own address …
    assert _sign_in(client, victim.username, PASSWORD, REMOTE_ADDR="203.0.113.5").status_code == 302
    client.logout()
    # … nor a colleague behind the attacker's address.
    assert (
        _sign_in(client, colleague.username, PASSWORD, REMOTE_ADDR="198.51.100.66").status_code
        == 302
    )
    client.logout()
    assert (
        _sign_in(client, victim.username, PASSWORD, REMOTE_ADDR="198.51.100.66").status_code == 429
    )


def test_the_axes_reset_command_lifts_the_lock(client):
    user = UserFactory(hiring_manager=True)
    _fail_until_locked(client, user.username)
    assert _sign_in(client, user.username, PASSWORD).status_code == 429
    call_command("axes_reset_username", user.username)
    assert _sign_in(client, user.username, PASSWORD).status_code == 302


def test_an_admin_lifts_the_lock_by_deleting_the_attempt_in_the_admin(client):
    user = UserFactory(hiring_manager=True)
    _fail_until_locked(client, user.username, REMOTE_ADDR="198.51.100.66")
    attempt = AccessAttempt.objects.get(username=user.username)

    client.force_login(UserFactory(admin=True, is_superuser=True))
    response = client.post(
        f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"}, follow=False
    )
    assert response.status_code == 302
    client.logout()
    assert _sign_in(client, user.username, PASSWORD, REMOTE_ADDR="198.51.100.66").status_code == 302


def test_a_forwarded_for_header_is_ignored_without_a_configured_proxy(client):
    user = UserFactory(hiring_manager=True)
    # An attacker inventing a new X-Forwarded-For per attempt still hits the same lock.
    for n in range(django_settings.AXES_FAILURE_LIMIT):
        _sign_in(
            client,
            user.username,
            "wrong password",
            REMOTE_ADDR="198.51.100.66",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.66"}
    response = _sign_in(
        client, user.username, PASSWORD, REMOTE_ADDR="198.51.100.66", HTTP_X_FORWARDED_FOR="1.2.3.4"
    )
    assert response.status_code == 429
    event = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).first()
    assert event.ip_address == "198.51.100.66"


def _settings_module_with(monkeypatch, **env):
    """config/settings.py evaluated afresh under the given environment (not installed)."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    spec = importlib.util.spec_from_file_location("_settings_probe", ROOT / "config/settings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def behind_one_proxy(settings, monkeypatch):
    probe = _settings_module_with(monkeypatch, TRUSTED_PROXY_COUNT="1")
    for name in dir(probe):
        if name.startswith(("AXES_IPWARE_", "IPWARE_")):
            setattr(settings, name, getattr(probe, name))
    return settings


def test_behind_a_configured_proxy_the_client_address_comes_from_the_proxy(
    client, behind_one_proxy
):
    user = UserFactory(hiring_manager=True)
    # The proxy (10.0.0.1) appended the address it saw; whatever the client sent stays left.
    attacker = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.9"}
    _fail_until_locked(client, user.username, **attacker)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}
    assert _sign_in(client, user.username, PASSWORD, **attacker).status_code == 429
    # The same user through the same proxy from another address is not locked out.
    other = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    assert _sign_in(client, user.username, PASSWORD, **other).status_code == 302
    login = AuditEvent.objects.get(action=AuditAction.LOGIN)
    assert login.ip_address == "198.51.100.7"


def test_without_the_setting_the_proxy_settings_trust_only_the_socket_address(monkeypatch):
    monkeypatch.delenv("TRUSTED_PROXY_COUNT", raising=False)
    probe = _settings_module_with(monkeypatch)
    assert probe.AXES_IPWARE_META_PRECEDENCE_ORDER == ("REMOTE_ADDR",)
    assert not hasattr(probe, "AXES_IPWARE_PROXY_COUNT")


@pytest.mark.parametrize(
    ("name", "value"), [("TRUSTED_PROXY_COUNT", "-1"), ("AXES_FAILURE_LIMIT", "0")]
)
def test_a_nonsensical_proxy_count_or_limit_stops_the_app(monkeypatch, name, value):
    with pytest.raises(ImproperlyConfigured, match=name):
        _settings_module_with(monkeypatch, **{name: value})
