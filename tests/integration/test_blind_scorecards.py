"""Blind scorecards (issue #15): others' ratings of a round only after submitting your own,
unless the hiring manager or an admin reveals the round."""

import pytest
from django.urls import reverse

from audit.models import AuditAction, AuditEvent
from candidates.models import Recommendation
from tests.factories import (
    ApplicationFactory,
    InterviewRoundFactory,
    RequisitionFactory,
    ScorecardFactory,
    UserFactory,
)

OTHERS_NOTE = "Pushed back on price three times, nicely."


@pytest.fixture
def world():
    manager = UserFactory(hiring_manager=True)
    recruiter = UserFactory(recruiter=True, first_name="Rita", last_name="Recruiter")
    other = UserFactory(recruiter=True, first_name="Oscar", last_name="Other")
    requisition = RequisitionFactory(hiring_manager=manager, recruiters=[recruiter, other])
    application = ApplicationFactory(requisition=requisition, interviewing=True)
    interview_round = InterviewRoundFactory(application=application, sequence=1)
    ScorecardFactory(
        round=interview_round,
        interviewer=other,
        recommendation=Recommendation.STRONG_NO,
        notes=OTHERS_NOTE,
        tenacity=1,
    )
    return {
        "manager": manager,
        "recruiter": recruiter,
        "other": other,
        "app": application,
        "round": interview_round,
    }


def page(client, user, application):
    client.force_login(user)
    return client.get(reverse("candidates:application_detail", args=[application.pk]))


def test_an_interviewer_who_has_not_rated_sees_no_other_scorecard(client, world):
    text = page(client, world["recruiter"], world["app"]).content.decode()
    assert OTHERS_NOTE not in text
    assert "Strong no" not in text
    assert "1 scorecard hidden until you submit yours" in text
    assert "★" not in text  # the average would give the ratings away


def test_the_hiring_manager_is_blind_too_until_rating(client, world):
    text = page(client, world["manager"], world["app"]).content.decode()
    assert OTHERS_NOTE not in text
    assert "Reveal every scorecard of this round" in text


def test_after_submitting_your_own_you_see_the_others(client, world):
    ScorecardFactory(round=world["round"], interviewer=world["recruiter"])
    text = page(client, world["recruiter"], world["app"]).content.decode()
    assert OTHERS_NOTE in text
    assert "hidden until you submit" not in text


def test_a_recruiter_cannot_reveal_a_round(client, world):
    client.force_login(world["recruiter"])
    url = reverse("candidates:scorecards_reveal", args=[world["app"].pk, world["round"].pk])
    assert client.post(url).status_code == 403
    world["round"].refresh_from_db()
    assert world["round"].scorecards_revealed_at is None


def test_the_hiring_manager_reveals_a_round_for_everyone_and_it_is_audited(client, world):
    client.force_login(world["manager"])
    url = reverse("candidates:scorecards_reveal", args=[world["app"].pk, world["round"].pk])
    assert client.post(url).status_code == 302
    assert OTHERS_NOTE in page(client, world["recruiter"], world["app"]).content.decode()
    event = AuditEvent.objects.get(action=AuditAction.SCORECARDS_REVEALED)
    assert event.actor == world["manager"]


def test_another_teams_round_cannot_be_revealed(client, world):
    client.force_login(UserFactory(hiring_manager=True))
    url = reverse("candidates:scorecards_reveal", args=[world["app"].pk, world["round"].pk])
    assert client.post(url).status_code == 404
