"""A recruiter logs a candidate's call by keyboard only, then finds it on the timeline and in the
score."""

import re

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from followups.models import Contact
from tests.clients import Client
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

    # The form opens on the duration (a call from the candidate, now); back to the channel.
    expect(page.locator("#quick-log-form #id_duration")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
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


def _open_quick_log(page, live_server, search: str, name: str) -> None:
    """Search, Tab to the result, Enter: the keyboard way into the form."""
    page.goto(f"{live_server.url}/log/")
    expect(page.locator("#quick-search")).to_be_focused()
    page.keyboard.type(search)
    expect(page.locator("#quick-results a", has_text=name)).to_be_visible()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**/log/?application=*")
    # Keys typed before the new page has focused its field go nowhere, as
    # they would for a person; wait for the focus a person would see.
    expect(page.locator("#quick-log-form #id_duration")).to_be_focused()


def test_keyboard_only_quick_log_search_tab_enter_type_duration_enter_logs_the_call(
    live_server, log_in
):
    recruiter = UserFactory(recruiter=True)
    requisition = RequisitionFactory(recruiters=[recruiter])
    test = SilenceTestFactory(
        observing=True,
        application__requisition=requisition,
        application__candidate__first_name="Tobias",
        application__candidate__last_name="Lindgren",
    )
    page = log_in(recruiter, form=False)

    _open_quick_log(page, live_server, "lindgr", "Tobias Lindgren")
    page.keyboard.type("12:05")
    page.keyboard.press("Enter")

    expect(page.locator(".messages")).to_contain_text("Phone call with Tobias Lindgren logged.")
    contact = Contact.objects.get(application=test.application)
    assert (contact.channel, contact.direction, contact.duration_seconds) == (
        "phone",
        "inbound",
        12 * 60 + 5,
    )
    assert contact.logged_by == recruiter
    # "When" was left at now: the duration never reached the date-time field.
    assert abs((timezone.now() - contact.occurred_at).total_seconds()) < 180


def test_quick_log_date_time_field_comes_after_duration_and_shows_am_pm_in_en_us(
    browser, live_server
):
    recruiter = UserFactory(recruiter=True)
    requisition = RequisitionFactory(recruiters=[recruiter])
    test = SilenceTestFactory(application__requisition=requisition)
    context = browser.new_context(locale="en-US", viewport={"width": 1440, "height": 900})
    try:
        client = Client()
        client.force_login(recruiter)
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        page = context.new_page()
        page.goto(f"{live_server.url}/log/?application={test.application_id}")
        order = page.locator("#quick-log-form .contact-form :is(input, select, textarea)")
        ids = [i for i in order.evaluate_all("els => els.map(e => e.id)") if i]
        assert ids.index("id_duration") < ids.index("id_occurred_at"), ids
        # Channel, Direction, Duration: two Tabs from the channel, no date-time in between.
        page.locator("#quick-log-form #id_channel").focus()
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        expect(page.locator("#quick-log-form #id_duration")).to_be_focused()
        # The field is at least as wide as Chromium needs for "mm/dd/yyyy, hh:mm AM": nothing
        # (the AM/PM part first) is clipped.
        rendered, needed = page.locator("#quick-log-form #id_occurred_at").evaluate(
            """el => {
                const probe = el.cloneNode();
                Object.assign(probe.style, {width: "auto", minWidth: "0", maxWidth: "none",
                                            position: "absolute"});
                document.body.appendChild(probe);
                const needed = probe.getBoundingClientRect().width;
                probe.remove();
                return [el.getBoundingClientRect().width, needed];
            }"""
        )
        assert rendered >= needed, (rendered, needed)
    finally:
        context.close()


def test_quick_log_validation_error_stays_on_the_quick_log_page(live_server, log_in):
    recruiter = UserFactory(recruiter=True)
    requisition = RequisitionFactory(recruiters=[recruiter])
    test = SilenceTestFactory(
        application__requisition=requisition,
        application__candidate__first_name="Priya",
        application__candidate__last_name="Raman",
    )
    page = log_in(recruiter, form=False)
    _open_quick_log(page, live_server, "raman", "Priya Raman")
    page.keyboard.type("ten minutes")
    page.keyboard.press("Enter")

    expect(page.locator("#quick-log-form .field-error")).to_contain_text("Write the duration")
    expect(page.get_by_role("heading", name="Log a contact")).to_be_visible()
    expect(page.locator("#quick-log-form h2")).to_contain_text("Priya Raman")
    assert f"/log/?application={test.application_id}" in page.url
    expect(page.locator("#quick-log-form #id_duration")).to_have_value("ten minutes")
    assert not Contact.objects.filter(application=test.application).exists()

    # Corrected in place, the call is logged.
    page.locator("#quick-log-form #id_duration").fill("10")
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("Phone call with Priya Raman logged.")
    assert Contact.objects.get(application=test.application).duration_seconds == 600
