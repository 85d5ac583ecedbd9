"""An admin's first sign-in walks through setting up two-step sign-in, on a phone-sized screen
and on a desktop: the QR code renders under the strict Content-Security-Policy, the key can be
typed instead, a code from the app turns it on, the recovery codes are shown once."""

import re
from base64 import b32decode

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

VIEWPORTS = {"phone": (390, 844), "desktop": (1280, 900)}


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_an_admins_first_sign_in_walks_through_enrolment(viewport, page, live_server):
    width, height = VIEWPORTS[viewport]
    page.set_viewport_size({"width": width, "height": height})
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security" in message.text else None
        ),
    )
    admin = UserFactory(admin=True, username=f"admin-{viewport}")

    page.goto(f"{live_server.url}/login/?next=/admin/")
    page.fill("#id_username", admin.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")

    page.wait_for_url(re.compile(r"/account/two-step/setup/\?next=%2Fadmin%2F$"))
    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    # Nothing else to click on until the second step is done.
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    qr = page.get_by_role("img", name=re.compile("QR code"))
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0"), "the QR code did not load"
    box = qr.bounding_box()
    assert box["width"] >= 150
    assert 0 <= box["x"] <= box["x"] + box["width"] <= width
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    # Typing the key by hand, as someone whose camera cannot scan would.
    page.get_by_text("Can't scan it? Type the key instead").click()
    secret = page.get_by_test_id("totp-secret")
    expect(secret).to_be_visible()
    key = b32decode(secret.inner_text().replace(" ", ""))
    page.get_by_label("6-digit code from the app").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="Turn on two-step sign-in").click()

    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    codes = page.get_by_test_id("recovery-codes").locator("code")
    expect(codes).to_have_count(10)
    assert all(
        re.fullmatch(r"[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}", c) for c in codes.all_inner_texts()
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.get_by_role("link", name="I have saved them, continue").click()

    page.wait_for_url(f"{live_server.url}/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    assert not refused, refused
