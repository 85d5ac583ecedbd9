"""A recruiter logs a candidate's call by keyboard only, then finds it on the timeline and in the
score."""

import re

import pytest
from playwright.sync_api import expect

from followups.models import Contact
from tests.factories import RequisitionFactory, SilenceTestFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SUMMARY = "Called unprompted with a territory plan for Q3."


def tab_to(page, selector: str, *, limit: int = 40, on_the_way=None) -> None:
    """Press Tab until the element matching ``selector`` has the focus (a datetime-local field
    alone takes several Tab presses). ``on_the_way(id)`` may type into fields passed."""
    target = page.locator(selector)
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):
            return
        if on_the_way:
            on_the_way(page.evaluate("document.activeElement.id"))
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} never received the focus after {limit} Tab presses")


def test_recruiter_logs_a_call_by_keyboard_and_sees_it_on_the_timeline_and_in_the_score(
    live_server, log_in
):
    recruiter = UserFactory(recruiter=True)
    requisition = RequisitionFactory(title="Mid-market AE", recruiters=[recruiter])
    # Observing: the deadline passed yesterday and the window is still open, so a call now is a
    # follow-up after the deadline.
    test = SilenceTestFactory(
        observing=True,
        application__requisition=requisition,
        application__candidate__first_name="Marisol",
        application__candidate__last_name="Quintero",
    )
    application = test.application

    page = log_in(recruiter)  # the real form; from here on, no mouse at all
    page.goto(f"{live_server.url}/log/")
    search = page.locator("#quick-search")
    expect(search).to_be_focused()
    page.keyboard.type("quinte")
    result = page.locator("#quick-results a", has_text="Marisol Quintero")
    expect(result).to_be_visible()
    page.keyboard.press("Tab")
    expect(result).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/log/?application={application.pk}*")

    channel = page.locator("#quick-log-form #id_channel")
    expect(channel).to_be_focused()
    page.keyboard.type("Voice")  # type-ahead in the select: away from the default…
    expect(channel).to_have_value("voicemail")
    page.keyboard.press("ArrowUp")  # …and back to "Phone call", just above
    expect(channel).to_have_value("phone")
    expect(page.locator("#quick-log-form #id_direction")).to_have_value("inbound")

    def fill_duration(focused_id):
        if focused_id == "id_duration":
            page.keyboard.type("7:30")

    tab_to(page, "#quick-log-form #id_summary", on_the_way=fill_duration)
    page.keyboard.type(SUMMARY)
    tab_to(page, "#quick-log-form button[type=submit]")
    page.keyboard.press("Enter")

    expect(page.locator(".messages")).to_contain_text("Phone call with Marisol Quintero logged.")
    contact = Contact.objects.get(application=application)
    assert (contact.channel, contact.direction, contact.duration_seconds) == (
        "phone",
        "inbound",
        450,
    )
    assert (contact.summary, contact.logged_by) == (SUMMARY, recruiter)

    page.goto(f"{live_server.url}/applications/{application.pk}/")
    entry = page.locator("#contacts ol.timeline li.contact").first
    expect(entry).to_contain_text("Phone call")
    expect(entry).to_contain_text("From the candidate")
    expect(entry).to_contain_text(SUMMARY)
    expect(entry).to_contain_text("Unprompted")
    # The score was refreshed when the contact committed: no recompute by the test.
    score = page.locator("#score")
    expect(score.locator(".score-big strong")).to_have_text(re.compile(r"^[1-9][0-9]*$"))
    expect(score).to_contain_text("Pending")
    expect(score).to_contain_text("Reached out unprompted after the deadline")
    expect(score).to_contain_text("Test still running — outcome pending")
