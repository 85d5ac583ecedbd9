"""Keyboard focus and screen-reader announcements around htmx swaps and refused forms.

Live regions must stay the same DOM node and only change their text (a region inserted or
replaced with its content is often not announced): each test tags the node with a JS property
before the swap and checks the tagged node is the one holding the new text afterwards.
"""

import pytest
from playwright.sync_api import expect

from followups.models import ImportBatch, ImportStatus
from tests.factories import (
    ApplicationFactory,
    RequisitionFactory,
    UserFactory,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def tag_node(page, selector: str) -> None:
    page.locator(selector).evaluate("el => { el.__sameNode = true; }")


def still_same_node(page, selector: str) -> bool:
    return page.locator(selector).evaluate("el => el.__sameNode === true")


def focused(page) -> str:
    """A short description of the focused element, for assertion messages."""
    return page.evaluate(
        "(() => { const el = document.activeElement; "
        "return el.tagName + '#' + el.id + '.' + el.className + ' ' + "
        "(el.textContent || '').trim().slice(0, 60); })()"
    )


def test_a_stage_move_by_keyboard_focuses_its_message_in_the_same_status_region(
    live_server, log_in
):
    manager = UserFactory(hiring_manager=True)
    application = ApplicationFactory(
        requisition=RequisitionFactory(hiring_manager=manager),
        candidate__first_name="Ines",
        candidate__last_name="Moreau",
    )
    page = log_in(manager, form=False)
    page.goto(f"{live_server.url}/applications/{application.pk}/")
    tag_node(page, "#stage-status")
    expect(page.locator("#stage-status")).to_have_text("")

    page.locator("#stage-panel select").focus()
    page.keyboard.type("Phone")  # type-ahead to "Phone screen"
    page.locator("#stage-panel button[type=submit]").focus()
    page.keyboard.press("Enter")

    status = page.locator("#stage-status")
    expect(status).to_contain_text("Ines Moreau moved to Phone screen.")
    assert still_same_node(page, "#stage-status"), "the status region was replaced"
    message = status.locator(".message")
    expect(message).to_be_focused()
    # The panel itself was refreshed (the history has the move), the region around it stayed.
    expect(page.locator("#stage-panel .timeline")).to_contain_text("Phone screen")
    # From the message, Tab continues into the refreshed panel, not back at the top.
    page.keyboard.press("Tab")
    assert page.evaluate(
        "document.getElementById('stage-panel').contains(document.activeElement)"
    ), focused(page)


def test_a_refused_stage_move_focuses_the_error_summary_that_links_to_the_field(
    live_server, log_in
):
    manager = UserFactory(hiring_manager=True)
    application = ApplicationFactory(requisition=RequisitionFactory(hiring_manager=manager))
    page = log_in(manager, form=False)
    page.goto(f"{live_server.url}/applications/{application.pk}/")
    # A first, successful move fills the status region…
    page.locator("#stage-panel select").select_option(label="Phone screen")
    page.locator("#stage-panel button[type=submit]").click()
    expect(page.locator("#stage-status")).to_contain_text("moved to Phone screen")
    tag_node(page, "#stage-status")

    # …then rejecting without the reason it needs is refused.
    page.locator("#stage-panel select").select_option(label="Rejected")
    page.locator("#stage-panel button[type=submit]").focus()
    page.keyboard.press("Enter")

    summary = page.locator("#stage-panel .error-summary")
    expect(summary).to_contain_text("needs a reason")
    expect(summary).to_be_focused()
    # The old success message is gone from the same region (nothing stale is left to read).
    expect(page.locator("#stage-status")).to_have_text("")
    assert still_same_node(page, "#stage-status")
    # The help text the reason field points at exists and is the one shown.
    reason = page.locator("#stage-panel textarea")
    described_by = reason.get_attribute("aria-describedby")
    assert described_by == "id_reason_helptext"
    expect(page.locator(f"#{described_by}")).to_contain_text("Required when moving back, rejecting")


def test_a_refused_form_puts_the_focus_on_its_error_summary_and_its_links_reach_the_fields(
    live_server, log_in
):
    recruiter = UserFactory(recruiter=True)
    requisition = RequisitionFactory(recruiters=[recruiter])
    page = log_in(recruiter, form=False)
    page.goto(f"{live_server.url}/requisitions/{requisition.pk}/applications/new/")
    page.get_by_role("button", name="Add candidate").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("There is a problem")
    first_name = page.locator("#id_first_name")
    expect(first_name).to_have_attribute("aria-invalid", "true")
    # Each id the field is described by exists: the error text is read with the field.
    for ref in first_name.get_attribute("aria-describedby").split():
        expect(page.locator(f"#{ref}")).to_have_count(1)
    expect(page.locator("#id_first_name_error")).to_contain_text("required")

    page.keyboard.press("Tab")
    link = summary.get_by_role("link", name="First name")
    expect(link).to_be_focused()
    page.keyboard.press("Enter")
    expect(first_name).to_be_focused()


def test_quick_log_results_change_inside_the_same_live_region(live_server, log_in):
    recruiter = UserFactory(recruiter=True)
    requisition = RequisitionFactory(recruiters=[recruiter])
    for first, last in (("Marisol", "Quintero"), ("Tomas", "Quist")):
        ApplicationFactory(
            requisition=requisition, candidate__first_name=first, candidate__last_name=last
        )
    page = log_in(recruiter, form=False)
    page.goto(f"{live_server.url}/log/")
    results = page.locator("#quick-results")
    expect(results).to_have_attribute("aria-live", "polite")
    tag_node(page, "#quick-results")

    search = page.locator("#quick-search")
    expect(search).to_be_focused()
    page.keyboard.type("qui")
    expect(results).to_contain_text("2 candidates found.")
    expect(results.locator("a")).to_have_count(2)
    assert still_same_node(page, "#quick-results")

    page.keyboard.type("nt")
    expect(results).to_contain_text("1 candidate found.")
    expect(results.locator("a strong")).to_have_text(["Marisol Quintero"])
    page.keyboard.type("zz")
    expect(results).to_contain_text("No candidate you can see matches")
    assert still_same_node(page, "#quick-results")
    # Typing kept the focus in the search box through every swap.
    expect(search).to_be_focused()


def test_import_progress_is_announced_once_per_status_in_the_same_region_and_polls_keep_focus(
    live_server, log_in
):
    recruiter = UserFactory(recruiter=True)
    batch = ImportBatch.objects.create(
        uploaded_by=recruiter,
        filename="calls.csv",
        preset="generic",
        status=ImportStatus.RUNNING,
        total_rows=10,
        processed_rows=2,
        unmatched=1,
    )
    page = log_in(recruiter, form=False)
    page.goto(f"{live_server.url}/imports/calls/{batch.pk}/")
    region = page.locator("#import-announce")
    expect(region).to_have_attribute("role", "status")
    expect(region).to_have_text("Import status: Importing.")
    tag_node(page, "#import-announce")
    # Count every change to the region while the card is polled.
    region.evaluate(
        """el => { window.__changes = 0;
                   new MutationObserver(() => { window.__changes += 1; })
                     .observe(el, {childList: true, characterData: true, subtree: true}); }"""
    )
    # A keyboard user is on a link inside the polled card.
    queue_link = page.locator("#batch-status a", has_text="unmatched queue")
    queue_link.focus()

    ImportBatch.objects.filter(pk=batch.pk).update(processed_rows=6)
    expect(page.locator("#batch-status")).to_contain_text("6 of 10 data rows processed")
    page.wait_for_timeout(1200)  # one more poll
    assert page.evaluate("window.__changes") == 0, "a poll repeated the announcement"
    expect(page.locator("#batch-status a", has_text="unmatched queue")).to_be_focused()

    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportStatus.DONE, processed_rows=10, imported=8, errors=1
    )
    expect(region).to_have_text(
        "Import status: Done — 8 imported, 0 duplicates, 1 unmatched, 1 error."
    )
    assert still_same_node(page, "#import-announce")
    assert page.evaluate("window.__changes") >= 1
    # Polling stopped with the import; the focus is still where the reader left it.
    expect(page.locator("#batch-status a", has_text="unmatched queue")).to_be_focused()


def test_an_htmx_swap_never_steals_the_focus_from_outside_the_swapped_content(live_server, log_in):
    """The import card polls every second: a reader typing elsewhere keeps the focus."""
    recruiter = UserFactory(recruiter=True)
    batch = ImportBatch.objects.create(
        uploaded_by=recruiter,
        filename="calls.csv",
        preset="generic",
        status=ImportStatus.RUNNING,
        total_rows=10,
    )
    page = log_in(recruiter, form=False)
    page.goto(f"{live_server.url}/imports/calls/{batch.pk}/")
    crumb = page.get_by_role("navigation", name="Breadcrumb").get_by_role("link")
    crumb.focus()
    ImportBatch.objects.filter(pk=batch.pk).update(processed_rows=5)
    expect(page.locator("#batch-status")).to_contain_text("5 of 10 data rows processed")
    expect(crumb).to_be_focused()
