"""Rules PostgreSQL enforces by itself, whatever code (or a bulk import) writes the rows.

Every write here bypasses ``full_clean`` (``objects.create`` / ``bulk_create``) so that it is the
database constraint, not Django validation, that refuses the row.
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone

from candidates.models import (
    SCORECARD_TRAITS,
    Application,
    CandidateEmail,
    CandidatePhone,
    InterviewRound,
    Scorecard,
    StageTransition,
)
from hiring.models import Requisition, Stage, StageKind
from tests.factories import (
    ApplicationFactory,
    CandidateEmailFactory,
    CandidateFactory,
    InterviewRoundFactory,
    PipelineFactory,
    RequisitionFactory,
    ScorecardFactory,
    StageFactory,
    UserFactory,
    stage_of,
)


def refused_by_constraint(name: str):
    """Expect an IntegrityError raised by the named PostgreSQL constraint."""
    return pytest.raises(IntegrityError, match=name)


# --- applications --------------------------------------------------------------------------


def test_second_application_of_a_candidate_to_the_same_requisition_is_refused():
    application = ApplicationFactory()
    with transaction.atomic(), refused_by_constraint("application_unique_candidate_requisition"):
        Application.objects.create(
            candidate=application.candidate,
            requisition=application.requisition,
            stage=application.stage,
            stage_entered_at=timezone.now(),
        )
    assert Application.objects.count() == 1


def test_same_candidate_may_apply_to_two_requisitions():
    first = ApplicationFactory()
    other = RequisitionFactory()
    Application.objects.create(
        candidate=first.candidate,
        requisition=other,
        stage=stage_of(other, StageKind.APPLIED),
        stage_entered_at=timezone.now(),
    )
    assert first.candidate.applications.count() == 2


def test_duplicate_applications_in_one_bulk_create_are_refused():
    requisition = RequisitionFactory()
    candidate = CandidateFactory()
    stage = stage_of(requisition, StageKind.APPLIED)
    rows = [
        Application(candidate=candidate, requisition=requisition, stage=stage, stage_entered_at=now)
        for now in (timezone.now(), timezone.now())
    ]
    with transaction.atomic(), refused_by_constraint("application_unique_candidate_requisition"):
        Application.objects.bulk_create(rows)
    assert not Application.objects.exists()


# --- stages --------------------------------------------------------------------------------


def checked_now():
    """Run the deferred constraints now, as the transaction's commit would."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_two_stages_with_the_same_order_in_one_pipeline_are_refused_at_commit():
    pipeline = PipelineFactory(stages=[("Applied", StageKind.APPLIED, None)])
    with refused_by_constraint("stage_unique_order"), transaction.atomic():
        Stage.objects.create(pipeline=pipeline, name="Screen", order=10, kind=StageKind.SCREEN)
        checked_now()


def test_two_stages_may_swap_positions_within_a_transaction():
    pipeline = PipelineFactory(
        stages=[("Applied", StageKind.APPLIED, None), ("Screen", StageKind.SCREEN, None)]
    )
    first, second = pipeline.stages.order_by("order")
    with transaction.atomic():
        Stage.objects.filter(pk=first.pk).update(order=20)
        Stage.objects.filter(pk=second.pk).update(order=10)
        checked_now()
    assert list(pipeline.stages.order_by("order").values_list("name", flat=True)) == [
        "Screen",
        "Applied",
    ]


def test_a_second_silence_test_stage_in_one_pipeline_is_refused():
    pipeline = PipelineFactory(stages=[("Silence", StageKind.SILENCE_TEST, None)])
    with transaction.atomic(), refused_by_constraint("stage_one_silence_test_per_pipeline"):
        Stage.objects.create(
            pipeline=pipeline, name="Silence 2", order=20, kind=StageKind.SILENCE_TEST
        )


def test_same_stage_order_in_another_pipeline_is_allowed():
    first = PipelineFactory(stages=[("Applied", StageKind.APPLIED, None)])
    second = PipelineFactory(stages=[])
    Stage.objects.create(pipeline=second, name="Applied", order=10, kind=StageKind.APPLIED)
    assert first.stages.get().order == second.stages.get().order == 10


