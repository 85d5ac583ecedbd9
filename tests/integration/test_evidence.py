"""Evidence (issue #16): the audit selector, its CSV and command agree; human review in the EU;
alternative assessments; the imports; the weights backtest."""

import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from candidates.models import StageTransition
from candidates.services import application_move
from evidence import selectors, services
from evidence.models import PostHireOutcome, SelfIdentification, SelfIdSource
from hiring.forms import HumanReviewStageForm
from hiring.models import SilenceAction, SilenceTestState, StageKind
from silence.services import silence_test_announce, silence_tests_sweep
from tests.factories import (
    ApplicationFactory,
    ContactFactory,
    RequisitionFactory,
    SilenceTestFactory,
    UserFactory,
    stage_of,
)


def _self_id(application, sex, race):
    services.self_id_record(
        candidate=application.candidate,
        sex=sex,
        race_ethnicity=race,
        source=SelfIdSource.CANDIDATE,
        now=timezone.now(),
    )


def _closed_test(*, requisition, reached: bool, **kwargs):
    test = SilenceTestFactory(closing=True, application__requisition=requisition, **kwargs)
    if reached:
        ContactFactory(
            application=test.application, occurred_at=test.deadline_at + dt.timedelta(hours=1)
        )
    return test


# --- The selector ---------------------------------------------------------------------------------


def test_audit_counts_selection_per_category_and_leaves_out_what_it_must(client):
    requisition = RequisitionFactory()
    female_yes = _closed_test(requisition=requisition, reached=True)
    female_no = _closed_test(requisition=requisition, reached=False)
    male_yes = _closed_test(requisition=requisition, reached=True)
    unknown = _closed_test(requisition=requisition, reached=False)
    contaminated = _closed_test(requisition=requisition, reached=True)
    cancelled = SilenceTestFactory(application__requisition=requisition)
    accommodated = _closed_test(requisition=requisition, reached=True)
    for test, sex in ((female_yes, "female"), (female_no, "female"), (male_yes, "male")):
        _self_id(test.application, sex, "asian")
    _self_id(unknown.application, "declined", "declined")
    silence_tests_sweep(now=timezone.now())
    contaminated.refresh_from_db()
    contaminated.contaminated_at = contaminated.deadline_at + dt.timedelta(hours=2)
    contaminated.save()
    cancelled.state, cancelled.cancelled_at = SilenceTestState.CANCELLED, timezone.now()
    cancelled.save()
    accommodated.application.alternative_assessment = True
    accommodated.application.save()

    audit = selectors.bias_audit(selectors.Scope(requisition_id=requisition.pk))

    assert (audit.finished, audit.excluded_contaminated) == (4, 1)
    assert (audit.excluded_cancelled, audit.excluded_alternative) == (1, 1)
    sex = audit.measures[0].dimensions[0]
    rows = {row.category: row for row in sex.rows}
    assert (rows["Female"].n, rows["Female"].selected) == (2, 1)
    assert (rows["Male"].n, rows["Male"].selected) == (1, 1)
    # Male (1 of 1) used to be the reference and flag Female at 0.5: no category has 5 people,
    # so there is no reference, no ratio and no flag, and the audit says why.
    assert rows["Female"].impact_ratio is None
    assert not rows["Female"].flagged
    assert not any(row.is_reference for row in sex.rows)
    assert "at least 5 people" in sex.no_ratio_reason
    client.force_login(UserFactory(admin=True, is_superuser=True))
    page = client.get(reverse("evidence:bias_audit"), {"requisition": requisition.pk})
    assert "no category has at least 5 people" in page.text
    assert (sex.unknown_n, sex.unknown_selected) == (1, 0)


def test_audit_date_range_is_by_window_close():
    requisition = RequisitionFactory()
    test = _closed_test(requisition=requisition, reached=True)
    silence_tests_sweep(now=timezone.now())
    closes = test.window_closes_at.date()
    inside = selectors.Scope(requisition_id=requisition.pk, since=closes, until=closes)
    after = selectors.Scope(requisition_id=requisition.pk, since=closes + dt.timedelta(days=1))
    assert selectors.bias_audit(inside).finished == 1
    assert selectors.bias_audit(after).finished == 0


