"""Write-side services of the hiring and candidates apps."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from candidates.models import (
    SCORECARD_TRAITS,
    Application,
    Candidate,
    CandidateEmail,
    CandidatePhone,
    InterviewRound,
    Recommendation,
    Scorecard,
    StageTransition,
)
from candidates.services import (
    application_create,
    application_move,
    candidate_create,
    candidate_email_add,
    candidate_phone_add,
    interview_round_create,
    scorecard_submit,
)
from hiring.models import Pipeline, Requisition, Stage, StageKind, UserProfile
from hiring.services import (
    pipeline_create,
    requisition_create,
    user_profile_for,
    user_time_zone_set,
)
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    InterviewRoundFactory,
    PipelineFactory,
    RequisitionFactory,
    UserFactory,
    stage_of,
)

AT = dt.datetime(2025, 3, 14, 15, 9, tzinfo=dt.UTC)


def all_ratings(value: int) -> dict[str, int]:
    return {name: value for name, _label in SCORECARD_TRAITS}


def message(excinfo) -> str:
    return " ".join(excinfo.value.messages)


# --- candidate_create ----------------------------------------------------------------------


def test_candidate_create_normalises_and_dedupes_emails_keeping_the_first_as_primary():
    candidate = candidate_create(
        first_name=" Ann ",
        last_name=" Smith ",
        emails=[" Ann.Smith@Example.COM ", "ann@work.example", "ann.smith@example.com"],
    )
    assert candidate.full_name == "Ann Smith"
    assert list(candidate.emails.order_by("address").values_list("address", flat=True)) == [
        "ann.smith@example.com",
        "ann@work.example",
    ]
    assert candidate.emails.get(is_primary=True).address == "ann.smith@example.com"


def test_candidate_create_normalises_national_phones_with_the_default_region_and_dedupes():
    candidate = candidate_create(
        first_name="Bea",
        phones=["030 901820", "+49 30 901820", "0151 23456789", "+1 (415) 555-0100"],
        phone_region="DE",
    )
    assert set(candidate.phones.values_list("number", flat=True)) == {
        "+4930901820",
        "+4915123456789",
        "+14155550100",
    }


@pytest.mark.parametrize(
    ("region", "raw", "expected"),
    [
        ("US", "(415) 555-0100", "+14155550100"),
        ("AU", "0412 345 678", "+61412345678"),
        ("DE", "0151 23456789", "+4915123456789"),
    ],
)
def test_candidate_create_reads_a_national_number_in_the_requisition_region(region, raw, expected):
    candidate = candidate_create(first_name="Cai", phones=[raw], phone_region=region)
    assert candidate.phones.get().number == expected


def test_candidate_create_without_emails_or_phones_creates_just_the_candidate():
    candidate = candidate_create(first_name="Dee")
    assert not candidate.emails.exists()
    assert not candidate.phones.exists()


def test_candidate_create_with_an_invalid_email_creates_nothing():
    with pytest.raises(ValidationError) as excinfo:
        candidate_create(first_name="Eve", emails=["eve@example.com", "not an email"])
    assert "not an email is not a valid email address" in message(excinfo)
    assert not Candidate.objects.exists()
    assert not CandidateEmail.objects.exists()


def test_candidate_create_with_a_national_phone_and_no_region_creates_nothing():
    with pytest.raises(ValidationError) as excinfo:
        candidate_create(first_name="Fay", emails=["fay@example.com"], phones=["415 555 0100"])
    assert "Include the country code" in message(excinfo)
    assert not Candidate.objects.exists()


def test_candidate_create_refuses_a_bad_time_zone():
    with pytest.raises(ValidationError) as excinfo:
        candidate_create(first_name="Gus", time_zone="Mars/Olympus")
    assert "Mars/Olympus" in message(excinfo)
    assert not Candidate.objects.exists()


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("030 123456000000", "DE"),  # 16 digits in E.164: too long for the column
        ("+98 9601", None),  # 6 digits: too short for the E.164 check constraint
    ],
)
def test_candidate_create_refuses_a_number_the_phone_column_cannot_hold_with_a_validation_error(
    raw, region
):
    # phonenumbers calls these numbers valid, but the database refuses them: the service must
    # answer with a ValidationError the form can show, not a DataError/IntegrityError (HTTP 500).
    with pytest.raises(ValidationError):
        candidate_create(first_name="Hal", phones=[raw], phone_region=region)
    assert not Candidate.objects.exists()


def test_candidate_email_add_makes_the_first_address_primary_and_later_ones_secondary():
    candidate = CandidateFactory(email=False)
    first = candidate_email_add(candidate=candidate, address="Ivy@Example.com")
    second = candidate_email_add(candidate=candidate, address="ivy@work.example")
    assert (first.address, first.is_primary) == ("ivy@example.com", True)
    assert (second.address, second.is_primary) == ("ivy@work.example", False)


def test_candidate_email_add_of_a_known_address_in_other_case_returns_the_existing_row():
    candidate = CandidateFactory(email="jo@example.com")
    email = candidate_email_add(candidate=candidate, address=" JO@example.com")
    assert candidate.emails.get() == email


def test_candidate_phone_add_normalises_and_does_not_duplicate():
    candidate = CandidateFactory()
    first = candidate_phone_add(candidate=candidate, number="(415) 555-0100", region="US")
    again = candidate_phone_add(candidate=candidate, number="+1 415 555 0100")
    assert first == again
    assert candidate.phones.get().number == "+14155550100"


# --- application_create --------------------------------------------------------------------


def test_application_create_puts_the_candidate_in_the_first_stage_and_records_it():
    requisition = RequisitionFactory()
    candidate = CandidateFactory()
    recruiter = UserFactory(recruiter=True)
    application = application_create(
        candidate=candidate, requisition=requisition, actor=recruiter, source="Referral", at=AT
    )
    application.refresh_from_db()
    assert application.stage == stage_of(requisition, StageKind.APPLIED)
    assert application.stage_entered_at == AT
    assert application.source == "Referral"
    transition = application.transitions.get()
    assert transition.from_stage is None
    assert transition.to_stage == application.stage
    assert transition.actor == recruiter
    assert transition.at == AT


def test_application_create_skips_terminal_stages_ordered_before_the_first_open_one():
    pipeline = PipelineFactory(
        stages=[
            ("Withdrawn", StageKind.WITHDRAWN, None),
            ("Rejected", StageKind.REJECTED, None),
            ("New", StageKind.APPLIED, 3),
            ("Screen", StageKind.SCREEN, 3),
        ]
    )
    requisition = RequisitionFactory(pipeline=pipeline)
    application = application_create(candidate=CandidateFactory(), requisition=requisition)
    assert application.stage.name == "New"


def test_application_create_honours_an_explicit_stage_of_the_pipeline():
    requisition = RequisitionFactory()
    screen = stage_of(requisition, StageKind.SCREEN)
    application = application_create(
        candidate=CandidateFactory(), requisition=requisition, stage=screen
    )
    assert application.stage == screen
    assert application.transitions.get().to_stage == screen


def test_application_create_in_a_pipeline_with_only_terminal_stages_is_refused():
    pipeline = PipelineFactory(stages=[("Rejected", StageKind.REJECTED, None)])
    requisition = RequisitionFactory(pipeline=pipeline)
    with pytest.raises(ValidationError) as excinfo:
        application_create(candidate=CandidateFactory(), requisition=requisition)
    assert "has no open stage" in message(excinfo)
    assert not Application.objects.exists()


def test_duplicate_application_is_refused_with_a_clear_message():
    application = ApplicationFactory()
    candidate, requisition = application.candidate, application.requisition
    with pytest.raises(ValidationError) as excinfo:
        application_create(candidate=candidate, requisition=requisition)
    assert excinfo.value.code == "duplicate_application"
    assert "already has an application" in message(excinfo)
    assert candidate.full_name in message(excinfo)
    assert requisition.title in message(excinfo)
    assert Application.objects.count() == 1
    assert not StageTransition.objects.exists()


def test_duplicate_application_through_the_service_twice_keeps_one_row_and_one_transition():
    requisition = RequisitionFactory()
    candidate = CandidateFactory()
    application_create(candidate=candidate, requisition=requisition)
    with pytest.raises(ValidationError):
        application_create(candidate=candidate, requisition=requisition)
    assert Application.objects.count() == 1
    assert StageTransition.objects.count() == 1


def test_application_create_with_a_stage_from_another_pipeline_is_refused():
    requisition = RequisitionFactory()
    foreign = stage_of(RequisitionFactory(), StageKind.SCREEN)
    with pytest.raises(ValidationError) as excinfo:
        application_create(candidate=CandidateFactory(), requisition=requisition, stage=foreign)
    assert "is not part of this requisition's pipeline" in message(excinfo)
    assert not Application.objects.exists()


# --- application_move ----------------------------------------------------------------------


def test_application_move_writes_history_and_updates_the_stage_clock():
    application = ApplicationFactory(stage_entered_at=AT - dt.timedelta(days=3))
    applied = application.stage
    screen = stage_of(application.requisition, StageKind.SCREEN)
    recruiter = UserFactory(recruiter=True)
    application.requisition.recruiters.add(recruiter)

    transition = application_move(
        application=application, to_stage=screen, actor=recruiter, reason="  Good CV  ", at=AT
    )

    transition.refresh_from_db()
    assert (transition.from_stage, transition.to_stage) == (applied, screen)
    assert transition.actor == recruiter
    assert transition.reason == "Good CV"
    assert transition.at == AT
    assert transition.application_id == application.pk
    stored = Application.objects.get(pk=application.pk)
    assert stored.stage == screen
    assert stored.stage_entered_at == AT
    # The caller's object is kept in step too.
    assert application.stage == screen
    assert application.stage_entered_at == AT


def test_application_move_defaults_the_time_to_now():
    application = ApplicationFactory()
    screen = stage_of(application.requisition, StageKind.SCREEN)
    before = timezone.now()
    transition = application_move(application=application, to_stage=screen)
    assert before <= transition.at <= timezone.now()


def test_application_move_takes_the_from_stage_from_the_database_not_a_stale_object():
    application = ApplicationFactory()
    stale = Application.objects.get(pk=application.pk)
    screen = stage_of(application.requisition, StageKind.SCREEN)
    interview = stage_of(application.requisition, StageKind.INTERVIEW)
    application_move(application=application, to_stage=screen)
    transition = application_move(application=stale, to_stage=interview)
    assert transition.from_stage == screen


def test_successive_moves_build_an_ordered_history():
    application = application_create(
        candidate=CandidateFactory(), requisition=RequisitionFactory(), at=AT
    )
    requisition = application.requisition
    for hours, kind in enumerate((StageKind.SCREEN, StageKind.INTERVIEW), start=1):
        application_move(
            application=application,
            to_stage=stage_of(requisition, kind),
            at=AT + dt.timedelta(hours=hours),
        )
    history = [
        (t.from_stage and t.from_stage.kind, t.to_stage.kind)
        for t in application.transitions.order_by("at")
    ]
    assert history == [
        (None, StageKind.APPLIED),
        (StageKind.APPLIED, StageKind.SCREEN),
        (StageKind.SCREEN, StageKind.INTERVIEW),
    ]


def test_moving_to_the_stage_the_application_is_already_in_is_refused():
    application = ApplicationFactory(interviewing=True)
    with pytest.raises(ValidationError) as excinfo:
        application_move(application=application, to_stage=application.stage, reason="again")
    assert excinfo.value.code == "same"
    assert f"already in “{application.stage.name}”" in message(excinfo)
    assert not application.transitions.exists()


def test_moving_to_a_stage_of_another_pipeline_is_refused():
    application = ApplicationFactory()
    foreign = stage_of(RequisitionFactory(), StageKind.SCREEN)
    with pytest.raises(ValidationError) as excinfo:
        application_move(application=application, to_stage=foreign)
    assert excinfo.value.code == "wrong_pipeline"
    application.refresh_from_db()
    assert application.stage.kind == StageKind.APPLIED


@pytest.mark.parametrize("reason", ["", "   "])
def test_rejecting_without_a_reason_is_refused(reason):
    application = ApplicationFactory(interviewing=True)
    rejected = stage_of(application.requisition, StageKind.REJECTED)
    with pytest.raises(ValidationError) as excinfo:
        application_move(application=application, to_stage=rejected, reason=reason)
    assert excinfo.value.code == "reason_required"
    assert "Moving to “Rejected” needs a reason" in message(excinfo)
    application.refresh_from_db()
    assert application.stage.kind == StageKind.INTERVIEW


def test_rejecting_with_a_reason_is_recorded():
    application = ApplicationFactory(interviewing=True)
    rejected = stage_of(application.requisition, StageKind.REJECTED)
    transition = application_move(
        application=application, to_stage=rejected, reason="Stayed silent"
    )
    assert transition.reason == "Stayed silent"
    assert Application.objects.get(pk=application.pk).stage == rejected


def test_reopening_a_rejected_application_without_a_reason_is_refused():
    application = ApplicationFactory(rejected=True)
    screen = stage_of(application.requisition, StageKind.SCREEN)
    with pytest.raises(ValidationError) as excinfo:
        application_move(application=application, to_stage=screen)
    assert excinfo.value.code == "reason_required"
    assert "Reopening an application that is rejected needs a reason" in message(excinfo)


def test_reopening_a_rejected_application_with_a_reason_is_allowed():
    application = ApplicationFactory(rejected=True)
    screen = stage_of(application.requisition, StageKind.SCREEN)
    transition = application_move(
        application=application, to_stage=screen, reason="Rejected by mistake"
    )
    assert transition.from_stage.kind == StageKind.REJECTED


@pytest.mark.parametrize("kind", [StageKind.OFFER, StageKind.HIRED])
def test_recruiter_cannot_move_a_candidate_to_a_hiring_decision_stage(kind):
    recruiter = UserFactory(recruiter=True)
    application = ApplicationFactory(
        stage_kind=StageKind.FINAL, requisition=RequisitionFactory(recruiters=[recruiter])
    )
    target = stage_of(application.requisition, kind)
    with pytest.raises(PermissionDenied) as excinfo:
        application_move(
            application=application, to_stage=target, actor=recruiter, reason="Great fit"
        )
    assert "Only the hiring manager" in str(excinfo.value)
    application.refresh_from_db()
    assert application.stage.kind == StageKind.FINAL
    assert not application.transitions.exists()


def test_hiring_manager_of_another_requisition_cannot_make_the_offer():
    other_manager = UserFactory(hiring_manager=True)
    application = ApplicationFactory(stage_kind=StageKind.FINAL)
    offer = stage_of(application.requisition, StageKind.OFFER)
    with pytest.raises(PermissionDenied):
        application_move(application=application, to_stage=offer, actor=other_manager)


@pytest.mark.parametrize("kind", [StageKind.OFFER, StageKind.HIRED])
def test_the_requisitions_hiring_manager_can_move_to_a_decision_stage(kind):
    application = ApplicationFactory(stage_kind=StageKind.FINAL)
    manager = application.requisition.hiring_manager
    target = stage_of(application.requisition, kind)
    transition = application_move(
        application=application, to_stage=target, actor=manager, reason="Strong yes"
    )
    assert transition.actor == manager
    assert Application.objects.get(pk=application.pk).stage == target


@pytest.mark.parametrize("admin_kind", ["group", "superuser"])
@pytest.mark.parametrize("kind", [StageKind.OFFER, StageKind.HIRED])
def test_an_admin_can_move_to_a_decision_stage(kind, admin_kind):
    admin = UserFactory(admin=True) if admin_kind == "group" else UserFactory(is_superuser=True)
    application = ApplicationFactory(stage_kind=StageKind.FINAL)
    target = stage_of(application.requisition, kind)
    transition = application_move(
        application=application, to_stage=target, actor=admin, reason="Approved"
    )
    assert transition.actor == admin


def test_recruiter_can_move_to_non_decision_stages():
    recruiter = UserFactory(recruiter=True)
    application = ApplicationFactory(requisition=RequisitionFactory(recruiters=[recruiter]))
    final = stage_of(application.requisition, StageKind.FINAL)
    assert application_move(application=application, to_stage=final, actor=recruiter)


def test_the_system_may_move_without_an_actor_even_to_a_decision_stage():
    application = ApplicationFactory(stage_kind=StageKind.FINAL)
    offer = stage_of(application.requisition, StageKind.OFFER)
    transition = application_move(application=application, to_stage=offer, actor=None)
    assert transition.actor is None
    assert Application.objects.get(pk=application.pk).stage == offer


def test_the_system_still_needs_a_reason_to_reject():
    application = ApplicationFactory(at_silence_test=True)
    rejected = stage_of(application.requisition, StageKind.REJECTED)
    with pytest.raises(ValidationError):
        application_move(application=application, to_stage=rejected, actor=None)
    transition = application_move(
        application=application, to_stage=rejected, actor=None, reason="Silence test: silent"
    )
    assert transition.actor is None


# --- interview rounds ----------------------------------------------------------------------


def test_interview_rounds_are_numbered_one_two_three():
    application = ApplicationFactory(interviewing=True)
    rounds = [
        interview_round_create(application=application, title=f"  Round {n}  ") for n in range(1, 4)
    ]
    assert [r.sequence for r in rounds] == [1, 2, 3]
    assert [r.title for r in rounds] == ["Round 1", "Round 2", "Round 3"]
    assert all(r.stage == application.stage for r in rounds)


def test_interview_round_numbering_is_per_application():
    first = ApplicationFactory(interviewing=True)
    second = ApplicationFactory(interviewing=True)
    interview_round_create(application=first, title="Intro")
    interview_round_create(application=first, title="Deep dive")
    assert interview_round_create(application=second, title="Intro").sequence == 1


def test_interview_round_numbering_continues_after_the_highest_existing_sequence():
    application = ApplicationFactory(interviewing=True)
    InterviewRoundFactory(application=application, sequence=4)
    assert interview_round_create(application=application, title="Next").sequence == 5


def test_interview_round_records_its_interviewers_and_schedule():
    application = ApplicationFactory(interviewing=True)
    alice, bob = UserFactory(), UserFactory()
    interview_round = interview_round_create(
        application=application, title="Panel", scheduled_at=AT, interviewers=[alice, bob]
    )
    interview_round.refresh_from_db()
    assert interview_round.scheduled_at == AT
    assert set(interview_round.interviewers.all()) == {alice, bob}


def test_interview_round_without_a_title_is_refused():
    application = ApplicationFactory(interviewing=True)
    with pytest.raises(ValidationError):
        interview_round_create(application=application, title="   ")
    assert not InterviewRound.objects.exists()


# --- scorecards ----------------------------------------------------------------------------


def test_scorecard_submit_creates_then_replaces_the_interviewers_scorecard():
    interview_round = InterviewRoundFactory()
    interviewer = UserFactory()
    first = scorecard_submit(
        interview_round=interview_round,
        interviewer=interviewer,
        ratings=all_ratings(2),
        recommendation=Recommendation.NO,
        notes="Hesitant",
        at=AT,
    )
    later = AT + dt.timedelta(hours=2)
    second = scorecard_submit(
        interview_round=interview_round,
        interviewer=interviewer,
        ratings=all_ratings(5) | {"trust": 4},
        recommendation=Recommendation.STRONG_YES,
        notes="Changed my mind after the reference call",
        at=later,
    )
    assert second.pk == first.pk
    stored = Scorecard.objects.get()
    assert stored.tenacity == 5
    assert stored.trust == 4
    assert stored.recommendation == Recommendation.STRONG_YES
    assert stored.notes == "Changed my mind after the reference call"
    assert stored.submitted_at == later


def test_scorecards_of_two_interviewers_on_one_round_are_kept_apart():
    interview_round = InterviewRoundFactory()
    for value in (2, 4):
        scorecard_submit(
            interview_round=interview_round,
            interviewer=UserFactory(),
            ratings=all_ratings(value),
            recommendation=Recommendation.YES,
        )
    assert sorted(s.average for s in interview_round.scorecards.all()) == [2, 4]


def test_scorecard_with_a_missing_trait_is_refused_naming_it():
    ratings = all_ratings(3)
    del ratings["closing"]
    with pytest.raises(ValidationError) as excinfo:
        scorecard_submit(
            interview_round=InterviewRoundFactory(),
            interviewer=UserFactory(),
            ratings=ratings,
            recommendation=Recommendation.YES,
        )
    assert "Rate every trait; missing: Closing." in message(excinfo)
    assert not Scorecard.objects.exists()


@pytest.mark.parametrize("rating", [0, 6])
def test_scorecard_with_a_rating_outside_one_to_five_is_refused(rating):
    with pytest.raises(ValidationError) as excinfo:
        scorecard_submit(
            interview_round=InterviewRoundFactory(),
            interviewer=UserFactory(),
            ratings=all_ratings(3) | {"tenacity": rating},
            recommendation=Recommendation.YES,
        )
    assert "tenacity" in excinfo.value.message_dict
    assert not Scorecard.objects.exists()


def test_invalid_replacement_leaves_the_previous_scorecard_untouched():
    interview_round = InterviewRoundFactory()
    interviewer = UserFactory()
    scorecard_submit(
        interview_round=interview_round,
        interviewer=interviewer,
        ratings=all_ratings(4),
        recommendation=Recommendation.YES,
    )
    with pytest.raises(ValidationError):
        scorecard_submit(
            interview_round=interview_round,
            interviewer=interviewer,
            ratings=all_ratings(6),
            recommendation=Recommendation.YES,
        )
    assert Scorecard.objects.get().tenacity == 4


def test_scorecard_with_an_unknown_recommendation_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        scorecard_submit(
            interview_round=InterviewRoundFactory(),
            interviewer=UserFactory(),
            ratings=all_ratings(3),
            recommendation="maybe",
        )
    assert "recommendation" in excinfo.value.message_dict


# --- hiring services -----------------------------------------------------------------------


def test_pipeline_create_orders_stages_with_gaps_of_ten():
    pipeline = pipeline_create(
        name="Inside sales",
        stages=[
            ("Applied", StageKind.APPLIED, 7),
            ("Silence test", StageKind.SILENCE_TEST, None),
            ("Hired", StageKind.HIRED, None),
        ],
    )
    assert list(pipeline.stages.order_by("order").values_list("name", "order", "kind")) == [
        ("Applied", 10, "applied"),
        ("Silence test", 20, "silence_test"),
        ("Hired", 30, "hired"),
    ]


def test_pipeline_create_with_a_duplicate_stage_name_creates_nothing():
    with pytest.raises(ValidationError):
        pipeline_create(
            name="Broken",
            stages=[("Screen", StageKind.SCREEN, None), ("Screen", StageKind.INTERVIEW, None)],
        )
    assert not Pipeline.objects.filter(name="Broken").exists()
    assert not Stage.objects.filter(name="Screen").exists()


def test_pipeline_create_with_stuck_after_zero_days_is_refused():
    with pytest.raises(ValidationError):
        pipeline_create(name="Zero", stages=[("Screen", StageKind.SCREEN, 0)])
    assert not Pipeline.objects.filter(name="Zero").exists()


def test_requisition_create_upper_cases_the_country_and_assigns_recruiters():
    recruiters = [UserFactory(recruiter=True), UserFactory(recruiter=True)]
    requisition = requisition_create(
        title="AE Berlin",
        pipeline=PipelineFactory(),
        hiring_manager=UserFactory(hiring_manager=True),
        time_zone="Europe/Berlin",
        country="de",
        recruiters=recruiters,
    )
    requisition.refresh_from_db()
    assert requisition.country == "DE"
    assert set(requisition.recruiters.all()) == set(recruiters)


def test_requisition_create_with_a_bad_time_zone_names_it_and_creates_nothing():
    with pytest.raises(ValidationError) as excinfo:
        requisition_create(
            title="AE Mars",
            pipeline=PipelineFactory(),
            hiring_manager=UserFactory(),
            time_zone="Mars/Olympus",
            country="US",
        )
    assert excinfo.value.message_dict["time_zone"][0].startswith("Mars/Olympus is not an IANA")
    assert not Requisition.objects.exists()


def test_requisition_create_with_an_unsupported_country_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        requisition_create(
            title="AE Nowhere",
            pipeline=PipelineFactory(),
            hiring_manager=UserFactory(),
            time_zone="UTC",
            country="xx",
        )
    assert "country" in excinfo.value.message_dict
    assert not Requisition.objects.exists()


def test_user_time_zone_set_stores_a_valid_zone_and_refuses_a_bad_one():
    user = UserFactory()
    assert user_profile_for(user).time_zone == "UTC"
    user_time_zone_set(user=user, time_zone="Australia/Sydney")
    with pytest.raises(ValidationError):
        user_time_zone_set(user=user, time_zone="Mars/Olympus")
    assert UserProfile.objects.get(user=user).time_zone == "Australia/Sydney"


def test_candidate_phone_rows_are_created_only_for_valid_numbers():
    with pytest.raises(ValidationError):
        candidate_create(first_name="Ida", phones=["+1 415 555 0100", "12"], phone_region="US")
    assert not CandidatePhone.objects.exists()
