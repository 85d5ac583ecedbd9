"""The stage editor in the admin (issue #15): reordering, plain-language errors, pickers,
the silence sentence preview, and the configuration rules one pipeline or requisition obeys."""

import datetime as dt
import html

import pytest
import time_machine
from django.apps import apps
from django.db import models
from django.urls import reverse

from hiring.models import Requisition, Stage, StageKind
from tests.factories import PipelineFactory, RequisitionFactory, UserFactory, stage_of


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(admin=True))
    return client


def pipeline_post_data(pipeline, changes=None, extra_rows=()):
    """The pipeline change form as the admin posts it, with ``changes`` per stage id."""
    changes = changes or {}
    stages = list(pipeline.stages.order_by("order"))
    data = {
        "name": pipeline.name,
        "description": pipeline.description,
        "stages-TOTAL_FORMS": str(len(stages) + len(extra_rows)),
        "stages-INITIAL_FORMS": str(len(stages)),
        "stages-MIN_NUM_FORMS": "0",
        "stages-MAX_NUM_FORMS": "1000",
        # The scorecard traits inline, left as it is (none configured: the defaults apply).
        "scorecard_traits-TOTAL_FORMS": "0",
        "scorecard_traits-INITIAL_FORMS": "0",
        "scorecard_traits-MIN_NUM_FORMS": "0",
        "scorecard_traits-MAX_NUM_FORMS": "5",
    }
    rows = [
        {
            "id": stage.pk,
            "pipeline": pipeline.pk,
            "order": stage.order,
            "name": stage.name,
            "kind": stage.kind,
            "stuck_after_days": stage.stuck_after_days or "",
            **changes.get(stage.pk, {}),
        }
        for stage in stages
    ]
    rows += [{"pipeline": pipeline.pk, **row} for row in extra_rows]
    for i, row in enumerate(rows):
        data.update({f"stages-{i}-{key}": value for key, value in row.items()})
    return data


def stage_post_data(stage, **changes):
    data = {
        "pipeline": stage.pipeline_id,
        "name": stage.name,
        "order": stage.order,
        "kind": stage.kind,
        "stuck_after_days": stage.stuck_after_days or "",
        "silence_weekday": stage.silence_weekday,
        "silence_local_time": stage.silence_local_time.strftime("%H:%M"),
        "silence_lead_hours": stage.silence_lead_hours,
        "silence_window_business_days": stage.silence_window_business_days,
        "silence_action": stage.silence_action,
        "silence_show_candidate_zone": "on",
    }
    data.update(changes)
    return data


def page_text(response) -> str:
    return html.unescape(response.content.decode())


# --- defect 1: reordering --------------------------------------------------------------------


def test_swapping_two_stages_order_in_the_pipeline_editor_saves(admin_client):
    pipeline = PipelineFactory()
    third, fourth = pipeline.stages.order_by("order")[2:4]
    assert (third.order, fourth.order) == (30, 40)
    url = reverse("admin:hiring_pipeline_change", args=[pipeline.pk])
    response = admin_client.post(
        url, pipeline_post_data(pipeline, {third.pk: {"order": 40}, fourth.pk: {"order": 30}})
    )
    assert response.status_code == 302, page_text(response)[:2000]
    third.refresh_from_db()
    fourth.refresh_from_db()
    assert (third.order, fourth.order) == (40, 30)


