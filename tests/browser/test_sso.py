"""Single sign-on end to end: Chromium, Persist and a real OpenID Connect provider
(django-oauth-toolkit, tests/oidc_provider) in a second process."""

import re

import pytest
from django.db import connection
from playwright.sync_api import expect

from audit.models import AuditAction, AuditEvent
from tests.clients import authenticator_for, totp_code
from tests.factories import UserFactory
from tests.oidc_provider.server import running_provider

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PROVIDER_PASSWORD = "provider password 1"
PEOPLE = [
    {"username": "ana", "email": "Ana.Lind@example.com", "password": PROVIDER_PASSWORD},
    {"username": "boss", "email": "boss@example.com", "password": PROVIDER_PASSWORD},
    {"username": "stranger", "email": "stranger@example.com", "password": PROVIDER_PASSWORD},
    {
        "username": "mallory",
        "email": "victim@example.com",
        "password": PROVIDER_PASSWORD,
        "verified": False,
    },
]


@pytest.fixture(scope="module")
def provider(live_server):
    with running_provider(
        connection.settings_dict, f"{live_server.url}/oidc/callback/", PEOPLE
    ) as provider:
        yield provider


@pytest.fixture
def sso(provider, settings):
    for name, value in provider.settings().items():
        setattr(settings, name, value)
    return provider


def _sign_in_at_provider(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.get_by_role("link", name="Sign in with Example IdP").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("heading", name="Example identity provider")).to_be_visible()
    page.fill("#provider-username", username)
    page.fill("#provider-password", PROVIDER_PASSWORD)
    page.get_by_role("button", name="Continue").click()


def test_a_recruiter_signs_in_with_the_company_identity_provider(sso, page, live_server):
    # The provider's address differs in case: accounts match on the email, case-insensitively.
    user = UserFactory(username="ana.persist", email="ana.lind@example.com", recruiter=True)

    _sign_in_at_provider(page, live_server, "ana")

    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Good to see you")).to_be_visible()
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN, actor=user).exists()


def test_an_admin_signed_in_by_the_provider_still_passes_persists_second_step(
    sso, page, live_server
):
    admin = UserFactory(username="boss.persist", email="boss@example.com", admin=True)
    device = authenticator_for(admin)

    _sign_in_at_provider(page, live_server, "boss")

    # The provider vouches for who it is; Persist still asks an admin for their code.
    page.wait_for_url(re.compile(r"/account/two-step/verify/"))
    page.fill("#id_code", totp_code(device))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{live_server.url}/")


def test_someone_without_a_persist_account_is_told_to_ask_an_admin(sso, page, live_server):
    UserFactory(email="ana.lind@example.com", recruiter=True)

    _sign_in_at_provider(page, live_server, "stranger")

    page.wait_for_url(f"{live_server.url}/login/")
    expect(page.get_by_text("no active Persist account has that email")).to_be_visible()
    # Not signed in: the home page sends them back to sign in.
    page.goto(f"{live_server.url}/")
    page.wait_for_url(re.compile(r"/login/"))
    failure = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert "no active Persist account" in failure.details["reason"]
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN).exists()


def test_an_unverified_address_at_the_provider_does_not_open_the_matching_account(
    sso, page, live_server
):
    # Anyone can type any address at some providers: matching an unverified one would hand
    # them the account of whoever owns it in Persist.
    UserFactory(email="victim@example.com", hiring_manager=True)

    _sign_in_at_provider(page, live_server, "mallory")

    page.wait_for_url(f"{live_server.url}/login/")
    expect(page.get_by_text("has not verified your email address")).to_be_visible()
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN).exists()


def test_a_deactivated_account_cannot_sign_in_by_the_provider(sso, page, live_server):
    UserFactory(email="ana.lind@example.com", recruiter=True, is_active=False)

    _sign_in_at_provider(page, live_server, "ana")

    page.wait_for_url(f"{live_server.url}/login/")
    expect(page.get_by_text("no active Persist account has that email")).to_be_visible()
