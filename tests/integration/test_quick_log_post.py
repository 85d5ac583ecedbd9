"""The quick-log form posts back to the quick log (issue #15, defect 7): a mistake is shown on
the quick-log page with what was typed, a logged contact returns to the search, and another
team's application is out of reach on this door too."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from followups.models import Contact
from tests.factories import ApplicationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def recruiter_app():
    recruiter = UserFactory(recruiter=True)
    return recruiter, ApplicationFactory(requisition__recruiters=[recruiter])


def _call(**overrides) -> dict:
    return {
        "channel": "phone",
        "direction": "inbound",
        "occurred_at": timezone.now().strftime("%Y-%m-%dT%H:%M"),
        "duration": "7:30",
        **overrides,
    }


def _quick_log_url(app) -> str:
    return f"{reverse('followups:quick_log')}?application={app.pk}&q=smith"


def test_quick_log_page_posts_to_itself_and_opens_on_the_duration(client, recruiter_app):
    recruiter, app = recruiter_app
    client.force_login(recruiter)
    html = client.get(_quick_log_url(app)).text
    assert 'action="/log/?application=' in html
    duration_input = re.search(r'<input[^>]*name="duration"[^>]*>', html).group()
    assert "autofocus" in duration_input


def test_a_mistake_stays_on_the_quick_log_with_the_input(client, recruiter_app):
    recruiter, app = recruiter_app
    client.force_login(recruiter)
    response = client.post(_quick_log_url(app), _call(duration="ten minutes"))
    assert response.status_code == 422
    assert response.templates[0].name == "followups/quick_log.html"
    assert "Write the duration" in response.text
    assert 'value="ten minutes"' in response.text
    assert not Contact.objects.filter(application=app).exists()


def test_a_logged_call_returns_to_the_quick_log_search(client, recruiter_app):
    recruiter, app = recruiter_app
    client.force_login(recruiter)
    response = client.post(_quick_log_url(app), _call(), follow=True)
    assert response.redirect_chain[-1][0] == reverse("followups:quick_log")
    assert f"Phone call with {app.candidate.full_name} logged" in response.text
    assert Contact.objects.get(application=app).duration_seconds == 450


def test_posting_a_call_for_another_teams_application_is_404(client, recruiter_app):
    recruiter, _app = recruiter_app
    other = ApplicationFactory()
    client.force_login(recruiter)
    assert client.post(_quick_log_url(other), _call()).status_code == 404
    assert not Contact.objects.filter(application=other).exists()
