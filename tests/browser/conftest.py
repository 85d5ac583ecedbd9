"""Playwright on Debian's Chromium against pytest-django's live server (PostgreSQL).

One browser per session, a fresh context and page per test; a failing test leaves a full-page
screenshot in ``test-artifacts/``.
"""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings

from accounts.roles import requires_second_factor
from tests.clients import Client, authenticator_for, totp_code

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Playwright waits this long for an element or a navigation before failing (ms).
TIMEOUT_MS = 10_000
PASSWORD = "correct horse battery staple"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the item, so fixtures can tell in teardown if the test failed.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run scripts/os-packages.sh (make test does it)")
    # Playwright's sync API keeps an event loop running in this thread, so Django refuses ORM
    # calls here (SynchronousOnlyOperation) although nothing is async: allowed while it runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, request):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        folder = Path(request.config.rootpath) / "test-artifacts"
        folder.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid).strip("_")
        try:
            page.screenshot(path=folder / f"{name}.png", full_page=True)
        except Exception as exc:  # a crashed page must not hide the test's own failure
            print(f"screenshot failed: {exc}")
    context.close()


@pytest.fixture
def log_in(page, live_server):
    """``log_in(user)`` signs in through the real login form, as a person would (an admin also
    types the code of an authenticator enrolled for them); ``log_in(user, form=False)`` hands
    the browser a session made on the server instead (the form itself is tested elsewhere).
    Returns the page."""

    def log_in(user, *, form: bool = True, password: str = PASSWORD):
        if form:
            device = authenticator_for(user) if requires_second_factor(user) else None
            page.goto(f"{live_server.url}/login/")
            page.fill("#id_username", user.username)
            page.fill("#id_password", password)
            page.click("button[type=submit]")
            if device is not None:
                page.wait_for_url(re.compile(r"/account/two-step/verify/"))
                page.fill("#id_code", totp_code(device))
                page.get_by_role("button", name="Continue").click()
            page.wait_for_url(f"{live_server.url}/")
        else:
            client = Client()
            client.force_login(user)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
            page.context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
            )
        return page

    return log_in
