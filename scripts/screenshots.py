"""Screenshots of the main pages at desktop and phone widths (`make screenshots`).

Starts nothing itself: point it at a running app (`make run`, default http://127.0.0.1:8000)
whose demo users have the password in DEMO_PASSWORD. Images go to ./screenshots (ignored).

The decision loop is shot without changing the demo: the home's decision card, the reject form
opened in place with its email preview (not submitted), and a rejected candidate's timeline
with the rejection email the demo scheduled. The email-template editor is in the admin, behind
the second sign-in step: the script opens it with a session it signs in the demo database
itself (same settings as `make run`: DATABASE_URL, else the embedded server), through the
admin's authenticator — or a temporary one it removes afterwards, if the admin never enrolled.
Without database access those two shots are skipped with a note.
"""

import os
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = os.environ.get("BASE_URL", "http://127.0.0.1:8000").rstrip("/")
OUT = Path(os.environ.get("SCREENSHOT_DIR", "screenshots"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
WIDTHS = {"desktop": (1440, 900), "phone": (390, 844)}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def admin_session():
    """``(cookie name, session key, cleanup)`` for the demo admin, verified for the second
    step; None when the database is out of reach."""
    try:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        import django

        django.setup()
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.test import Client
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        admin = get_user_model().objects.get(username="admin")
        device = TOTPDevice.objects.filter(user=admin, confirmed=True).first()
        temporary = device is None
        if temporary:
            device = TOTPDevice.objects.create(
                user=admin, name="screenshots (temporary)", confirmed=True
            )
        client = Client()
        client.force_login(admin)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    except Exception as exc:  # any failure means: skip the admin shots
        print(f"Skipping the email-template editor: {exc}", file=sys.stderr)
        return None
    return (
        settings.SESSION_COOKIE_NAME,
        session.session_key,
        (device.delete if temporary else (lambda: None)),
    )


def decision_loop(page, label: str) -> None:
    """The home's decision card, the reject form in place with its preview, a timeline."""
    page.goto(f"{BASE}/")
    decisions = page.locator("ul.decisions")
    decisions.scroll_into_view_if_needed()
    page.screenshot(path=OUT / f"decisions-home-{label}.png", full_page=True)
    reject = decisions.locator("a.danger").first
    if reject.count():
        reject.click()
        page.locator(".reject-form .email-preview").wait_for()
        page.screenshot(path=OUT / f"decision-reject-{label}.png", full_page=True)
    # A rejected candidate whose rejection email waits in its cancel window (seed_demo).
    page.goto(f"{BASE}/requisitions/")
    for requisition in (
        page.evaluate(
            "Array.from(document.querySelectorAll('a')).map(a => a.getAttribute('href'))"
            ".filter(h => /^\\/requisitions\\/\\d+\\/$/.test(h))"
        )
        or []
    ):
        page.goto(f"{BASE}{requisition}")
        link = page.locator(".column.kind-rejected .card-item a").first
        if link.count():
            page.goto(f"{BASE}{link.get_attribute('href')}")
            page.locator("#stage-panel").scroll_into_view_if_needed()
            page.screenshot(path=OUT / f"decision-timeline-{label}.png", full_page=True)
            return


def main() -> int:
    password = os.environ.get("DEMO_PASSWORD")
    if not password:
        print("Set DEMO_PASSWORD to the demo users' password.", file=sys.stderr)
        return 2
    OUT.mkdir(exist_ok=True)
    # Before Playwright starts: its event loop makes Django refuse database calls here.
    admin = admin_session()
    try:
        shoot(password, admin)
    finally:
        if admin is not None:
            admin[2]()  # after Playwright has stopped, for the same reason
    print("\n".join(sorted(str(p) for p in OUT.glob("*.png"))))
    return 0


def shoot(password: str, admin) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for label, (width, height) in WIDTHS.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(f"{BASE}/login/")
            page.screenshot(path=OUT / f"login-{label}.png", full_page=True)
            page.fill("#id_username", "manager")
            page.fill("#id_password", password)
            page.click("button[type=submit]")
            page.wait_for_url(f"{BASE}/")
            page.screenshot(path=OUT / f"home-{label}.png", full_page=True)
            page.goto(f"{BASE}/requisitions/")
            page.screenshot(path=OUT / f"requisitions-{label}.png", full_page=True)
            board = page.locator("table a").first.get_attribute("href")
            page.goto(f"{BASE}{board}")
            page.screenshot(path=OUT / f"board-{label}.png", full_page=True)
            # Bulk actions: two candidates ticked, the toolbar open (nothing submitted).
            for box in page.locator(".card-head input[type=checkbox]").all()[:2]:
                box.check()
            page.locator(".bulk-toolbar summary").click()
            page.screenshot(path=OUT / f"board-bulk-{label}.png", full_page=True)
            page.goto(f"{BASE}{board}silence/")
            page.screenshot(path=OUT / f"silence-{label}.png", full_page=True)
            page.goto(f"{BASE}{board}ranking/")
            page.screenshot(path=OUT / f"ranking-{label}.png", full_page=True)
            page.goto(f"{BASE}{board}insights/")
            page.screenshot(path=OUT / f"insights-{label}.png", full_page=True)
            page.goto(f"{BASE}{board}")
            href = page.locator(".column.kind-silence_test a").first.get_attribute("href")
            page.goto(f"{BASE}{href}")
            page.screenshot(path=OUT / f"application-{label}.png", full_page=True)
            decision_loop(page, label)
            page.close()
        if admin is not None:
            cookie, key, _cleanup = admin
            for label, (width, height) in WIDTHS.items():
                context = browser.new_context(viewport={"width": width, "height": height})
                context.add_cookies([{"name": cookie, "value": key, "url": BASE}])
                page = context.new_page()
                page.goto(f"{BASE}/admin/decisions/emailtemplate/")
                page.screenshot(path=OUT / f"email-templates-{label}.png", full_page=True)
                page.locator("#result_list tbody a").first.click()
                page.locator("#emailtemplate_form").wait_for()
                page.screenshot(path=OUT / f"email-template-editor-{label}.png", full_page=True)
                context.close()
        browser.close()


if __name__ == "__main__":
    sys.exit(main())