def test_two_stages_with_the_same_name_in_one_pipeline_are_refused():
    pipeline = PipelineFactory(stages=[("Applied", StageKind.APPLIED, None)])
    with transaction.atomic(), refused_by_constraint("stage_unique_name"):
        Stage.objects.create(pipeline=pipeline, name="Applied", order=20, kind=StageKind.SCREEN)


def test_duplicate_stage_orders_in_one_bulk_create_are_refused():
    pipeline = PipelineFactory(stages=[])
    with refused_by_constraint("stage_unique_order"), transaction.atomic():
        Stage.objects.bulk_create(
            [
                Stage(pipeline=pipeline, name="One", order=5),
                Stage(pipeline=pipeline, name="Two", order=5),
            ]
        )
        checked_now()
    assert not pipeline.stages.exists()


def test_stage_stuck_after_zero_days_is_refused():
    pipeline = PipelineFactory(stages=[])
    with transaction.atomic(), refused_by_constraint("stage_stuck_after_days_positive"):
        Stage.objects.create(pipeline=pipeline, name="Screen", order=1, stuck_after_days=0)


@pytest.mark.parametrize("days", [None, 1, 30])
def test_stage_stuck_after_one_or_more_days_or_never_is_allowed(days):
    stage = StageFactory(stuck_after_days=days)
    stage.refresh_from_db()
    assert stage.stuck_after_days == days


def test_stage_with_an_unknown_kind_is_refused():
    pipeline = PipelineFactory(stages=[])
    with transaction.atomic(), refused_by_constraint("stage_kind_valid"):
        Stage.objects.create(pipeline=pipeline, name="Odd", order=1, kind="coffee_chat")


# --- candidate emails and phones -----------------------------------------------------------


@pytest.mark.parametrize("address", ["Ann@example.com", "ann@EXAMPLE.COM", "ANN@MAIL.EXAMPLE"])
def test_email_with_upper_case_letters_is_refused_by_the_lowercase_check(address):
    candidate = CandidateFactory(email=False)
    with transaction.atomic(), refused_by_constraint("candidate_email_lowercase"):
        CandidateEmail.objects.create(candidate=candidate, address=address)
    assert not candidate.emails.exists()


def test_lower_case_email_is_stored():
    candidate = CandidateFactory(email=False)
    CandidateEmail.objects.create(candidate=candidate, address="ann@example.com")
    assert candidate.emails.get().address == "ann@example.com"


def test_same_address_twice_for_one_candidate_is_refused():
    email = CandidateEmailFactory(address="ann@example.com")
    with transaction.atomic(), refused_by_constraint("candidate_email_unique"):
        CandidateEmail.objects.create(candidate=email.candidate, address="ann@example.com")


def test_two_candidates_may_share_an_address_so_matching_can_send_it_to_the_unmatched_queue():
    CandidateEmailFactory(address="shared@example.com")
    CandidateEmailFactory(address="shared@example.com")
    assert CandidateEmail.objects.filter(address="shared@example.com").count() == 2


def test_two_primary_emails_for_one_candidate_are_refused():
    candidate = CandidateFactory(email="first@example.com")
    with transaction.atomic(), refused_by_constraint("candidate_email_one_primary"):
        CandidateEmail.objects.create(
            candidate=candidate, address="second@example.com", is_primary=True
        )
    assert candidate.emails.filter(is_primary=True).count() == 1


def test_each_candidate_may_have_its_own_primary_email_and_several_secondary_ones():
    candidate = CandidateFactory(email="first@example.com")
    CandidateEmail.objects.create(candidate=candidate, address="b@example.com")
    CandidateEmail.objects.create(candidate=candidate, address="c@example.com")
    CandidateFactory(email="other@example.com")
    assert CandidateEmail.objects.filter(is_primary=True).count() == 2
    assert candidate.emails.count() == 3


@pytest.mark.parametrize(
    "number",
    [
        "4155550100",  # no plus sign
        "+0155550100",  # country codes never start with 0
        "+1 415 5550",  # spaces
        "+1-415-55501",  # dashes
        "+12345",  # too short
        "+1415555010a",  # not a digit
        "",
    ],
)
def test_phone_not_in_e164_is_refused(number):
    candidate = CandidateFactory()
    with transaction.atomic(), refused_by_constraint("candidate_phone_e164"):
        CandidatePhone.objects.create(candidate=candidate, number=number)