def test_the_page_csv_command_and_selector_agree_on_the_demo_data(client):
    call_command("seed_demo", stdout=io.StringIO())
    expected = [
        list(row) for row in selectors.bias_audit_csv_rows(selectors.bias_audit(selectors.Scope()))
    ]
    assert int(expected[1][3]) > 20  # finished tests: the demo has real numbers
    out = io.StringIO()
    call_command("bias_audit", "--csv", stdout=out)
    assert list(csv.reader(io.StringIO(out.getvalue()))) == expected
    client.force_login(UserFactory(admin=True, is_superuser=True))
    response = client.get(reverse("evidence:bias_audit_csv"))
    assert response.status_code == 200
    assert list(csv.reader(io.StringIO(response.content.decode()))) == expected
    page = client.get(reverse("evidence:bias_audit"))
    assert page.status_code == 200
    assert f'<td class="num">{expected[1][3]}</td>' in page.text
    assert client.get(reverse("evidence:validity")).status_code == 200
    assert PostHireOutcome.objects.exists()
    assert SelfIdentification.objects.filter(sex="declined").exists()


def test_bias_audit_command_refuses_bad_dates():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("bias_audit", "--since", "2025-13-01")


def test_bias_audit_page_reports_a_bad_filter_as_400(client):
    client.force_login(UserFactory(admin=True, is_superuser=True))
    response = client.get(reverse("evidence:bias_audit"), {"since": "nonsense"})
    assert response.status_code == 400
    assert client.get(reverse("evidence:bias_audit_csv"), {"until": "x"}).status_code == 400


# --- Human review in the EU/EEA/UK ----------------------------------------------------------------


def _auto_rejecting(requisition):
    stage = stage_of(requisition, StageKind.SILENCE_TEST)
    stage.silence_action = SilenceAction.AUTO_REJECT
    stage.save()


def test_the_sweeper_never_auto_rejects_in_an_eu_requisition():
    berlin = RequisitionFactory(berlin=True)
    new_york = RequisitionFactory(pipeline=berlin.pipeline)
    _auto_rejecting(berlin)
    in_eu = _closed_test(requisition=berlin, reached=False)
    in_us = _closed_test(requisition=new_york, reached=False)

    result = silence_tests_sweep(now=timezone.now())

    assert result.auto_rejected == 1
    in_eu.application.refresh_from_db()
    in_us.application.refresh_from_db()
    assert in_eu.application.stage.kind == StageKind.SILENCE_TEST
    assert in_us.application.stage.kind == StageKind.REJECTED


def test_the_sweeper_never_auto_rejects_an_alternative_assessment():
    requisition = RequisitionFactory()
    _auto_rejecting(requisition)
    test = _closed_test(requisition=requisition, reached=False)
    test.application.alternative_assessment = True
    test.application.save()
    assert silence_tests_sweep(now=timezone.now()).auto_rejected == 0


def test_the_stage_form_does_not_offer_auto_reject_for_a_pipeline_with_eu_requisitions():
    berlin = RequisitionFactory(berlin=True)
    stage = stage_of(berlin, StageKind.SILENCE_TEST)
    form = HumanReviewStageForm(instance=stage)
    assert SilenceAction.AUTO_REJECT not in dict(form.fields["silence_action"].choices)
    us_stage = stage_of(RequisitionFactory(), StageKind.SILENCE_TEST)
    assert SilenceAction.AUTO_REJECT in dict(
        HumanReviewStageForm(instance=us_stage).fields["silence_action"].choices
    )


def test_a_rejection_in_the_eu_records_the_human_who_decided():
    application = ApplicationFactory(requisition=RequisitionFactory(berlin=True))
    rejected = stage_of(application.requisition, StageKind.REJECTED)
    with pytest.raises(ValidationError, match="need a person"):
        application_move(application=application, to_stage=rejected, actor=None, reason="x")
    manager = application.requisition.hiring_manager
    application_move(application=application, to_stage=rejected, actor=manager, reason="No.")
    assert StageTransition.objects.get(application=application, to_stage=rejected).actor == manager


# --- Alternative assessment -----------------------------------------------------------------------


def test_an_alternative_assessment_cancels_the_open_test_and_refuses_a_new_one():
    test = SilenceTestFactory()
    application = test.application
    recruiter = UserFactory(recruiter=True)
    application.requisition.recruiters.add(recruiter)
    services.alternative_assessment_set(
        application=application,
        actor=recruiter,
        reason="Asked for a written exercise.",
        now=timezone.now(),
    )
    test.refresh_from_db()
    assert test.state == SilenceTestState.CANCELLED
    application.refresh_from_db()
    assert application.alternative_assessment_reason == "Asked for a written exercise."
    with pytest.raises(ValidationError, match="alternative assessment"):
        silence_test_announce(
            application=application,
            announced_by=recruiter,
            recorded_by=recruiter,
            announced_at=timezone.now(),
            now=timezone.now(),
        )


