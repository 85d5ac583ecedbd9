"""axe-core on every main page, per role, on a desktop and a 390 px phone, with the real CSP.

axe comes from the ``axe-playwright-python`` wheel and is injected with ``page.evaluate`` (the
DevTools protocol, which page CSP does not govern); the page's own policy stays enforced: each
state checks the response still carries it and that an inline script is still refused.

There is no allow-list: any violation of the WCAG 2.0/2.1/2.2 A and AA rules fails the test. If a
rule ever has to be skipped, it goes in ``ALLOWED`` with the written reason next to it.
"""

import base64
import datetime as dt
import hashlib
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import path
from django.utils import timezone
from playwright.sync_api import expect

from config.urls import urlpatterns as project_urlpatterns
from followups.models import (
    Channel,
    ImportBatch,
    ImportRow,
    ImportStatus,
    MatchStatus,
    RowOutcome,
)
from scoring.scores import scores_recompute
from silence.services import silence_tests_sweep
from tests.factories import (
    ApplicationFactory,
    ContactFactory,
    EmailTemplateFactory,
    InterviewRoundFactory,
    RequisitionFactory,
    ScorecardFactory,
    SilenceTestFactory,
    UserFactory,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
#: rule id -> why it may be skipped. Empty on purpose: every rule of those tags applies.
ALLOWED: dict[str, str] = {}
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
AXE = Axe()


def _boom(request):
    raise RuntimeError("A deliberate server error, to render the production 500 page.")


# The project's URLs plus one view that fails, so the 500 page is audited as it is served.
urlpatterns = [*project_urlpatterns, path("boom/", _boom)]


def axe_violations(page) -> list[dict]:
    results = AXE.run(
        page,
        options={
            "runOnly": {"type": "tag", "values": WCAG_TAGS},
            "resultTypes": ["violations"],
        },
    )
    return [v for v in results.response["violations"] if v["id"] not in ALLOWED]


def dangling_idrefs(page) -> list[str]:
    """aria-describedby/-labelledby/-controls that point at ids the page does not have (axe
    does not report a missing description target)."""
    return page.evaluate(
        """() => {
          const bad = [];
          for (const attr of ['aria-describedby', 'aria-labelledby', 'aria-controls']) {
            for (const el of document.querySelectorAll(`[${attr}]`)) {
              for (const id of el.getAttribute(attr).split(/\\s+/).filter(Boolean)) {
                if (!document.getElementById(id)) bad.push(`${el.id || el.tagName}: ${attr}=${id}`);
              }
            }
          }
          return bad;
        }"""
    )


def duplicate_ids(page) -> list[str]:
    """Ids that stand on more than one element: a label, help text or error then points at the
    wrong field (axe 4.x no longer reports duplicate ids as a WCAG violation)."""
    return page.evaluate(
        """() => {
          const seen = new Map();
          for (const el of document.querySelectorAll('[id]')) {
            seen.set(el.id, (seen.get(el.id) || 0) + 1);
          }
          return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
        }"""
    )


PROBE = "window.__inlineRan = true"
#: Chromium names a refused inline script by its hash: the probe's own refusals are expected.
PROBE_HASH = base64.b64encode(hashlib.sha256(PROBE.encode()).digest()).decode()


def inline_script_runs(page) -> bool:
    return page.evaluate(
        """(probe) => {
          const s = document.createElement('script');
          s.textContent = probe;
          document.head.appendChild(s);
          return window.__inlineRan === true;
        }""",
        PROBE,
    )


class Auditor:
    """Visits page states and collects every problem, so one run reports them all."""

    def __init__(self, page, live_server):
        self.page, self.base = page, live_server.url
        self.problems: list[str] = []
        self.states = 0
        self.csp_errors: list[str] = []
        page.on(
            "console",
            lambda msg: (
                self.csp_errors.append(msg.text)
                if "Content Security Policy" in msg.text and PROBE_HASH not in msg.text
                else None
            ),
        )

    def goto(self, url: str, *, status: int = 200):
        response = self.page.goto(self.base + url)
        assert response.status == status, f"{url}: {response.status}"
        csp = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in csp, f"{url}: CSP {csp!r}"
        assert "unsafe" not in csp, f"{url}: CSP {csp!r}"
        return response

    def check(self, name: str):
        """Audit the current state on a desktop, then on a phone (same DOM, relaid out)."""
        page = self.page
        page.wait_for_load_state("load")
        for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(viewport)
            # Two frames: the resize event and its layout have run, as after turning a phone.
            page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            for violation in axe_violations(page):
                targets = "; ".join(" ".join(n["target"]) for n in violation["nodes"][:5])
                self.problems.append(
                    f"{name} [{label}] {violation['id']} ({len(violation['nodes'])} nodes): "
                    f"{targets}"
                )
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 0:
                self.problems.append(f"{name} [{label}] reflow: {overflow}px wider than the screen")
            self.problems.extend(f"{name}: dangling {ref}" for ref in dangling_idrefs(page))
            self.problems.extend(f"{name}: duplicate id {i}" for i in duplicate_ids(page))
            self.states += 1
        page.set_viewport_size(DESKTOP)
        assert not inline_script_runs(page), f"{name}: the CSP let an inline script run"

    def visit(self, name: str, url: str, *, status: int = 200):
        self.goto(url, status=status)
        self.check(name)

    def assert_clean(self):
        assert not self.csp_errors, self.csp_errors
        assert not self.problems, "\n".join(self.problems)


def _world():
    """One requisition with something in every state the pages show."""
    admin = UserFactory(admin=True, first_name="Ada", last_name="Admin")
    manager = UserFactory(hiring_manager=True, first_name="Mia", last_name="Manager")
    recruiter = UserFactory(recruiter=True, first_name="Rui", last_name="Recruiter")
    requisition = RequisitionFactory(
        title="Enterprise AE", hiring_manager=manager, recruiters=[recruiter]
    )
    reached = SilenceTestFactory(
        closing=True,
        application__requisition=requisition,
        application__candidate__first_name="Zoe",
        application__candidate__last_name="Ringwald",
    )
    ContactFactory(
        application=reached.application,
        channel=Channel.PHONE,
        occurred_at=reached.deadline_at + dt.timedelta(hours=3),
    )
    silent = SilenceTestFactory(
        closing=True,
        application__requisition=requisition,
        application__candidate__first_name="Abe",
        application__candidate__last_name="Quiet",
    )
    silence_tests_sweep(now=timezone.now())
    EmailTemplateFactory(pipeline=requisition.pipeline)
    scores_recompute(
        application_ids=[reached.application_id, silent.application_id], now=timezone.now()
    )
    SilenceTestFactory(observing=True, application__requisition=requisition)
    SilenceTestFactory(application__requisition=requisition)  # waiting
    ApplicationFactory(stuck=True, requisition=requisition)
    interview = InterviewRoundFactory(application=reached.application)
    ScorecardFactory(round=interview, interviewer=manager, notes="Strong closer.")
    ContactFactory(
        application=None,
        candidate=None,
        match_status=MatchStatus.UNMATCHED,
        summary="Call from an unknown number.",
    )
    batches = {}
    for user in (admin, recruiter):
        done = ImportBatch.objects.create(
            uploaded_by=user,
            filename="calls.csv",
            preset="generic",
            status=ImportStatus.DONE,
            total_rows=3,
            processed_rows=3,
            imported=1,
            unmatched=1,
            errors=1,
            finished_at=timezone.now(),
        )
        ImportRow.objects.create(
            batch=done, row_number=2, outcome=RowOutcome.UNMATCHED, data={"from": "+15550100"}
        )
        ImportRow.objects.create(
            batch=done, row_number=3, outcome=RowOutcome.ERROR, reason="No date", data={"x": "1"}
        )
        batches[user.pk] = done
    return {
        "admin": admin,
        "manager": manager,
        "recruiter": recruiter,
        "requisition": requisition,
        "reached": reached.application,
        "silent": silent.application,
        "interview": interview,
        "batches": batches,
    }


ROLES = ["admin", "manager", "recruiter"]


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_each_role_has_no_wcag_aa_violation_on_desktop_and_phone(
    role, live_server, log_in, settings
):
    settings.ROOT_URLCONF = __name__
    world = _world()
    user, requisition = world[role], world["requisition"]
    application, interview = world["reached"], world["interview"]
    page = log_in(user)
    audit = Auditor(page, live_server)

    audit.check("home")
    audit.visit("requisitions", "/requisitions/")
    audit.visit("board", f"/requisitions/{requisition.pk}/")
    audit.visit("silence board", f"/requisitions/{requisition.pk}/silence/")
    audit.visit("ranking", f"/requisitions/{requisition.pk}/ranking/")
    page.locator("details.breakdown summary").first.click()
    if page.locator("details.override").count():
        page.locator("details.override summary").first.click()
    audit.check("ranking, details open")
    audit.visit("insights", f"/requisitions/{requisition.pk}/insights/")
    audit.visit("application", f"/applications/{application.pk}/")
    audit.visit("reject with email preview", f"/applications/{world['silent'].pk}/reject/")
    audit.visit(
        "scorecard form", f"/applications/{application.pk}/rounds/{interview.pk}/scorecard/"
    )
    audit.visit("quick log", f"/log/?application={application.pk}&q=zoe")
    page.locator("#quick-search").fill("ringw")
    expect(page.locator("#quick-results a")).to_have_count(1)
    audit.check("quick log with results")
    audit.visit("profile", "/profile/")
    audit.visit("calendar", "/calendar/")
    audit.visit("not found", "/no-such-page/", status=404)

    # A failed and a successful submit, through the pages' own forms.
    page.goto(f"{live_server.url}/applications/{application.pk}/")
    page.locator("#stage-panel select").select_option(label="Rejected")
    page.locator("#stage-panel button[type=submit]").click()
    expect(page.locator("#stage-panel .error-summary")).to_be_visible()
    audit.check("stage move refused")
    page.locator("#stage-panel textarea").fill("Chose another candidate.")
    page.locator("#stage-panel button[type=submit]").click()
    expect(page.locator("#stage-status")).to_contain_text("moved to Rejected")
    audit.check("stage moved")
    page.goto(f"{live_server.url}/profile/")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".message.success")).to_be_visible()
    audit.check("profile saved")

    if role in ("admin", "recruiter"):
        audit.visit("add candidate", f"/requisitions/{requisition.pk}/applications/new/")
        page.locator("main form button[type=submit]").last.click()
        expect(page.locator(".error-summary")).to_be_visible()
        audit.check("add candidate refused")
        audit.visit("unmatched queue", "/contacts/unmatched/")
        audit.visit("import form", "/imports/calls/")
        audit.visit("import detail", f"/imports/calls/{world['batches'][user.pk].pk}/")
    else:
        audit.visit("forbidden", "/contacts/unmatched/", status=403)
    if role == "admin":
        audit.visit("scoring weights", "/scoring/weights/")
        audit.visit("erase", f"/candidates/{application.candidate_id}/erase/")
        audit.visit("server error", "/boom/", status=500)
    audit.assert_clean()
    # 2 viewports per state; the lower bound keeps a silently skipped page from passing.
    assert audit.states >= 2 * (17 if role == "manager" else 20)