def test_phone_longer_than_fifteen_digits_does_not_fit():
    candidate = CandidateFactory()
    with transaction.atomic(), pytest.raises((IntegrityError, DataError)):
        CandidatePhone.objects.create(candidate=candidate, number="+1234567890123456")


@pytest.mark.parametrize("number", ["+14155550100", "+4930901820", "+61412345678", "+1234567"])
def test_phone_in_e164_is_stored(number):
    candidate = CandidateFactory()
    phone = CandidatePhone.objects.create(candidate=candidate, number=number)
    phone.refresh_from_db()
    assert phone.number == number


def test_same_number_twice_for_one_candidate_is_refused():
    candidate = CandidateFactory()
    CandidatePhone.objects.create(candidate=candidate, number="+14155550100")
    with transaction.atomic(), refused_by_constraint("candidate_phone_unique"):
        CandidatePhone.objects.create(candidate=candidate, number="+14155550100")


# --- scorecards ----------------------------------------------------------------------------


@pytest.mark.parametrize("trait", [name for name, _label in SCORECARD_TRAITS])
@pytest.mark.parametrize("rating", [0, 6, 100])
def test_scorecard_rating_outside_one_to_five_is_refused(trait, rating):
    interview_round = InterviewRoundFactory()
    ratings = {name: 3 for name, _label in SCORECARD_TRAITS} | {trait: rating}
    with transaction.atomic(), refused_by_constraint(f"scorecard_{trait}_range"):
        Scorecard.objects.create(
            round=interview_round,
            interviewer=UserFactory(),
            recommendation="yes",
            submitted_at=timezone.now(),
            **ratings,
        )
    assert not Scorecard.objects.exists()


@pytest.mark.parametrize("rating", [1, 5])
def test_scorecard_ratings_at_the_bounds_are_allowed(rating):
    scorecard = ScorecardFactory(
        **{name: rating for name, _label in SCORECARD_TRAITS},
    )
    scorecard.refresh_from_db()
    assert scorecard.average == rating


def test_scorecard_with_an_unknown_recommendation_is_refused():
    with transaction.atomic(), refused_by_constraint("scorecard_recommendation_valid"):
        ScorecardFactory(recommendation="maybe")


def test_second_scorecard_by_the_same_interviewer_for_one_round_is_refused():
    scorecard = ScorecardFactory()
    with transaction.atomic(), refused_by_constraint("scorecard_one_per_interviewer"):
        ScorecardFactory(round=scorecard.round, interviewer=scorecard.interviewer)
    assert Scorecard.objects.count() == 1


def test_same_interviewer_may_score_another_round_and_another_interviewer_the_same_round():
    scorecard = ScorecardFactory()
    ScorecardFactory(round=scorecard.round)
    ScorecardFactory(interviewer=scorecard.interviewer)
    assert Scorecard.objects.count() == 3


# --- interview rounds ----------------------------------------------------------------------


def test_interview_round_sequence_zero_is_refused():
    application = ApplicationFactory(interviewing=True)
    with transaction.atomic(), refused_by_constraint("interview_round_seq_gte_1"):
        InterviewRound.objects.create(application=application, sequence=0, title="Zero")


def test_two_rounds_with_the_same_sequence_for_one_application_are_refused():
    interview_round = InterviewRoundFactory(sequence=1)
    with transaction.atomic(), refused_by_constraint("interview_round_unique_sequence"):
        InterviewRound.objects.create(
            application=interview_round.application, sequence=1, title="Again"
        )


# --- stage transitions ---------------------------------------------------------------------


def test_transition_from_a_stage_to_itself_is_refused():
    application = ApplicationFactory()
    with transaction.atomic(), refused_by_constraint("transition_changes_stage"):
        StageTransition.objects.create(
            application=application,
            from_stage=application.stage,
            to_stage=application.stage,
            at=timezone.now(),
        )
    assert not application.transitions.exists()


