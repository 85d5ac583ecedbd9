"""Every main page fits a 390 px phone, with the demo's real data (long titles and addresses,
full timelines): the page itself never scrolls sideways. The ranking shows each candidate's
score and outcome without sideways scrolling, and the application page puts the score and the
candidate's contact details near the top."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from candidates.models import Application
from followups.models import ImportBatch
from hiring.models import Requisition

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def demo():
    call_command("seed_demo", verbosity=0)
    users = {u.username: u for u in get_user_model().objects.all()}
    requisition = Requisition.objects.get(title__startswith="Account Executive, Mid-Market")
    application = (
        Application.objects.filter(requisition=requisition, contacts__isnull=False)
        .order_by("-id")
        .first()
    )
    return users, requisition, application


def _too_wide(page) -> list[str]:
    """The page's width, and the elements sticking out past the screen's right edge."""
    return page.evaluate(
        """() => {
          const width = document.documentElement.scrollWidth;
          if (width <= window.innerWidth) return [];
          const out = [String(width)];
          document.querySelectorAll('body *').forEach(el => {
            const r = el.getBoundingClientRect();
            if (r.right > window.innerWidth + 1 && out.length < 6)
              out.push(el.tagName + '.' + el.className + ' right=' + Math.round(r.right));
          });
          return out;
        }"""
    )


def _check(page, url: str, wide: dict) -> None:
    response = page.goto(url)
    assert response.status < 500, url
    problems = _too_wide(page)
    if problems:
        wide[url] = problems


@pytest.mark.parametrize("role", ["admin", "manager", "recruiter"])
def test_no_main_page_is_wider_than_a_390_px_phone(role, demo, live_server, log_in):
    users, requisition, application = demo
    user = users[role]
    page = log_in(user, form=False)
    page.set_viewport_size(PHONE)
    base = live_server.url
    urls = [
        "/",
        "/requisitions/",
        f"/requisitions/{requisition.pk}/",
        f"/requisitions/{requisition.pk}/silence/",
        f"/requisitions/{requisition.pk}/ranking/",
        f"/requisitions/{requisition.pk}/insights/",
        f"/applications/{application.pk}/",
        "/log/",
        f"/log/?application={application.pk}",
        "/profile/",
        "/calendar/",
        "/no-such-page/",
    ]
    if role in ("admin", "recruiter"):
        batch = ImportBatch.objects.create(
            uploaded_by=user, filename="calls-export-2026-12.csv", preset="generic", content=b""
        )
        urls += [
            f"/requisitions/{requisition.pk}/applications/new/",
            "/contacts/unmatched/",
            "/imports/calls/",
            f"/imports/calls/{batch.pk}/",
        ]
    if role in ("admin", "manager"):
        urls += ["/evidence/outcomes/"]
    if role == "admin":
        urls += [
            "/scoring/weights/",
            "/evidence/bias-audit/",
            "/evidence/validity/",
            "/admin/",
            "/admin/hiring/requisition/",
            f"/admin/hiring/requisition/{requisition.pk}/change/",
            "/admin/candidates/application/",
            "/admin/accounts/user/" if _has_admin(page, base, "/admin/accounts/user/") else None,
        ]
    if role == "manager":
        urls += ["/contacts/unmatched/"]  # the 403 page
    wide: dict[str, list[str]] = {}
    for url in filter(None, urls):
        _check(page, base + url, wide)
    assert not wide, wide


def _has_admin(page, base, url) -> bool:
    return page.request.get(base + url).status == 200


def test_the_ranking_shows_score_and_outcome_on_a_phone_without_sideways_scroll(
    demo, live_server, log_in
):
    users, requisition, _application = demo
    page = log_in(users["manager"], form=False)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/requisitions/{requisition.pk}/ranking/")

    first = page.locator("table.ranking tbody tr:not(.group-row)").first
    for cell in (first.locator("td.score"), first.locator("td.test")):
        expect(cell).to_be_visible()
        box = cell.bounding_box()
        assert box["x"] >= 0, box
        assert box["x"] + box["width"] <= PHONE["width"], box
    assert first.locator("td.score").inner_text().strip()
    # Nothing in the table needs scrolling sideways.
    assert page.evaluate(
        "[...document.querySelectorAll('.table-wrap')].every(w => w.scrollWidth <= w.clientWidth)"
    )


def test_the_application_page_shows_score_and_contact_details_first_on_a_phone(
    demo, live_server, log_in
):
    users, _requisition, application = demo
    page = log_in(users["manager"], form=False)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/applications/{application.pk}/")

    for heading in ("Persistence score", "Candidate"):
        top = page.get_by_role("heading", name=heading, exact=True).bounding_box()["y"]
        assert top < PHONE["height"], (heading, top)