def test_the_sign_in_pages_have_no_wcag_aa_violation(live_server, page):
    admin = UserFactory(admin=True)
    audit = Auditor(page, live_server)
    audit.visit("login", "/login/")
    page.fill("#id_username", admin.username)
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    expect(page.locator(".error-summary, .alert.error")).to_be_visible()
    audit.check("login refused")
    audit.visit("not found, signed out", "/no-such-page/", status=404)
    audit.assert_clean()


def test_the_audit_fails_when_a_badge_loses_its_contrast(live_server, log_in):
    """The regression proof: the old outcome colour (#17803d on #e3f4e8, 4.38:1) is reported."""
    world = _world()
    page = log_in(world["manager"], form=False)
    page.goto(f"{live_server.url}/applications/{world['reached'].pk}/")
    badge = page.locator("#score .badge.outcome-reached_out")
    expect(badge).to_be_visible()
    assert not [v for v in axe_violations(page) if v["id"] == "color-contrast"]
    # CSSOM changes are allowed by the CSP (only inline <style>/style="" markup is refused).
    badge.evaluate("el => { el.style.color = '#17803d'; el.style.background = '#e3f4e8'; }")
    contrast = [v for v in axe_violations(page) if v["id"] == "color-contrast"]
    assert contrast, "axe no longer sees a 4.38:1 badge"
    assert any("outcome-reached_out" in n["html"] for n in contrast[0]["nodes"])