def test_initial_transition_without_a_from_stage_is_allowed():
    application = ApplicationFactory()
    transition = StageTransition.objects.create(
        application=application, from_stage=None, to_stage=application.stage, at=timezone.now()
    )
    assert transition.pk is not None


def test_transition_between_two_different_stages_is_allowed():
    application = ApplicationFactory()
    screen = stage_of(application.requisition, StageKind.SCREEN)
    transition = StageTransition.objects.create(
        application=application, from_stage=application.stage, to_stage=screen, at=timezone.now()
    )
    assert transition.pk is not None


# --- requisitions --------------------------------------------------------------------------


@pytest.mark.parametrize("country", ["us", "De", "dE", "U1", "12"])
def test_requisition_country_not_two_upper_case_letters_is_refused(country):
    with transaction.atomic(), refused_by_constraint("requisition_country_iso_alpha2"):
        RequisitionFactory(country=country)
    assert not Requisition.objects.exists()


@pytest.mark.parametrize("country", ["U", ""])
def test_requisition_country_shorter_than_two_letters_is_refused(country):
    with transaction.atomic(), refused_by_constraint("requisition_country_iso_alpha2"):
        RequisitionFactory(country=country)


@pytest.mark.parametrize("country", ["USA", "DEU"])
def test_requisition_country_with_three_letters_is_refused(country):
    # The column is two characters wide: PostgreSQL refuses the value before any check runs.
    with transaction.atomic(), pytest.raises(DataError, match="too long"):
        RequisitionFactory(country=country)
    assert not Requisition.objects.exists()


def test_requisition_without_a_time_zone_is_refused():
    with transaction.atomic(), refused_by_constraint("requisition_time_zone_not_empty"):
        RequisitionFactory(time_zone="")


def test_requisition_with_an_unknown_status_is_refused():
    with transaction.atomic(), refused_by_constraint("requisition_status_valid"):
        RequisitionFactory(status="paused")


# --- model validation (full_clean) ---------------------------------------------------------


def _unsaved_requisition(**overrides) -> Requisition:
    requisition = RequisitionFactory.build(
        pipeline=PipelineFactory(), hiring_manager=UserFactory(hiring_manager=True), **overrides
    )
    return requisition


def test_full_clean_accepts_a_valid_requisition():
    _unsaved_requisition(time_zone="Europe/Berlin", country="DE").full_clean()


def test_full_clean_refuses_an_unknown_requisition_time_zone_naming_the_value():
    requisition = _unsaved_requisition(time_zone="Mars/Olympus")
    with pytest.raises(ValidationError) as excinfo:
        requisition.full_clean()
    assert set(excinfo.value.message_dict) == {"time_zone"}
    (message,) = excinfo.value.message_dict["time_zone"]
    assert message.startswith("Mars/Olympus is not an IANA time zone")


@pytest.mark.parametrize("country", ["XX", "ZZ"])
def test_full_clean_refuses_an_unsupported_requisition_country_naming_the_value(country):
    requisition = _unsaved_requisition(country=country)
    with pytest.raises(ValidationError) as excinfo:
        requisition.full_clean()
    assert "country" in excinfo.value.message_dict
    assert any(
        m.startswith(f"{country} is not a supported ISO 3166 country code")
        for m in excinfo.value.message_dict["country"]
    )


def test_full_clean_refuses_a_three_letter_country_before_it_reaches_the_database():
    requisition = _unsaved_requisition(country="USA")
    with pytest.raises(ValidationError) as excinfo:
        requisition.full_clean()
    assert "country" in excinfo.value.message_dict


def test_full_clean_refuses_a_stage_order_already_used_in_the_pipeline():
    pipeline = PipelineFactory(stages=[("Applied", StageKind.APPLIED, None)])
    stage = Stage(pipeline=pipeline, name="Screen", order=10, kind=StageKind.SCREEN)
    with pytest.raises(ValidationError):
        stage.full_clean()


def test_full_clean_refuses_a_candidate_time_zone_that_is_not_iana():
    candidate = CandidateFactory.build(time_zone="Mars/Olympus")
    with pytest.raises(ValidationError) as excinfo:
        candidate.full_clean()
    assert "Mars/Olympus" in excinfo.value.message_dict["time_zone"][0]
