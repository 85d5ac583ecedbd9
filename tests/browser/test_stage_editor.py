"""The stage editor (issue #15) in a real browser, under the Content-Security-Policy: an admin
reorders a pipeline's stages by keyboard and saves; the new order is stored."""

import pytest
from playwright.sync_api import expect

from hiring.models import Pipeline
from tests.factories import PipelineFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_an_admin_moves_a_stage_to_the_top_by_keyboard_and_saves(live_server, log_in):
    pipeline = PipelineFactory(name="Inside sales")
    admin = UserFactory(admin=True, is_superuser=True)
    page = log_in(admin, form=False)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/admin/hiring/pipeline/{pipeline.pk}/change/")
    row = page.locator("tr.has_original", has=page.locator("input[value='Interview 2']"))
    first = row.locator(".sort i.move-begin")
    expect(first).to_have_attribute("tabindex", "0")
    first.focus()
    page.keyboard.press("Enter")
    page.locator("input[name='_save']").click()
    page.wait_for_url(f"{live_server.url}/admin/hiring/pipeline/")
    names = list(
        Pipeline.objects.get(pk=pipeline.pk).stages.order_by("order").values_list("name", flat=True)
    )
    assert names[:3] == ["Interview 2", "Applied", "Phone screen"]
    assert not [e for e in errors if "Content Security Policy" in e]