def test_an_alternative_assessment_is_refused_once_the_silence_test_has_finished(client):
    requisition = RequisitionFactory()
    test = _closed_test(requisition=requisition, reached=False)
    silence_tests_sweep(now=timezone.now())
    test.refresh_from_db()
    assert test.state == SilenceTestState.CLOSED
    application = test.application
    manager = requisition.hiring_manager
    with pytest.raises(ValidationError, match="already finished"):
        services.alternative_assessment_set(
            application=application, actor=manager, reason="Late request.", now=timezone.now()
        )
    application.refresh_from_db()
    assert not application.alternative_assessment
    # The page says why instead of offering the form; a crafted POST gets the same refusal.
    client.force_login(manager)
    page = client.get(reverse("candidates:application_detail", kwargs={"pk": application.pk}))
    assert "already finished" in page.text
    assert reverse("evidence:alternative_assessment", args=[application.pk]) not in page.text
    response = client.post(
        reverse("evidence:alternative_assessment", args=[application.pk]),
        {"reason": "Late request."},
        follow=True,
    )
    assert "already finished" in response.text
    application.refresh_from_db()
    assert not application.alternative_assessment


def test_an_alternative_assessment_needs_a_reason_and_a_team_member():
    application = ApplicationFactory()
    with pytest.raises(ValidationError):
        services.alternative_assessment_set(
            application=application,
            actor=application.requisition.hiring_manager,
            reason="  ",
            now=timezone.now(),
        )
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.alternative_assessment_set(
            application=application,
            actor=UserFactory(hiring_manager=True),
            reason="x",
            now=timezone.now(),
        )


# --- Imports --------------------------------------------------------------------------------------


def test_import_self_id_reports_each_row(tmp_path):
    application = ApplicationFactory()
    address = application.candidate.emails.get().address
    path = tmp_path / "self-id.csv"
    path.write_text(
        "candidate email,sex,race_ethnicity\n"
        f"{address.upper()},Female,Asian\n"
        "nobody@example.com,male,white\n"
        f"{address},robot,white\n"
        f"{address},declined,I decline to answer\n"
    )
    out = io.StringIO()
    call_command("import_self_id", str(path), stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].endswith(": created")
    assert "No candidate has this address" in lines[1]
    assert "Unknown sex value" in lines[2]
    assert lines[3].endswith(": updated")
    record = SelfIdentification.objects.get(candidate=application.candidate)
    assert (record.sex, record.race_ethnicity, record.source) == ("declined", "declined", "import")
    # The answers never reach the output.
    assert "asian" not in out.getvalue().lower()


def test_import_outcomes_records_hires_only(tmp_path):
    hired = ApplicationFactory(stage_kind=StageKind.HIRED)
    applied = ApplicationFactory()
    path = tmp_path / "outcomes.csv"
    path.write_text(
        "candidate email,quota_6m,quota_12m,ramp_months,employed_12m\n"
        f"{hired.candidate.emails.get().address},104.5%,,4,yes\n"
        f"{applied.candidate.emails.get().address},90,,3,no\n"
        f"{hired.candidate.emails.get().address},NaN,,3,no\n"
    )
    out = io.StringIO()
    call_command("import_outcomes", str(path), stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].endswith(": created")
    assert "No hired application" in lines[1]
    assert "not a number" in lines[2]
    outcome = PostHireOutcome.objects.get(application=hired)
    assert (str(outcome.quota_6m), outcome.ramp_months, outcome.employed_12m) == ("104.5", 4, True)


def test_outcomes_are_recorded_by_the_hiring_manager_not_the_recruiter(client):
    hired = ApplicationFactory(stage_kind=StageKind.HIRED)
    recruiter = UserFactory(recruiter=True)
    hired.requisition.recruiters.add(recruiter)
    url = reverse("evidence:outcome_edit", kwargs={"pk": hired.pk})
    client.force_login(recruiter)
    assert client.get(url).status_code == 403
    client.force_login(hired.requisition.hiring_manager)
    response = client.post(
        url, {"quota_6m": "95", "quota_12m": "", "ramp_months": "5", "employed_12m": "unknown"}
    )
    assert response.status_code == 302
    assert PostHireOutcome.objects.get(application=hired).recorded_by == (
        hired.requisition.hiring_manager
    )
    assert client.post(url, {"quota_6m": "-3"}).status_code == 422


# --- Weights backtest -----------------------------------------------------------------------------


def test_the_weights_preview_backtests_the_draft_against_outcomes(client):
    call_command("seed_demo", stdout=io.StringIO())
    admin = UserFactory(admin=True, is_superuser=True)
    client.force_login(admin)
    page = client.get(reverse("followups:weights_edit"))
    form = page.context["form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    data["base_reached_out"] = 10
    data["preview_requisition"] = ""
    data["preview"] = "1"
    response = client.post(reverse("followups:weights_edit"), data)
    assert "Backtest: post-hire outcomes" in response.text
    backtest = response.context["backtest"]
    assert backtest is not None
    assert backtest[0].current.n == backtest[0].draft.n > 0
