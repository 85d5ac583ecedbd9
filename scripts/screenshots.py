"""Screenshots of the main pages at desktop and phone widths (`make screenshots`).

Starts nothing itself: point it at a running app (`make run`, default http://127.0.0.1:8000)
whose demo users have the password in DEMO_PASSWORD. Images go to ./screenshots (ignored).
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


def main() -> int:
    password = os.environ.get("DEMO_PASSWORD")
    if not password:
        print("Set DEMO_PASSWORD to the demo users' password.", file=sys.stderr)
        return 2
    OUT.mkdir(exist_ok=True)
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
            page.close()
        browser.close()
    print("\n".join(sorted(str(p) for p in OUT.glob("*.png"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
