"""Pages fit a 390 px phone screen: nothing makes the whole page scroll sideways (the pipeline
board scrolls inside its own strip)."""

import pytest
from playwright.sync_api import expect

from hiring.models import StageKind
from tests.factories import ApplicationFactory, RequisitionFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = 390


def test_requisition_board_action_buttons_wrap_on_a_phone(live_server, log_in):
    manager = UserFactory(hiring_manager=True)
    requisition = RequisitionFactory(
        title="Account Executive, Mid-Market East", hiring_manager=manager
    )
    page = log_in(manager, form=False)
    page.set_viewport_size({"width": PHONE, "height": 844})

    page.goto(f"{live_server.url}/requisitions/{requisition.pk}/")

    add = page.get_by_role("link", name="Add candidate")
    expect(add).to_be_visible()
    box = add.bounding_box()
    assert box["x"] + box["width"] <= PHONE
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE


def test_post_hire_outcomes_table_scrolls_inside_its_card_on_a_phone(live_server, log_in):
    # Seven columns are wider than a phone: the table scrolls in its own strip, not the page.
    manager = UserFactory(hiring_manager=True)
    requisition = RequisitionFactory(
        title="Account Executive, Mid-Market East", hiring_manager=manager
    )
    ApplicationFactory(requisition=requisition, stage_kind=StageKind.HIRED)
    page = log_in(manager, form=False)
    page.set_viewport_size({"width": PHONE, "height": 844})

    page.goto(f"{live_server.url}/evidence/outcomes/")

    expect(page.get_by_role("link", name="Record")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
