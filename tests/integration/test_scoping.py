"""Who sees what (``visible_to``) and the board's read-side annotations."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count

from candidates.models import SCORECARD_TRAITS, Application, Candidate
from hiring.models import Requisition, StageKind
from tests.factories import (
    ApplicationFactory,
    CandidateEmailFactory,
    CandidateFactory,
    InterviewRoundFactory,
    RequisitionFactory,
    ScorecardFactory,
    UserFactory,
    stage_of,
)


def ids(queryset) -> list[int]:
    return sorted(queryset.values_list("pk", flat=True))


def ratings(*values: int) -> dict[str, int]:
    values = values if len(values) == len(SCORECARD_TRAITS) else values * len(SCORECARD_TRAITS)
    return dict(zip((name for name, _label in SCORECARD_TRAITS), values, strict=True))


@pytest.fixture
def world():
    """Three requisitions with distinct managers and recruiters, one application each."""
    manager_a = UserFactory(hiring_manager=True)
    manager_b = UserFactory(hiring_manager=True)
    recruiter_a = UserFactory(recruiter=True)
    recruiter_b = UserFactory(recruiter=True)
    a = RequisitionFactory(title="A", hiring_manager=manager_a, recruiters=[recruiter_a])
    b = RequisitionFactory(title="B", hiring_manager=manager_b, recruiters=[recruiter_b])
    c = RequisitionFactory(title="C", hiring_manager=manager_b, recruiters=[recruiter_b])
    applications = {r.title: ApplicationFactory(requisition=r) for r in (a, b, c)}
    return {
        "a": a,
        "b": b,
        "c": c,
        "manager_a": manager_a,
        "manager_b": manager_b,
        "recruiter_a": recruiter_a,
        "recruiter_b": recruiter_b,
        "applications": applications,
    }


# --- requisitions --------------------------------------------------------------------------


def test_superuser_sees_every_requisition(world):
    superuser = UserFactory(is_superuser=True)
    assert ids(Requisition.objects.visible_to(superuser)) == ids(Requisition.objects.all())


def test_member_of_the_admins_group_sees_every_requisition(world):
    admin = UserFactory(admin=True)
    assert not admin.is_superuser
    assert Requisition.objects.visible_to(admin).count() == 3


def test_hiring_manager_sees_only_the_requisitions_they_manage(world):
    assert ids(Requisition.objects.visible_to(world["manager_a"])) == [world["a"].pk]
    assert ids(Requisition.objects.visible_to(world["manager_b"])) == sorted(
        [world["b"].pk, world["c"].pk]
    )


def test_recruiter_sees_only_the_requisitions_they_are_assigned_to(world):
    assert ids(Requisition.objects.visible_to(world["recruiter_a"])) == [world["a"].pk]
    assert ids(Requisition.objects.visible_to(world["recruiter_b"])) == sorted(
        [world["b"].pk, world["c"].pk]
    )


def test_role_group_alone_grants_no_requisition(world):
    assert not Requisition.objects.visible_to(UserFactory(hiring_manager=True)).exists()
    assert not Requisition.objects.visible_to(UserFactory(recruiter=True)).exists()
    assert not Requisition.objects.visible_to(UserFactory()).exists()


def test_assignment_grants_access_even_without_the_recruiter_group(world):
    helper = UserFactory()
    world["c"].recruiters.add(helper)
    assert ids(Requisition.objects.visible_to(helper)) == [world["c"].pk]


def test_manager_of_one_and_recruiter_on_another_sees_both_exactly_once(world):
    both = UserFactory(hiring_manager=True, recruiter=True)
    mine = RequisitionFactory(hiring_manager=both, recruiters=[UserFactory(), UserFactory()])
    world["b"].recruiters.add(both, UserFactory(), UserFactory())
    visible = Requisition.objects.visible_to(both)
    assert ids(visible) == sorted([mine.pk, world["b"].pk])
    assert visible.count() == 2
    assert visible.count() == visible.distinct().count()


def test_several_recruiters_on_a_requisition_never_duplicate_its_row(world):
    manager = world["manager_a"]
    world["a"].recruiters.add(manager, *(UserFactory() for _ in range(3)))
    visible = Requisition.objects.visible_to(manager)
    assert visible.count() == 1
    assert len(list(visible)) == 1


def test_visible_requisitions_can_be_annotated_with_counts_without_inflation(world):
    recruiter = world["recruiter_b"]
    world["b"].recruiters.add(*(UserFactory() for _ in range(3)))
    ApplicationFactory(requisition=world["b"])
    counts = dict(
        Requisition.objects.visible_to(recruiter)
        .annotate(n=Count("applications"))
        .values_list("title", "n")
    )
    assert counts == {"B": 2, "C": 1}


def test_inactive_user_sees_nothing_even_as_superuser_or_manager(world):
    for user in (world["manager_a"], UserFactory(is_superuser=True), UserFactory(admin=True)):
        user.is_active = False
        user.save(update_fields=["is_active"])
        assert not Requisition.objects.visible_to(user).exists()


def test_anonymous_user_sees_nothing(world):
    assert not Requisition.objects.visible_to(AnonymousUser()).exists()


# --- applications --------------------------------------------------------------------------


def test_admin_sees_every_application(world):
    for admin in (UserFactory(is_superuser=True), UserFactory(admin=True)):
        assert Application.objects.visible_to(admin).count() == 3


def test_hiring_manager_and_recruiter_see_only_applications_of_their_requisitions(world):
    apps = world["applications"]
    assert ids(Application.objects.visible_to(world["manager_a"])) == [apps["A"].pk]
    assert ids(Application.objects.visible_to(world["recruiter_b"])) == sorted(
        [apps["B"].pk, apps["C"].pk]
    )


def test_applications_are_not_duplicated_by_several_recruiters_and_a_dual_role(world):
    user = world["manager_a"]
    world["a"].recruiters.add(user, UserFactory(), UserFactory())
    world["b"].recruiters.add(user, UserFactory())
    visible = Application.objects.visible_to(user)
    expected = sorted([world["applications"]["A"].pk, world["applications"]["B"].pk])
    assert ids(visible) == expected
    assert visible.count() == len(expected) == visible.distinct().count()


def test_inactive_and_anonymous_users_see_no_application(world):
    inactive = UserFactory(is_superuser=True, is_active=False)
    assert not Application.objects.visible_to(inactive).exists()
    assert not Application.objects.visible_to(AnonymousUser()).exists()


# --- candidates ----------------------------------------------------------------------------


def test_admin_sees_every_candidate_with_an_application(world):
    admin = UserFactory(admin=True)
    assert ids(Candidate.objects.visible_to(admin)) == ids(Candidate.objects.all())


def test_admin_sees_a_candidate_who_has_no_application_yet(world):
    orphan = CandidateFactory()
    admin = UserFactory(is_superuser=True)
    assert orphan in Candidate.objects.visible_to(admin)


def test_candidate_is_visible_through_any_visible_application_and_listed_once(world):
    candidate = world["applications"]["A"].candidate
    ApplicationFactory(candidate=candidate, requisition=world["b"])
    ApplicationFactory(candidate=candidate, requisition=world["c"])
    visible_to_b = Candidate.objects.visible_to(world["manager_b"])
    assert candidate in visible_to_b
    assert visible_to_b.filter(pk=candidate.pk).count() == 1
    assert visible_to_b.count() == visible_to_b.distinct().count() == 3


def test_candidate_only_on_other_requisitions_is_hidden(world):
    visible = Candidate.objects.visible_to(world["recruiter_a"])
    assert ids(visible) == [world["applications"]["A"].candidate_id]


def test_candidates_are_not_duplicated_for_a_dual_role_user_with_many_recruiters(world):
    user = world["manager_a"]
    candidate = world["applications"]["A"].candidate
    ApplicationFactory(candidate=candidate, requisition=world["b"])
    world["a"].recruiters.add(user, UserFactory())
    world["b"].recruiters.add(user, UserFactory())
    visible = Candidate.objects.visible_to(user)
    assert visible.count() == visible.distinct().count()
    assert ids(visible) == sorted([candidate.pk, world["applications"]["B"].candidate_id])


def test_inactive_and_anonymous_users_see_no_candidate(world):
    inactive = UserFactory(admin=True, is_active=False)
    assert not Candidate.objects.visible_to(inactive).exists()
    assert not Candidate.objects.visible_to(AnonymousUser()).exists()


# --- scorecard average ---------------------------------------------------------------------


def test_scorecard_average_is_the_mean_of_all_trait_ratings_across_scorecards():
    application = ApplicationFactory(interviewing=True)
    first = InterviewRoundFactory(application=application, sequence=1)
    second = InterviewRoundFactory(application=application, sequence=2)
    ScorecardFactory(round=first, **ratings(4))
    ScorecardFactory(round=second, **ratings(2))
    row = Application.objects.annotate_scorecard_average().get(pk=application.pk)
    assert row.scorecard_average == pytest.approx(3.0)


def test_scorecard_average_weighs_every_rating_not_just_whole_numbers():
    application = ApplicationFactory(interviewing=True)
    interview_round = InterviewRoundFactory(application=application)
    ScorecardFactory(round=interview_round, **ratings(5, 4, 3, 2, 2))  # 16 / 5 = 3.2
    ScorecardFactory(round=interview_round, **ratings(5, 5, 5, 5, 4))  # 24 / 5 = 4.8
    ScorecardFactory(round=interview_round, **ratings(1, 1, 1, 1, 2))  # 6 / 5 = 1.2
    row = Application.objects.annotate_scorecard_average().get(pk=application.pk)
    assert row.scorecard_average == pytest.approx((16 + 24 + 6) / 15)


def test_scorecard_average_is_none_without_scorecards_and_ignores_other_applications():
    scored = ApplicationFactory(interviewing=True)
    ScorecardFactory(round=InterviewRoundFactory(application=scored), **ratings(5))
    unscored = ApplicationFactory(interviewing=True)
    InterviewRoundFactory(application=unscored)  # a round, but nobody scored it yet
    never = ApplicationFactory()
    averages = dict(
        Application.objects.annotate_scorecard_average().values_list("pk", "scorecard_average")
    )
    assert averages == {scored.pk: pytest.approx(5.0), unscored.pk: None, never.pk: None}


# --- board ---------------------------------------------------------------------------------


def test_for_board_loads_many_applications_in_exactly_one_query(django_assert_num_queries):
    requisition = RequisitionFactory()
    kinds = [StageKind.APPLIED, StageKind.SCREEN, StageKind.INTERVIEW, StageKind.SILENCE_TEST]
    for index in range(12):
        application = ApplicationFactory(requisition=requisition, stage_kind=kinds[index % 4])
        CandidateEmailFactory(candidate=application.candidate)
        if index % 3 == 0:
            ScorecardFactory(round=InterviewRoundFactory(application=application))

    with django_assert_num_queries(1):
        rows = [
            (
                a.candidate.full_name,
                a.stage.name,
                a.stage.order,
                a.stage.stuck_after_days,
                a.primary_email,
                a.scorecard_average,
            )
            for a in Application.objects.filter(requisition=requisition).for_board()
        ]
    assert len(rows) == 12
    assert sum(1 for row in rows if row[5] is not None) == 4


def test_for_board_orders_by_stage_then_time_in_stage_and_shows_the_primary_email():
    requisition = RequisitionFactory()
    screen = stage_of(requisition, StageKind.SCREEN)
    early_screen = ApplicationFactory(requisition=requisition, stage_kind=StageKind.SCREEN)
    late_screen = ApplicationFactory(requisition=requisition, stage_kind=StageKind.SCREEN)
    late_screen.stage_entered_at = early_screen.stage_entered_at.replace(year=2099)
    late_screen.save()
    applied = ApplicationFactory(
        requisition=requisition, candidate=CandidateFactory(email="zed@example.com")
    )
    CandidateEmailFactory(candidate=applied.candidate, address="aaa@example.com")
    no_email = ApplicationFactory(requisition=requisition, candidate=CandidateFactory(email=False))

    board = list(Application.objects.filter(requisition=requisition).for_board())

    assert [a.stage for a in board[2:]] == [screen, screen]
    assert [a.pk for a in board[2:]] == [early_screen.pk, late_screen.pk]
    emails = {a.pk: a.primary_email for a in board}
    assert emails[applied.pk] == "zed@example.com"  # primary wins over alphabetical order
    assert emails[no_email.pk] is None
