"""Find anyone (issue #15) under hostile input: another team's ids and names never leak, and
odd queries get a clear answer, never a 500 or an unbounded search."""

import pytest
from django.urls import reverse

from tests.factories import ApplicationFactory, CandidateFactory, RequisitionFactory, UserFactory


@pytest.fixture
def foreign():
    return ApplicationFactory(
        requisition=RequisitionFactory(),
        candidate=CandidateFactory(first_name="Secret", last_name="Person"),
    )


def test_another_teams_candidate_is_not_found_by_name_email_or_id(client, foreign):
    client.force_login(UserFactory(hiring_manager=True))
    address = foreign.candidate.emails.get().address
    for query in ("Secret", address, str(foreign.pk), str(foreign.candidate_id)):
        response = client.get(reverse("candidates:search"), {"q": query})
        assert response.status_code == 200
        assert response.context["results"] == []
        assert "Secret Person" not in response.content.decode()


@pytest.mark.parametrize(
    "query",
    ["%", "_", "\\", "%%%_", "' OR 1=1 --", "<script>alert(1)</script>", "\x00abc", "a" * 100],
)
def test_odd_queries_answer_without_a_server_error(client, foreign, query):
    client.force_login(UserFactory(admin=True))
    response = client.get(reverse("candidates:search"), {"q": query})
    assert response.status_code in {200, 400}
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_a_huge_query_is_refused_before_any_search(client, django_assert_max_num_queries):
    client.force_login(UserFactory(hiring_manager=True))
    with django_assert_max_num_queries(3):  # session, user, zone: no search at all
        response = client.get(reverse("candidates:search"), {"q": "7" * 5000})
    assert response.status_code == 400
