"""Issue #13, finding 4: who may put an application in which stage holds on every path that
sets a stage — creating it (form and service), moving it, and the admin. Offers and hires are
the requisition's hiring manager's (or an admin's) decision."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from candidates.forms import ApplicationCreateForm
from candidates.models import Application, StageTransition
from candidates.services import application_create, application_move
from hiring import policy
from hiring.models import StageKind
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    RequisitionFactory,
    UserFactory,
    stage_of,
)


@pytest.fixture
def team():
    manager, recruiter = UserFactory(hiring_manager=True), UserFactory(recruiter=True)
    requisition = RequisitionFactory(hiring_manager=manager, recruiters=[recruiter])
    return {"manager": manager, "recruiter": recruiter, "requisition": requisition}


def _create(client, user, requisition, stage):
    client.force_login(user)
    return client.post(
        reverse("candidates:application_create", args=[requisition.pk]),
        {"first_name": "Casey", "emails": "casey@mail.example", "stage": stage.pk},
    )


@pytest.mark.parametrize("kind", [StageKind.OFFER])
def test_recruiter_cannot_create_an_application_in_offer_through_the_form(client, team, kind):
    # Hired is terminal and never offered on the form; Offer was (issue #13, finding 4).
    requisition = team["requisition"]
    response = _create(client, team["recruiter"], requisition, stage_of(requisition, kind))
    assert response.status_code == 422
    assert not Application.objects.filter(requisition=requisition).exists()


def test_the_form_offers_a_recruiter_only_the_stages_they_may_set(team):
    requisition = team["requisition"]
    offer = stage_of(requisition, StageKind.OFFER)
    for_recruiter = ApplicationCreateForm(requisition=requisition, user=team["recruiter"])
    for_manager = ApplicationCreateForm(requisition=requisition, user=team["manager"])
    assert offer not in for_recruiter.fields["stage"].queryset
    assert offer in for_manager.fields["stage"].queryset


def test_hiring_manager_may_create_an_application_in_offer(client, team):
    requisition = team["requisition"]
    offer = stage_of(requisition, StageKind.OFFER)
    response = _create(client, team["manager"], requisition, offer)
    assert response.status_code == 302
    assert Application.objects.get(requisition=requisition).stage == offer


@pytest.mark.parametrize("kind", [StageKind.OFFER, StageKind.HIRED])
def test_the_create_service_refuses_a_decision_stage_to_a_recruiter(team, kind):
    requisition = team["requisition"]
    with pytest.raises(PermissionDenied):
        application_create(
            candidate=CandidateFactory(),
            requisition=requisition,
            actor=team["recruiter"],
            stage=stage_of(requisition, kind),
        )
    assert not Application.objects.filter(requisition=requisition).exists()


def test_move_and_create_follow_the_same_rule(team):
    requisition = team["requisition"]
    for stage in requisition.pipeline.stages.all():
        for user in (team["recruiter"], team["manager"], UserFactory(hiring_manager=True)):
            allowed = policy.may_set_stage(user, requisition, stage)
            assert allowed == policy.stages_settable(user, requisition).filter(pk=stage.pk).exists()
            decision = stage.kind in {StageKind.OFFER, StageKind.HIRED}
            assert allowed == (not decision or user == team["manager"])
    application = ApplicationFactory(requisition=requisition)
    with pytest.raises(PermissionDenied):
        application_move(
            application=application,
            to_stage=stage_of(requisition, StageKind.OFFER),
            actor=team["recruiter"],
        )


def _admin_add(client, user, requisition, stage):
    client.force_login(user)
    return client.post(
        reverse("admin:candidates_application_add"),
        {
            "candidate": CandidateFactory().pk,
            "requisition": requisition.pk,
            "stage": stage.pk,
            "source": "",
            "transitions-TOTAL_FORMS": "0",
            "transitions-INITIAL_FORMS": "0",
            "transitions-MIN_NUM_FORMS": "0",
            "transitions-MAX_NUM_FORMS": "1000",
        },
    )


def test_the_admin_add_form_applies_the_stage_rule(client, team):
    # A recruiter someone made staff with the model permissions still may not set Offer there.
    recruiter = team["recruiter"]
    recruiter.is_staff = True
    recruiter.save()
    recruiter.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="candidates", codename__endswith="_application"
        )
    )
    requisition = team["requisition"]
    response = _admin_add(client, recruiter, requisition, stage_of(requisition, StageKind.OFFER))
    assert response.status_code == 200  # the form again, with the error
    assert "Only the hiring manager" in response.text
    assert not Application.objects.filter(requisition=requisition).exists()


def test_the_admin_add_form_creates_through_the_service_with_history(client, team):
    admin = UserFactory(admin=True)
    requisition = team["requisition"]
    offer = stage_of(requisition, StageKind.OFFER)
    response = _admin_add(client, admin, requisition, offer)
    assert response.status_code == 302
    application = Application.objects.get(requisition=requisition)
    assert application.stage == offer
    transition = StageTransition.objects.get(application=application)
    assert (transition.from_stage, transition.to_stage, transition.actor) == (None, offer, admin)
