"""The settings page's API tokens, on a phone, and the API docs under the CSP, in Chromium."""

import pytest
from playwright.sync_api import expect

from api.models import ApiToken
from tests.factories import RequisitionFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = 390


def test_a_token_is_made_shown_once_used_and_revoked_on_a_phone(live_server, log_in):
    manager = UserFactory(hiring_manager=True)
    RequisitionFactory(hiring_manager=manager, title="Account Executive")
    page = log_in(manager, form=False)
    page.set_viewport_size({"width": PHONE, "height": 844})

    page.goto(f"{live_server.url}/profile/")
    page.get_by_label("Token name").fill("CRM sync")
    page.get_by_role("button", name="Create token").click()

    secret = page.get_by_test_id("api-token-secret").input_value()
    assert secret.startswith("pst_")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    response = page.request.get(
        f"{live_server.url}/api/v1/requisitions/", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status == 200
    assert response.json()["results"][0]["title"] == "Account Executive"

    page.get_by_role("link", name="Back to your settings").click()
    expect(page.get_by_role("cell", name="CRM sync", exact=True)).to_be_visible()
    assert secret not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    page.get_by_role("button", name="Revoke CRM sync").click()
    expect(page.get_by_text("You have no API tokens.")).to_be_visible()
    assert ApiToken.objects.get().revoked_at is not None


def test_the_api_docs_render_under_the_content_security_policy(live_server, log_in):
    page = log_in(UserFactory(recruiter=True), form=False)
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto(f"{live_server.url}/api/v1/docs/")
    expect(page.get_by_text("/api/v1/applications/{id}/contacts/")).to_be_visible()
    assert violations == []
