"""Small things pages say and offer (issue #15): dates that agree, focus, icons, buttons."""

import datetime as dt

from django.contrib.staticfiles.storage import staticfiles_storage
from django.urls import reverse
from django.utils import timezone

from candidates import services as candidate_services
from followups.models import Channel
from silence.services import silence_tests_sweep
from tests.factories import (
    CandidateFactory,
    ContactFactory,
    RequisitionFactory,
    SilenceTestFactory,
    UserFactory,
)


def test_application_header_shows_the_applied_date_of_its_stage_history(client):
    # An application entered with its real (earlier) date: the header agrees with the history.
    requisition = RequisitionFactory()
    applied = timezone.now() - dt.timedelta(days=29)
    application = candidate_services.application_create(
        candidate=CandidateFactory(), requisition=requisition, at=applied
    )
    client.force_login(requisition.hiring_manager)
    text = client.get(reverse("candidates:application_detail", args=[application.pk])).text
    assert f"applied {applied:%-d %b %Y}" in text
    assert f"applied {timezone.now():%-d %b %Y}" not in text


def test_add_candidate_form_starts_in_its_first_field(client):
    recruiter = UserFactory(recruiter=True)
    requisition = RequisitionFactory(recruiters=[recruiter])
    client.force_login(recruiter)
    text = client.get(reverse("candidates:application_create", args=[requisition.pk])).text
    assert 'name="first_name"' in text
    first_name = text[text.index("<input", text.index('id="id_first_name"') - 200) :]
    assert "autofocus" in first_name[: first_name.index(">")]


def test_a_finished_test_offers_a_new_one_only_as_a_secondary_action(client):
    test = SilenceTestFactory(closing=True)
    ContactFactory(
        application=test.application,
        channel=Channel.PHONE,
        occurred_at=test.deadline_at + dt.timedelta(hours=3),
    )
    silence_tests_sweep(now=timezone.now())
    test.refresh_from_db()
    assert not test.is_open
    application = test.application
    application.refresh_from_db()
    assert application.stage.kind == "silence_test"
    client.force_login(application.requisition.hiring_manager)
    text = client.get(reverse("candidates:application_detail", args=[application.pk])).text
    assert "Start the silence test" not in text
    assert '<button class="button" type="submit">Start a new test</button>' in text
    assert '<details class="announce" >' in text  # closed: not the page's main action


def test_admin_pages_name_the_site_icon(client):
    admin = UserFactory(admin=True, is_superuser=True)
    client.force_login(admin)
    text = client.get(reverse("admin:index")).text
    assert f'<link rel="icon" href="{staticfiles_storage.url("favicon.svg")}"' in text