def test_the_pipeline_editor_offers_drag_and_drop_ordering(admin_client):
    pipeline = PipelineFactory()
    page = admin_client.get(reverse("admin:hiring_pipeline_change", args=[pipeline.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "adminsortable2" in text  # its script and styles
    assert 'class="_reorder_"' in text  # the hidden positions its script renumbers


def test_moving_a_stage_onto_a_taken_position_on_its_own_page_is_a_form_error(admin_client):
    pipeline = PipelineFactory()
    third, fourth = pipeline.stages.order_by("order")[2:4]
    url = reverse("admin:hiring_stage_change", args=[third.pk])
    response = admin_client.post(url, stage_post_data(third, order=fourth.order))
    assert response.status_code == 200
    assert "Two stages of a pipeline cannot have the same position." in page_text(response)
    third.refresh_from_db()
    assert third.order == 30


# --- defect 10: plain-language constraint messages -------------------------------------------


def _project_check_constraints():
    for model in apps.get_models():
        if model._meta.app_label not in {
            "hiring",
            "candidates",
            "followups",
            "evidence",
            "privacy",
            "twofactor",
            "audit",
        }:
            continue
        for constraint in model._meta.constraints:
            if isinstance(constraint, models.CheckConstraint | models.UniqueConstraint):
                yield model, constraint


def test_every_check_constraint_has_a_plain_language_message():
    checks = [
        (m, c) for m, c in _project_check_constraints() if isinstance(c, models.CheckConstraint)
    ]
    assert len(checks) > 30
    for model, constraint in checks:
        message = constraint.get_violation_error_message()
        assert constraint.name not in message, (model, constraint.name)
        assert "is violated" not in message, (model, constraint.name)


def test_stuck_after_zero_days_says_so_in_words(admin_client):
    stage = PipelineFactory().stages.order_by("order").first()
    url = reverse("admin:hiring_stage_change", args=[stage.pk])
    response = admin_client.post(url, stage_post_data(stage, stuck_after_days="0"))
    text = page_text(response)
    assert response.status_code == 200
    assert "stage_stuck_after_days_positive" not in text
    assert "“Stuck after days” is at least 1" in text


def test_weights_with_a_latency_taper_that_does_not_fall_say_so_in_words(admin_client):
    from followups.models import ScoringWeights
    from scoring.views import WEIGHT_FIELDS

    current = ScoringWeights.objects.order_by("-version").first()
    data = {name: getattr(current, name) for name in WEIGHT_FIELDS}
    data.update(latency_full_hours=72, latency_zero_hours=24, note="", save="1")
    response = admin_client.post(reverse("followups:weights_edit"), data)
    text = page_text(response)
    assert "weights_latency_taper_positive" not in text
    assert "is violated" not in text
    assert "“Latency zero hours” must be more than “Latency full hours”" in text


def test_a_constraint_violation_found_by_model_validation_reads_as_a_sentence():
    from django.core.exceptions import ValidationError

    stage = Stage(pipeline=PipelineFactory(stages=()), name="X", order=1, stuck_after_days=0)
    with pytest.raises(ValidationError) as error:
        stage.full_clean()
    assert "stage_stuck_after_days_positive" not in str(error.value)


# --- defect 11: the silence help text --------------------------------------------------------


def test_silence_weekday_help_text_shows_its_placeholder(admin_client):
    stage = stage_of(RequisitionFactory(), StageKind.SILENCE_TEST)
    page = admin_client.get(reverse("admin:hiring_stage_change", args=[stage.pk]))
    text = page.content.decode()
    assert "you'll hear from us by ”" not in html.unescape(text)
    assert "hear from us by [weekday] [time]" in html.unescape(text)


# --- defect 12: configuration rules --------------------------------------------------------------


def test_a_second_silence_stage_on_the_pipeline_page_is_refused(admin_client):
    pipeline = PipelineFactory()
    interview = pipeline.stages.get(name="Interview 2")
    url = reverse("admin:hiring_pipeline_change", args=[pipeline.pk])
    response = admin_client.post(
        url, pipeline_post_data(pipeline, {interview.pk: {"kind": StageKind.SILENCE_TEST}})
    )
    assert response.status_code == 200
    assert "A pipeline has at most one silence-test stage" in page_text(response)
    assert pipeline.stages.filter(kind=StageKind.SILENCE_TEST).count() == 1


def test_a_second_silence_stage_on_the_stage_page_is_refused(admin_client):
    pipeline = PipelineFactory()
    interview = pipeline.stages.get(name="Interview 2")
    url = reverse("admin:hiring_stage_change", args=[interview.pk])
    response = admin_client.post(url, stage_post_data(interview, kind=StageKind.SILENCE_TEST))
    assert response.status_code == 200
    assert "A pipeline has at most one silence-test stage." in page_text(response)


def requisition_post_data(pipeline, manager, recruiters=(), **changes):
    data = {
        "title": "Account Executive",
        "pipeline": pipeline.pk,
        "hiring_manager": manager.pk,
        "recruiters": [r.pk for r in recruiters],
        "time_zone": "Europe/Stockholm",
        "country": "SE",
        "subdivision": "",
        "status": "open",
    }
    data.update(changes)
    return data


def test_a_recruiter_cannot_be_a_requisitions_hiring_manager(admin_client):
    recruiter = UserFactory(recruiter=True)
    response = admin_client.post(
        reverse("admin:hiring_requisition_add"),
        requisition_post_data(PipelineFactory(), recruiter),
    )
    assert response.status_code == 200
    assert not Requisition.objects.exists()


def test_a_hiring_manager_cannot_be_assigned_as_a_recruiter(admin_client):
    manager = UserFactory(hiring_manager=True)
    response = admin_client.post(
        reverse("admin:hiring_requisition_add"),
        requisition_post_data(PipelineFactory(), manager, recruiters=[manager]),
    )
    assert response.status_code == 200
    assert not Requisition.objects.exists()


def test_requisition_pickers_offer_only_people_with_the_role(admin_client):
    manager = UserFactory(hiring_manager=True)
    recruiter = UserFactory(recruiter=True)
    bystander = UserFactory()
    page = admin_client.get(reverse("admin:hiring_requisition_add"))
    form = page.context["adminform"].form
    managers = set(form.fields["hiring_manager"].queryset)
    recruiters = set(form.fields["recruiters"].queryset)
    assert managers >= {manager}
    assert not managers & {recruiter, bystander}
    assert recruiters >= {recruiter}
    assert not recruiters & {manager, bystander}


def test_a_lower_case_country_is_upper_cased_not_refused(admin_client):
    manager = UserFactory(hiring_manager=True)
    response = admin_client.post(
        reverse("admin:hiring_requisition_add"),
        requisition_post_data(PipelineFactory(), manager, country="se"),
    )
    assert response.status_code == 302, page_text(response)[:3000]
    assert Requisition.objects.get().country == "SE"


def test_model_validation_upper_cases_the_country():
    requisition = RequisitionFactory.build(
        pipeline=PipelineFactory(), hiring_manager=UserFactory(hiring_manager=True), country="se"
    )
    requisition.full_clean()
    assert requisition.country == "SE"


def test_the_country_and_time_zone_are_pickers(admin_client):
    page = admin_client.get(reverse("admin:hiring_requisition_add"))
    form = page.context["adminform"].form
    assert ("SE", "Sweden (SE)") in form.fields["country"].choices
    assert ("Europe/Stockholm", "Europe/Stockholm") in form.fields["time_zone"].choices
    assert ("localtime", "localtime") not in form.fields["time_zone"].choices


# --- the silence sentence preview --------------------------------------------------------------


def test_the_silence_stage_page_previews_the_sentence_with_the_real_deadline(client):
    requisition = RequisitionFactory(title="AE Stockholm", time_zone="Europe/Stockholm")
    Requisition.objects.filter(pk=requisition.pk).update(country="SE")
    stage = stage_of(requisition, StageKind.SILENCE_TEST)
    with time_machine.travel(dt.datetime(2027, 3, 1, 15, 0, tzinfo=dt.UTC), tick=False):
        client.force_login(UserFactory(admin=True))
        page = client.get(reverse("admin:hiring_stage_change", args=[stage.pk]))
    # Monday 1 March, 48 hours' lead: Friday 5 March, 5 pm Stockholm time.
    assert (
        "AE Stockholm: “you'll hear from us by Friday 5 March, 5 pm Stockholm time; "
        "if you haven't, reach out.”" in page_text(page)
    )


def test_a_retention_of_zero_months_says_so_in_words(admin_client):
    response = admin_client.post(
        reverse("admin:privacy_retentionpolicy_add"), {"anonymise_after_months": "0"}
    )
    text = page_text(response)
    assert response.status_code == 200
    assert "retention_policy_months_positive" not in text
    assert "is violated" not in text
    assert "greater than or equal to 1" in text  # the field's validator speaks first
