"""A move back to an earlier stage needs a reason, on every path that moves (issue #15, defect 2):
the rule is ``hiring.policy.is_move_back`` checked by ``candidates.services.stage_change_check``,
not the template."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from candidates.forms import MoveStageForm
from candidates.services import application_move
from hiring.models import SilenceTestState, StageKind
from tests.factories import ApplicationFactory, SilenceTestFactory, stage_of

pytestmark = pytest.mark.django_db


def test_a_move_back_without_a_reason_is_refused_and_the_test_keeps_running():
    test = SilenceTestFactory()
    application = test.application
    applied = stage_of(application.requisition, StageKind.APPLIED)
    with pytest.raises(ValidationError) as refused:
        application_move(
            application=application, to_stage=applied, actor=application.requisition.hiring_manager
        )
    assert refused.value.code == "reason_required"
    application.refresh_from_db()
    test.refresh_from_db()
    assert application.stage.kind == StageKind.SILENCE_TEST
    assert test.state == SilenceTestState.WAITING


def test_a_move_back_with_a_reason_is_kept_in_the_history():
    application = ApplicationFactory(interviewing=True)
    screen = stage_of(application.requisition, StageKind.SCREEN)
    transition = application_move(
        application=application,
        to_stage=screen,
        actor=application.requisition.hiring_manager,
        reason="  Second screen with the regional lead  ",
    )
    assert (transition.to_stage, transition.reason) == (
        screen,
        "Second screen with the regional lead",
    )


def test_a_move_forward_needs_no_reason():
    application = ApplicationFactory()
    screen = stage_of(application.requisition, StageKind.SCREEN)
    transition = application_move(
        application=application, to_stage=screen, actor=application.requisition.hiring_manager
    )
    assert transition.reason == ""


def test_the_move_view_refuses_a_move_back_without_a_reason(client):
    test = SilenceTestFactory()
    application = test.application
    applied = stage_of(application.requisition, StageKind.APPLIED)
    client.force_login(application.requisition.hiring_manager)
    response = client.post(
        reverse("candidates:application_move", args=[application.pk]),
        {"to_stage": applied.pk, "reason": ""},
    )
    assert response.status_code == 422
    assert "needs a reason" in response.text
    application.refresh_from_db()
    assert application.stage.kind == StageKind.SILENCE_TEST


def test_the_move_form_preselects_no_stage_and_requires_one():
    application = ApplicationFactory(at_silence_test=True)
    user = application.requisition.hiring_manager
    form = MoveStageForm(application=application, user=user)
    assert form["to_stage"].value() is None
    assert '<option value="" selected>' in str(form["to_stage"])
    bound = MoveStageForm({"to_stage": "", "reason": ""}, application=application, user=user)
    assert not bound.is_valid()
    assert "to_stage" in bound.errors
