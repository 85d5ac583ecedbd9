"""Find anyone (issue #15): the top bar's search, scoped by role and team."""

import re

import pytest
from django.urls import reverse

from candidates.selectors import SEARCH_MAX_LENGTH
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    CandidatePhoneFactory,
    RequisitionFactory,
    UserFactory,
    bulk_applications,
)


@pytest.fixture
def world():
    manager = UserFactory(hiring_manager=True)
    recruiter = UserFactory(recruiter=True)
    own_req = RequisitionFactory(hiring_manager=manager, recruiters=[recruiter])
    uk_req = RequisitionFactory(hiring_manager=manager, time_zone="Europe/London", country="GB")
    foreign_req = RequisitionFactory()
    marisol = CandidateFactory(
        first_name="Marisol", last_name="Quintero", email="m.quintero@mail.example"
    )
    CandidatePhoneFactory(candidate=marisol, number="+14155550123")
    own = ApplicationFactory(requisition=own_req, candidate=marisol)
    harriet = CandidateFactory(first_name="Harriet", last_name="Vane")
    CandidatePhoneFactory(candidate=harriet, number="+447700900123")
    uk = ApplicationFactory(requisition=uk_req, candidate=harriet)
    foreign = ApplicationFactory(
        requisition=foreign_req,
        candidate=CandidateFactory(first_name="Marisol", last_name="Otherteam"),
    )
    return {"manager": manager, "recruiter": recruiter, "own": own, "uk": uk, "foreign": foreign}


def search(client, user, query):
    client.force_login(user)
    return client.get(reverse("candidates:search"), {"q": query})


def found(response) -> set[int]:
    return {app.pk for app in response.context["results"]}


@pytest.mark.parametrize("query", ["marisol", "Quintero", "Marisol Quintero", "m.quintero@mail"])
def test_finds_a_candidate_by_name_or_email(client, world, query):
    response = search(client, world["manager"], query)
    assert response.status_code == 200
    assert world["own"].pk in found(response)
    url = reverse("candidates:application_detail", args=[world["own"].pk])
    assert f'href="{url}"' in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "+1 415 555 0123",
        "(415) 555-0123",
        "415.555.0123",
        "14155550123",
        "555 0123",
        "00 1 415 555 0123",
    ],
)
def test_finds_a_candidate_by_phone_in_any_format(client, world, query):
    assert world["own"].pk in found(search(client, world["manager"], query))


@pytest.mark.parametrize("query", ["07700 900123", "+44 7700 900123", "7700 900 123"])
def test_finds_a_candidate_by_a_national_phone_format_of_the_requisitions_country(
    client, world, query
):
    assert world["uk"].pk in found(search(client, world["manager"], query))


def test_never_finds_another_teams_candidate(client, world):
    response = search(client, world["manager"], "Marisol")
    assert world["foreign"].pk not in found(response)
    assert "Otherteam" not in response.content.decode()


def test_a_recruiter_finds_only_their_assigned_requisitions(client, world):
    results = found(search(client, world["recruiter"], "mail.example"))
    assert world["own"].pk in results
    assert world["uk"].pk not in results
    assert world["foreign"].pk not in results


def test_an_admin_finds_every_team(client, world):
    results = found(search(client, UserFactory(admin=True), "Marisol"))
    assert {world["own"].pk, world["foreign"].pk} <= results


def test_an_over_long_query_is_a_clear_error_not_a_search(client, world):
    response = search(client, world["manager"], "x" * (SEARCH_MAX_LENGTH + 1))
    assert response.status_code == 400
    assert f"at most {SEARCH_MAX_LENGTH} characters" in response.content.decode()


def test_the_top_bar_has_the_search_on_every_page(client, world):
    client.force_login(world["manager"])
    page = client.get(reverse("hiring:requisition_list")).content.decode()
    assert 'role="search"' in page
    assert 'id="top-search-q"' in page
    assert f'action="{reverse("candidates:search")}"' in page


@pytest.mark.parametrize("rows", [3, 60])
def test_query_count_does_not_grow_with_matches(client, world, rows, django_assert_num_queries):
    req = world["own"].requisition
    bulk_applications(req, rows)
    client.force_login(world["manager"])
    # session, user, profile zone with groups (nav), countries, applications
    with django_assert_num_queries(5):
        response = client.get(reverse("candidates:search"), {"q": "555 0123 4"})
    assert response.status_code == 200
    with django_assert_num_queries(4):
        response = client.get(reverse("candidates:search"), {"q": "mail.example"})
    assert response.status_code == 200


@pytest.mark.parametrize("query", ["Quintero Marisol", "quintero, marisol", "QUINTERO  mar"])
def test_finds_a_name_typed_surname_first_or_with_a_comma(client, world, query):
    assert world["own"].pk in found(search(client, world["manager"], query))


@pytest.mark.parametrize("query", ["Jose Nunez", "josé núñez", "Núnez"])
def test_finds_a_name_whatever_its_accents(client, world, query):
    jose = ApplicationFactory(
        requisition=world["own"].requisition,
        candidate=CandidateFactory(first_name="José", last_name="Núñez"),
    )
    assert jose.pk in found(search(client, world["manager"], query))


def test_every_word_must_match_so_a_second_word_narrows(client, world):
    assert world["own"].pk not in found(search(client, world["manager"], "Marisol Vane"))


def test_quick_log_and_find_anyone_find_the_same_people(client, world):
    """One rule for every search box: the quick-log search finds what the top bar finds."""
    client.force_login(world["manager"])
    for query in ["quintero marisol", "07700 900123", "m.quintero@mail", "Vane"]:
        top_bar = found(search(client, world["manager"], query))
        quick = client.get(reverse("followups:quick_log_search"), {"q": query}).text
        assert {int(pk) for pk in re.findall(r"application=(\d+)", quick)} == top_bar, query
