"""Find anyone (issue #15): on a 390 px phone, by keyboard only, from the top bar to the
application."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    CandidatePhoneFactory,
    RequisitionFactory,
    UserFactory,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = 390


def test_a_recruiter_finds_a_candidate_by_phone_from_the_top_bar_on_a_phone_by_keyboard(
    live_server, log_in
):
    recruiter = UserFactory(recruiter=True)
    requisition = RequisitionFactory(title="Mid-market AE", recruiters=[recruiter])
    candidate = CandidateFactory(first_name="Marisol", last_name="Quintero")
    CandidatePhoneFactory(candidate=candidate, number="+14155550123")
    application = ApplicationFactory(requisition=requisition, candidate=candidate)

    page = log_in(recruiter, form=False)
    page.set_viewport_size({"width": PHONE, "height": 844})
    page.goto(f"{live_server.url}/")
    search = page.locator("#top-search-q")
    expect(search).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    for _ in range(30):  # keyboard only: Tab to the search box
        if search.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Tab")
    else:
        raise AssertionError("the top bar's search never received the focus")
    page.keyboard.type("(415) 555-0123")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    result = page.get_by_role("link", name=re.compile("Marisol Quintero"))
    expect(result).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    result.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/applications/{application.pk}/")