def _luminance(rgb: str) -> float:
    channels = [int(c) / 255 for c in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_keyboard_focus_ring_has_3_to_1_contrast_on_cards_and_on_the_top_bar(
    live_server, log_in
):
    """WCAG 2.4.13/1.4.11: the old 3 px #ffbf47 ring was 1.64:1 on the white cards."""
    manager = UserFactory(hiring_manager=True)
    requisition = RequisitionFactory(hiring_manager=manager)
    ApplicationFactory(requisition=requisition)
    page = log_in(manager, form=False)
    page.goto(f"{live_server.url}/requisitions/{requisition.pk}/")
    for selector, backdrop in (
        (".card-item a", ".card-item"),  # a card on the board
        (".topbar .brand", ".topbar"),  # the dark top bar
        (".page-head .button", "body"),  # the page background
    ):
        target = page.locator(selector).first
        target.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")  # focused by keyboard, so :focus-visible applies
        expect(target).to_be_focused()
        ring = target.evaluate(
            "el => { const s = getComputedStyle(el); return [s.outlineStyle, s.outlineWidth, "
            "s.outlineColor]; }"
        )
        assert ring[0] == "solid", (selector, ring)
        assert float(ring[1].removesuffix("px")) >= 2, (selector, ring)
        behind = page.locator(backdrop).first.evaluate("el => getComputedStyle(el).backgroundColor")
        assert _contrast(ring[2], behind) >= 3, (selector, ring[2], behind)
