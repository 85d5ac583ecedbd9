"""The application page's timeline in Chromium: "Older contacts" is reached and pressed with
the keyboard, appends the next page in place, moves the focus to the first new contact and says
how many arrived in the same status region; pages never repeat or drop a contact, also when
many contacts share one instant."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from followups.models import Channel, Contact, ContactSource, Direction
from followups.selectors import TIMELINE_PAGE_SIZE
from tests.factories import ApplicationFactory, RequisitionFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_older_contacts_by_keyboard_append_every_contact_once_and_announce_it(live_server, log_in):
    manager = UserFactory(hiring_manager=True)
    application = ApplicationFactory(requisition=RequisitionFactory(hiring_manager=manager))
    instant = timezone.now() - dt.timedelta(days=2)
    total = TIMELINE_PAGE_SIZE * 2 + 7
    # All at the same instant: only the id orders them, which an offset would get wrong as
    # soon as the database returns ties in another order.
    contacts = Contact.objects.bulk_create(
        Contact(
            application=application,
            candidate=application.candidate,
            channel=Channel.PHONE,
            direction=Direction.INBOUND,
            occurred_at=instant,
            source=ContactSource.MANUAL,
            summary=f"Call {i:03d}",
        )
        for i in range(total)
    )
    page = log_in(manager, form=False)
    page.goto(f"{live_server.url}/applications/{application.pk}/")
    items = page.locator("#timeline > li.contact")
    expect(items).to_have_count(TIMELINE_PAGE_SIZE)
    status = page.locator("#timeline-status")
    status.evaluate("el => { el.__sameNode = true; }")

    shown_before = TIMELINE_PAGE_SIZE
    for expected_count in (TIMELINE_PAGE_SIZE * 2, total):
        older = page.get_by_role("link", name="Older contacts")
        older.focus()
        page.keyboard.press("Enter")
        expect(items).to_have_count(expected_count)
        # The focus lands on the first contact of the new page, and the region says so.
        expect(items.nth(shown_before)).to_be_focused()
        shown_before = expected_count
        expect(status).to_contain_text("older contact")
        assert status.evaluate("el => el.__sameNode === true")

    expect(page.get_by_role("link", name="Older contacts")).to_have_count(0)
    expect(page.locator("#timeline-more")).to_contain_text("No older contacts.")
    expect(status).to_contain_text("that is the first contact")
    shown = items.evaluate_all("els => els.map(el => el.id)")
    expected = [f"contact-{c.pk}" for c in sorted(contacts, key=lambda c: c.pk, reverse=True)]
    assert shown == expected
    assert page.evaluate("document.querySelectorAll('[id^=contact-]').length") == total
