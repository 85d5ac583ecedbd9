"""Pages fit a 390 px phone screen: nothing makes the whole page scroll sideways (the pipeline
board scrolls inside its own strip)."""

import pytest
from playwright.sync_api import expect

from tests.factories import RequisitionFactory, UserFactory

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
