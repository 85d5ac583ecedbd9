"""An email full of script payloads renders as inert text on the application page."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from followups.models import Contact
from followups.services import email_ingest
from tests.emails import make_email
from tests.factories import ApplicationFactory, CandidateFactory, RequisitionFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HOSTILE_HTML = """<html><body>
<p>Hi Morgan, here is my 30-60-90 day plan.</p>
<script>alert(1)</script>
<img src=x onerror=alert(2)>
<p><a href="javascript:alert(3)">x</a></p>
<svg onload=alert(4)><circle r=5></circle></svg>
<p>Escaped: &lt;img src=y onerror=alert(5)&gt;</p>
<iframe src="javascript:alert(6)"></iframe>
<p>Best, Priya</p>
</body></html>"""


def test_hostile_email_html_renders_inert(live_server, log_in):
    manager = UserFactory(hiring_manager=True)
    candidate = CandidateFactory(first_name="Priya", last_name="Raman", email="priya@mail.example")
    application = ApplicationFactory(
        candidate=candidate, requisition=RequisitionFactory(hiring_manager=manager)
    )
    outcome = email_ingest(
        raw=make_email(
            from_="Priya Raman <priya@mail.example>",
            subject="<script>alert(7)</script> My plan",
            body="",
            html=HOSTILE_HTML,
        ),
        source="pipe",
        now=timezone.now(),
    )
    assert outcome.status == "stored"
    assert Contact.objects.get(pk=outcome.contact_id).application_id == application.pk

    page = log_in(manager, form=False)
    dialogs, errors = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    def on_console(message):
        if message.type == "error":
            errors.append(f"{message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{live_server.url}/applications/{application.pk}/")
    entry = page.locator("#contacts li.contact.channel-email")
    expect(entry).to_have_count(1)
    expect(entry.locator(".subject")).to_have_text("<script>alert(7)</script> My plan")
    body = entry.locator("details.email-body .body-text")
    expect(body).to_be_hidden()
    entry.locator("details.email-body summary").click()
    expect(body).to_be_visible()
    expect(body).to_contain_text("here is my 30-60-90 day plan.")
    expect(body).to_contain_text("Best, Priya")
    # An escaped payload in the email is shown as the text it is, never parsed as markup.
    expect(body).to_contain_text("<img src=y onerror=alert(5)>")
    # Let anything that could fire (image errors, onload, timers) have its chance.
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)

    assert body.locator("script, img, svg, iframe, a, object, embed").count() == 0
    assert page.locator("[onerror], [onload], a[href^='javascript:' i]").count() == 0
    # The only scripts on the page are the app's own, loaded from files.
    assert page.locator("script:not([src])").count() == 0
    assert dialogs == []
    assert errors == []
