"""Pages: what each role sees, what a forbidden object answers, and the write flows."""

import re

import pytest
from django.urls import reverse

from candidates.models import Application, Scorecard, StageTransition
from hiring.models import StageKind
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    InterviewRoundFactory,
    RequisitionFactory,
    UserFactory,
    bulk_applications,
    stage_of,
)


@pytest.fixture
def team():
    manager_a = UserFactory(hiring_manager=True)
    manager_b = UserFactory(hiring_manager=True)
    recruiter_a = UserFactory(recruiter=True)
    req_a = RequisitionFactory(hiring_manager=manager_a, recruiters=[recruiter_a])
    req_b = RequisitionFactory(hiring_manager=manager_b, berlin=True)
    app_a = ApplicationFactory(requisition=req_a, interviewing=True)
    app_b = ApplicationFactory(requisition=req_b, interviewing=True)
    return {
        "manager_a": manager_a,
        "manager_b": manager_b,
        "recruiter_a": recruiter_a,
        "req_a": req_a,
        "req_b": req_b,
        "app_a": app_a,
        "app_b": app_b,
    }


def test_anonymous_user_is_sent_to_login(client, team):
    for url in (
        reverse("hiring:requisition_list"),
        reverse("hiring:requisition_board", args=[team["req_a"].pk]),
        reverse("candidates:application_detail", args=[team["app_a"].pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_login_page_renders_without_authentication(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b"Sign in to Persist" in response.content


def test_hiring_manager_of_a_gets_404_on_b_application_board_and_forms(client, team):
    client.force_login(team["manager_a"])
    app_b, req_b = team["app_b"], team["req_b"]
    forbidden_gets = [
        reverse("candidates:application_detail", args=[app_b.pk]),
        reverse("hiring:requisition_board", args=[req_b.pk]),
        reverse("candidates:application_create", args=[req_b.pk]),
    ]
    for url in forbidden_gets:
        response = client.get(url)
        assert response.status_code == 404, url
        assert app_b.candidate.last_name.encode() not in response.content
    target = stage_of(req_b, StageKind.REJECTED)
    response = client.post(
        reverse("candidates:application_move", args=[app_b.pk]),
        {"to_stage": target.pk, "reason": "sabotage"},
    )
    assert response.status_code == 404
    app_b.refresh_from_db()
    assert app_b.stage.kind == StageKind.INTERVIEW


def test_requisition_list_shows_only_the_users_requisitions(client, team):
    client.force_login(team["recruiter_a"])
    response = client.get(reverse("hiring:requisition_list"))
    assert team["req_a"].title in response.text
    assert team["req_b"].title not in response.text


def test_user_without_requisitions_sees_an_empty_state(client):
    client.force_login(UserFactory(recruiter=True))
    response = client.get(reverse("hiring:requisition_list"))
    assert "No requisitions yet" in response.text


def test_recruiter_cannot_open_admin_stage_configuration(client, team):
    client.force_login(team["recruiter_a"])
    response = client.get(reverse("admin:hiring_stage_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_admin_can_open_stage_configuration(client):
    client.force_login(UserFactory(admin=True))
    response = client.get(reverse("admin:hiring_stage_changelist"))
    assert response.status_code == 200


def test_board_shows_every_stage_and_flags_stuck_applications(client, team):
    stuck = ApplicationFactory(requisition=team["req_a"], stuck=True)
    client.force_login(team["manager_a"])
    response = client.get(reverse("hiring:requisition_board", args=[team["req_a"].pk]))
    assert response.status_code == 200
    for stage in team["req_a"].pipeline.stages.all():
        assert f">{stage.name}</h2>" in response.text
    assert stuck.candidate.first_name in response.text
    assert "1 stuck" in response.text


@pytest.mark.parametrize("rows", [5, 500])
def test_board_query_count_does_not_grow_with_applications(
    client, team, rows, django_assert_num_queries
):
    bulk_applications(team["req_a"], rows)
    client.force_login(team["manager_a"])
    # session, user, profile zone with groups (nav), requisition, stages, the cards'
    # fingerprint and, the board not being cached yet, the applications (cached: 6, see
    # test_board_cache.py)
    with django_assert_num_queries(7):
        response = client.get(reverse("hiring:requisition_board", args=[team["req_a"].pk]))
    assert response.status_code == 200


@pytest.mark.parametrize("rows", [5, 500])
def test_requisition_list_query_count_does_not_grow(client, rows, django_assert_num_queries):
    manager = UserFactory(hiring_manager=True)
    requisitions = [RequisitionFactory(hiring_manager=manager) for _ in range(3)]
    for requisition in requisitions:
        bulk_applications(requisition, rows)
    client.force_login(manager)
    with django_assert_num_queries(4):
        response = client.get(reverse("hiring:requisition_list"))
    assert response.text.count(f">{rows}</td>") >= 3


def test_application_page_shows_candidate_rounds_scorecards_and_history(client, team):
    app = team["app_a"]
    interview_round = InterviewRoundFactory(application=app, sequence=1, title="Interview 1")
    Scorecard.objects.create(
        round=interview_round,
        interviewer=team["manager_a"],
        tenacity=5,
        trust=4,
        follow_up=5,
        coachability=4,
        closing=2,
        recommendation="yes",
        notes="Asked for the next step <b>twice</b>",
        submitted_at=app.stage_entered_at,
    )
    StageTransition.objects.create(
        application=app, from_stage=None, to_stage=app.stage, actor=None, at=app.stage_entered_at
    )
    # The scorecard's author: scorecards are blind until you rated the round (candidates.policy).
    client.force_login(team["manager_a"])
    response = client.get(reverse("candidates:application_detail", args=[app.pk]))
    assert response.status_code == 200
    text = response.text
    assert app.candidate.full_name in text
    assert app.candidate.emails.get().address in text
    assert "Interview 1" in text
    assert "★ 4.0" in text
    assert "Persist (automatic)" in text
    # What a person typed is escaped, never rendered as markup.
    assert "&lt;b&gt;twice&lt;/b&gt;" in text


def test_moving_a_stage_records_who_when_and_why(client, team):
    app = team["app_a"]
    target = stage_of(team["req_a"], StageKind.SILENCE_TEST)
    client.force_login(team["recruiter_a"])
    response = client.post(
        reverse("candidates:application_move", args=[app.pk]),
        {"to_stage": target.pk, "reason": "Great second interview"},
        follow=True,
    )
    assert response.status_code == 200
    assert f"moved to {target.name}" in response.text
    transition = StageTransition.objects.get(application=app, to_stage=target)
    assert transition.actor == team["recruiter_a"]
    assert transition.reason == "Great second interview"
    assert transition.from_stage.kind == StageKind.INTERVIEW


def test_rejecting_without_a_reason_is_refused_with_a_message(client, team):
    app = team["app_a"]
    client.force_login(team["manager_a"])
    response = client.post(
        reverse("candidates:application_move", args=[app.pk]),
        {"to_stage": stage_of(team["req_a"], StageKind.REJECTED).pk, "reason": ""},
    )
    assert response.status_code == 422
    assert "needs a reason" in response.text
    app.refresh_from_db()
    assert app.stage.kind == StageKind.INTERVIEW


def test_recruiter_cannot_make_an_offer(client, team):
    app = team["app_a"]
    client.force_login(team["recruiter_a"])
    response = client.post(
        reverse("candidates:application_move", args=[app.pk]),
        {"to_stage": stage_of(team["req_a"], StageKind.OFFER).pk, "reason": ""},
    )
    assert response.status_code == 403
    assert "Only the hiring manager" in response.text
    app.refresh_from_db()
    assert app.stage.kind == StageKind.INTERVIEW


def test_move_form_offers_a_recruiter_only_the_stages_they_may_set(client, team):
    app = team["app_a"]
    client.force_login(team["recruiter_a"])
    page = client.get(reverse("candidates:application_detail", args=[app.pk])).text
    offered = re.search(r'<select name="to_stage".*?</select>', page, re.S).group(0)
    assert f'value="{stage_of(team["req_a"], StageKind.OFFER).pk}"' not in offered
    assert f'value="{stage_of(team["req_a"], StageKind.HIRED).pk}"' not in offered
    assert f'value="{stage_of(team["req_a"], StageKind.FINAL).pk}"' in offered
    # The hiring manager decides offers: offered to them.
    client.force_login(team["manager_a"])
    page = client.get(reverse("candidates:application_detail", args=[app.pk])).text
    offered = re.search(r'<select name="to_stage".*?</select>', page, re.S).group(0)
    assert f'value="{stage_of(team["req_a"], StageKind.OFFER).pk}"' in offered


def test_htmx_move_returns_only_the_stage_panel(client, team):
    app = team["app_a"]
    client.force_login(team["manager_a"])
    response = client.post(
        reverse("candidates:application_move", args=[app.pk]),
        {"to_stage": stage_of(team["req_a"], StageKind.FINAL).pk, "reason": ""},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section class="card" id="stage-panel"')
    assert "<html" not in response.text
    assert "moved to Final" in response.text


def test_htmx_move_error_is_shown_in_the_panel(client, team):
    app = team["app_a"]
    client.force_login(team["manager_a"])
    response = client.post(
        reverse("candidates:application_move", args=[app.pk]),
        {"to_stage": stage_of(team["req_a"], StageKind.WITHDRAWN).pk, "reason": " "},
        headers={"HX-Request": "true"},
    )
    # htmx only swaps 2xx responses, so the error fragment is sent with 200.
    assert response.status_code == 200
    assert "needs a reason" in response.text


def test_adding_a_candidate_normalises_contacts_and_creates_history(client, team):
    client.force_login(team["recruiter_a"])
    req = team["req_a"]
    response = client.post(
        reverse("candidates:application_create", args=[req.pk]),
        {
            "first_name": "Dana",
            "last_name": "Whitfield",
            "emails": "Dana.Whitfield@Example.COM\ndana@work.example",
            "phones": "(415) 555-0134",
            "time_zone": "America/Chicago",
            "linkedin_url": "",
            "source": "Referral",
            "stage": stage_of(req, StageKind.SCREEN).pk,
        },
    )
    assert response.status_code == 302
    app = Application.objects.get(requisition=req, candidate__last_name="Whitfield")
    assert response.url == reverse("candidates:application_detail", args=[app.pk])
    assert [e.address for e in app.candidate.emails.order_by("-is_primary")] == [
        "dana.whitfield@example.com",
        "dana@work.example",
    ]
    assert app.candidate.phones.get().number == "+14155550134"
    assert app.stage.kind == StageKind.SCREEN
    assert app.transitions.get().actor == team["recruiter_a"]


def test_adding_a_candidate_with_a_bad_phone_shows_the_error_next_to_the_field(client, team):
    client.force_login(team["recruiter_a"])
    req = team["req_a"]
    response = client.post(
        reverse("candidates:application_create", args=[req.pk]),
        {
            "first_name": "Dana",
            "emails": "dana@example.com",
            "phones": "12",
            "stage": stage_of(req, StageKind.APPLIED).pk,
        },
    )
    assert response.status_code == 422
    assert 'class="field-error"' in response.text
    assert "12 is not" in response.text
    assert not Application.objects.filter(candidate__first_name="Dana").exists()


def test_adding_the_same_candidate_twice_is_refused_with_a_clear_message(client, team):
    client.force_login(team["recruiter_a"])
    req = team["req_a"]
    existing = team["app_a"].candidate
    response = client.post(
        reverse("candidates:application_create", args=[req.pk]),
        {
            "first_name": existing.first_name,
            "emails": existing.emails.get().address.upper(),
            "stage": stage_of(req, StageKind.APPLIED).pk,
        },
    )
    assert response.status_code == 422
    assert "already has an application" in response.text
    assert Application.objects.filter(candidate=existing).count() == 1


def test_known_address_reuses_the_candidate_for_a_new_requisition(client):
    manager = UserFactory(hiring_manager=True)
    req_1 = RequisitionFactory(hiring_manager=manager)
    req_2 = RequisitionFactory(hiring_manager=manager)
    candidate = CandidateFactory(email="kim@example.com")
    ApplicationFactory(candidate=candidate, requisition=req_1)
    client.force_login(manager)
    response = client.post(
        reverse("candidates:application_create", args=[req_2.pk]),
        {"first_name": "Kim", "emails": "kim@example.com", "stage": stage_of(req_2, "applied").pk},
    )
    assert response.status_code == 302
    assert candidate.applications.count() == 2


def test_scorecard_is_submitted_then_replaced(client, team):
    app = team["app_a"]
    interview_round = InterviewRoundFactory(application=app, sequence=1)
    client.force_login(team["manager_a"])
    url = reverse("candidates:scorecard_submit", args=[app.pk, interview_round.pk])
    ratings = {"tenacity": 5, "trust": 4, "follow_up": 5, "coachability": 3, "closing": 4}
    response = client.post(url, {**ratings, "recommendation": "strong_yes", "notes": "Hunter."})
    assert response.status_code == 302
    response = client.post(url, {**ratings, "closing": 2, "recommendation": "yes", "notes": ""})
    assert response.status_code == 302
    card = Scorecard.objects.get(round=interview_round)
    assert (card.closing, card.recommendation, card.interviewer) == (2, "yes", team["manager_a"])


def test_scorecard_recommendation_offers_only_real_choices_none_preselected(client, team):
    # A blank "---------" radio, checked by default, let a scorecard look answered when it was not.
    app = team["app_a"]
    interview_round = InterviewRoundFactory(application=app, sequence=1)
    client.force_login(team["manager_a"])
    url = reverse("candidates:scorecard_submit", args=[app.pk, interview_round.pk])
    page = client.get(url).text
    assert "---------" not in page
    assert 'name="recommendation" value=""' not in page
    assert not re.search(r'name="recommendation"[^>]*checked', page)


def test_scorecard_with_an_out_of_range_rating_is_refused(client, team):
    app = team["app_a"]
    interview_round = InterviewRoundFactory(application=app, sequence=1)
    client.force_login(team["manager_a"])
    url = reverse("candidates:scorecard_submit", args=[app.pk, interview_round.pk])
    response = client.post(
        url,
        {"tenacity": 9, "trust": 4, "follow_up": 5, "coachability": 3, "closing": 4},
    )
    assert response.status_code == 422
    assert 'class="field-error"' in response.text
    assert not Scorecard.objects.exists()


def test_scorecard_for_a_round_of_another_application_is_404(client, team):
    other_round = InterviewRoundFactory(
        application=ApplicationFactory(requisition=team["req_a"]), sequence=1
    )
    client.force_login(team["manager_a"])
    url = reverse("candidates:scorecard_submit", args=[team["app_a"].pk, other_round.pk])
    assert client.get(url).status_code == 404


def test_interview_round_is_added_with_the_next_sequence(client, team):
    app = team["app_a"]
    client.force_login(team["recruiter_a"])
    url = reverse("candidates:round_create", args=[app.pk])
    for _ in range(2):
        response = client.post(
            url,
            {
                "title": "Role play",
                "scheduled_at": "2026-12-01T10:00",
                "interviewers": [team["manager_a"].pk],
            },
        )
        assert response.status_code == 302
    assert list(app.rounds.values_list("sequence", flat=True)) == [1, 2]
    assert list(app.rounds.first().interviewers.all()) == [team["manager_a"]]


def test_user_time_zone_changes_how_dates_are_shown(client, team):
    client.force_login(team["manager_a"])
    response = client.post(reverse("hiring:profile"), {"time_zone": "Asia/Kolkata"}, follow=True)
    assert "Asia/Kolkata" in response.text
    response = client.get(reverse("candidates:application_detail", args=[team["app_a"].pk]))
    assert "IST" in response.text


def test_unknown_time_zone_in_profile_is_refused(client, team):
    client.force_login(team["manager_a"])
    response = client.post(reverse("hiring:profile"), {"time_zone": "Mars/Olympus"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.text


def test_requisition_list_counts_active_and_all_applications_per_requisition(client):
    manager = UserFactory(hiring_manager=True)
    busy = RequisitionFactory(hiring_manager=manager, title="Busy")
    empty = RequisitionFactory(hiring_manager=manager, title="Empty")
    bulk_applications(busy, 3)
    bulk_applications(busy, 2, stage_kind=StageKind.REJECTED)
    bulk_applications(RequisitionFactory(title="Someone else's"), 4)
    client.force_login(manager)
    listed = {
        r.title: r for r in client.get(reverse("hiring:requisition_list")).context["requisitions"]
    }
    assert (listed["Busy"].active_count, listed["Busy"].total_count) == (3, 5)
    assert (listed["Empty"].active_count, listed["Empty"].total_count) == (0, 0)
    assert set(listed) == {busy.title, empty.title}
