"""Refusals and errors always leave a way back: full pages keep the site's frame, and a failed
in-page (htmx) request shows a notice instead of silently doing nothing."""

import pytest
from playwright.sync_api import expect

from tests.factories import ApplicationFactory, RequisitionFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_an_htmx_move_after_losing_access_shows_a_notice_with_a_way_home(live_server, log_in):
    recruiter = UserFactory(recruiter=True)
    requisition = RequisitionFactory(recruiters=[recruiter])
    application = ApplicationFactory(requisition=requisition)
    page = log_in(recruiter, form=False)
    page.goto(f"{live_server.url}/applications/{application.pk}/")
    # The page stays open while an admin takes the recruiter off the requisition.
    requisition.recruiters.remove(recruiter)

    page.locator("#stage-panel select").select_option(label="Phone screen")
    page.locator("#stage-panel button[type=submit]").click()

    notice = page.locator("#toasts [role=alert]")
    expect(notice).to_contain_text("no longer in your team's requisitions")
    expect(notice.get_by_role("link", name="Back to your home page")).to_be_visible()
    notice.get_by_role("button", name="Dismiss").click()
    expect(notice).to_have_count(0)


def test_an_expired_form_is_refused_with_the_sites_page_and_a_way_back(live_server, log_in):
    manager = UserFactory(hiring_manager=True)
    page = log_in(manager, form=False)
    page.goto(f"{live_server.url}/profile/")
    # The CSRF cookie went away (a sign-in in another tab rotates it, a browser clears it).
    page.context.clear_cookies(name="csrftoken")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", name="This form has expired")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    page.get_by_role("link", name="Back to your home page").click()
    expect(page).to_have_url(f"{live_server.url}/")
