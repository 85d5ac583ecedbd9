"""Each role signs in through the real form and sees its own requisitions and navigation."""

import pytest
from playwright.sync_api import expect

from tests.factories import RequisitionFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROLES = {
    # role: (trait, sees the requisitions, "Configuration", "Unmatched")
    "admin": ("admin", {"managed", "assigned", "other"}, True, True),
    "hiring manager": ("hiring_manager", {"managed"}, False, False),
    "recruiter": ("recruiter", {"assigned"}, False, True),
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_signs_in_and_sees_only_its_requisitions(role, live_server, log_in):
    trait, visible, sees_configuration, sees_unmatched = ROLES[role]
    user = UserFactory(username=f"the-{trait}", **{trait: True})
    manager = user if trait == "hiring_manager" else UserFactory(hiring_manager=True)
    recruiter = user if trait == "recruiter" else UserFactory(recruiter=True)
    titles = {
        "managed": RequisitionFactory(title="Managed AE role", hiring_manager=manager).title,
        "assigned": RequisitionFactory(title="Assigned SDR role", recruiters=[recruiter]).title,
        "other": RequisitionFactory(title="Somebody else's role").title,
    }

    page = log_in(user)

    # Signing in lands on the role's home page; the requisition list is one click away.
    assert page.url == f"{live_server.url}/"
    expect(page.get_by_role("heading", name="Good to see you")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Requisitions").click()
    page.wait_for_url(f"{live_server.url}/requisitions/")
    expect(page.get_by_role("heading", name="Requisitions")).to_be_visible()
    rows = page.locator("table.table tbody tr td:first-child a")
    expect(rows).to_have_count(len(visible))
    assert set(rows.all_inner_texts()) == {titles[k] for k in visible}

    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Requisitions")).to_be_visible()
    expect(nav.get_by_role("link", name="Configuration")).to_have_count(int(sees_configuration))
    expect(nav.get_by_role("link", name="Unmatched")).to_have_count(int(sees_unmatched))

    if sees_unmatched:
        nav.get_by_role("link", name="Unmatched").click()
        page.wait_for_url(f"{live_server.url}/contacts/unmatched/")
        expect(page.locator("main h1")).to_be_visible()
    else:
        # Hidden from the menu and closed at the door.
        response = page.goto(f"{live_server.url}/contacts/unmatched/")
        assert response.status == 403
    if sees_configuration:
        nav.get_by_role("link", name="Configuration").click()
        page.wait_for_url(f"{live_server.url}/admin/")
        expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
