"""A mistyped year (0001, 2999) is a clear error on every door that records an instant, never a
500: year 1 used to overflow the time-zone conversions behind contacts and announcements."""

import json

import pytest
from django.urls import reverse

from api.services import api_token_create
from followups.models import Contact
from hiring.models import SilenceTest
from tests.factories import ApplicationFactory, RequisitionFactory, UserFactory


@pytest.fixture
def team():
    manager = UserFactory(hiring_manager=True)
    recruiter = UserFactory(recruiter=True)
    requisition = RequisitionFactory(hiring_manager=manager, recruiters=[recruiter])
    return {
        "manager": manager,
        "recruiter": recruiter,
        "app": ApplicationFactory(requisition=requisition),
        "silence_app": ApplicationFactory(requisition=requisition, at_silence_test=True),
    }


def _bearer(user):
    _token, secret = api_token_create(user=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00Z", "2999-01-01T00:00:00Z"])
def test_the_api_refuses_a_contact_in_an_implausible_year(client, team, when):
    response = client.post(
        reverse("api:contact_create", kwargs={"pk": team["app"].pk}),
        json.dumps(
            {
                "external_id": "x-1",
                "channel": "phone",
                "direction": "inbound",
                "occurred_at": when,
            }
        ),
        content_type="application/json",
        **_bearer(team["recruiter"]),
    )
    assert response.status_code == 400
    assert "occurred_at" in response.json()["errors"]
    assert not Contact.objects.exists()


def test_the_api_refuses_an_announcement_in_year_one(client, team):
    response = client.post(
        reverse("api:silence_announce", kwargs={"pk": team["silence_app"].pk}),
        json.dumps({"announced_at": "0001-01-01T00:00:00Z"}),
        content_type="application/json",
        **_bearer(team["manager"]),
    )
    assert response.status_code == 400
    assert not SilenceTest.objects.exists()


@pytest.mark.parametrize("url_name", ["followups:contact_log", "followups:quick_log"])
def test_the_contact_forms_refuse_year_one_with_a_form_error(client, team, url_name):
    client.force_login(team["recruiter"])
    app = team["app"]
    if url_name == "followups:quick_log":
        url = reverse(url_name) + f"?application={app.pk}"
    else:
        url = reverse(url_name, args=[app.pk])
    response = client.post(
        url,
        {
            "channel": "phone",
            "direction": "inbound",
            "occurred_at": "0001-01-01T00:00",
            "summary": "typo in the year",
        },
    )
    assert response.status_code in (200, 422)
    assert "Give a date between 2000 and 2099." in response.text
    assert not Contact.objects.exists()


def test_a_round_with_a_recruiter_on_the_panel_is_created(client, team):
    # The application page loads the team as JSON columns; the POST's form must still see the
    # recruiters (it used to build on an empty prefetched query set and refuse them).
    client.force_login(team["manager"])
    app = team["app"]
    response = client.post(
        reverse("candidates:round_create", args=[app.pk]),
        {"title": "Panel", "interviewers": [team["manager"].pk, team["recruiter"].pk]},
    )
    assert response.status_code == 302, response.text[:500]
    interview_round = app.rounds.get()
    assert set(interview_round.interviewers.values_list("pk", flat=True)) == {
        team["manager"].pk,
        team["recruiter"].pk,
    }
