"""The per-requisition page version (``followups.RequisitionVersion``, kept by the triggers of
migration ``followups.0011``) changes with every write to a table the cached pages show, by
any means — raw SQL included — and only for the requisitions written; the manager's home
cached under it follows time and stays per user; the one query the cached pages run is
compiled once per user shape exactly as the ORM would compile it."""

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from candidates.models import Application, CandidateEmail
from dashboards.views import _board_head, _visible_versions
from followups.models import RequisitionVersion
from hiring.models import Requisition, SilenceTest
from hiring.sql import compiled_sql
from scoring.views import _ranking_head
from tests.factories import (
    ApplicationFactory,
    RequisitionFactory,
    ScorecardFactory,
    SilenceTestFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _version(requisition_id: int) -> int:
    return RequisitionVersion.objects.get(requisition_id=requisition_id).version


def _sql(statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


#: One raw-SQL write per watched table (what no signal would see), given the application.
RAW_WRITES = {
    "application": lambda a: _sql(
        "UPDATE candidates_application SET stage_entered_at = now() WHERE id = %s", [a.pk]
    ),
    "candidate": lambda a: _sql(
        "UPDATE candidates_candidate SET first_name = 'X' WHERE id = %s", [a.candidate_id]
    ),
    "candidate email": lambda a: _sql(
        "UPDATE candidates_candidateemail SET address = 'x' || address WHERE candidate_id = %s",
        [a.candidate_id],
    ),
    "interview round": lambda a: _sql(
        "UPDATE candidates_interviewround SET scorecards_revealed_at = now() "
        "WHERE application_id = %s",
        [a.pk],
    ),
    "scorecard": lambda a: _sql(
        "UPDATE candidates_scorecard SET tenacity = 1 WHERE round_id IN "
        "(SELECT id FROM candidates_interviewround WHERE application_id = %s)",
        [a.pk],
    ),
    "silence test": lambda a: _sql(
        "UPDATE hiring_silencetest SET deadline_at = now() WHERE application_id = %s", [a.pk]
    ),
    "stage": lambda a: _sql("UPDATE hiring_stage SET name = 'Renamed' WHERE id = %s", [a.stage_id]),
    "score": lambda a: _sql(
        "INSERT INTO followups_persistencescore (application_id, weights_id, score, outcome, "
        "comparable, lines, is_current, computed_at) SELECT %s, id, 5, 'pending', true, '[]', "
        "false, now() FROM followups_scoringweights LIMIT 1",
        [a.pk],
    ),
    "override": lambda a: _sql(
        "INSERT INTO followups_rankoverride (application_id, position, outcome, reason, "
        "is_active, created_at) VALUES (%s, 1, '', 'why', true, now())",
        [a.pk],
    ),
    "requisition": lambda a: _sql(
        "UPDATE hiring_requisition SET title = 'Retitled' WHERE id = %s", [a.requisition_id]
    ),
    "application deleted": lambda a: _sql(
        "DELETE FROM candidates_application WHERE requisition_id = %s AND id <> %s "
        "AND NOT EXISTS (SELECT FROM hiring_silencetest t WHERE t.application_id = "
        "candidates_application.id)",
        [a.requisition_id, a.pk],
    ),
}


@pytest.mark.parametrize("write", RAW_WRITES.values(), ids=RAW_WRITES.keys())
def test_a_raw_sql_write_to_a_shown_table_bumps_its_requisition_and_no_other(write):
    application = SilenceTestFactory().application
    ScorecardFactory(round__application=application)
    CandidateEmail.objects.create(candidate=application.candidate, address="a@mail.example")
    ApplicationFactory(requisition=application.requisition)  # one the delete can remove
    # Another pipeline, so that a stage rename does not reach it.
    other = ApplicationFactory()
    before, other_before = _version(application.requisition_id), _version(other.requisition_id)
    write(application)
    assert _version(application.requisition_id) > before
    assert _version(other.requisition_id) == other_before


def test_a_new_requisition_has_a_version_and_a_deleted_one_leaves_none():
    requisition = RequisitionFactory()
    assert _version(requisition.pk) > 0
    pk = requisition.pk
    requisition.delete()
    assert not RequisitionVersion.objects.filter(requisition_id=pk).exists()


def test_two_writes_in_one_transaction_give_two_different_versions():
    application = ApplicationFactory()
    seen = {_version(application.requisition_id)}
    for _ in range(2):
        Application.objects.filter(pk=application.pk).update(stage_entered_at=timezone.now())
        seen.add(_version(application.requisition_id))
    assert len(seen) == 3


@pytest.mark.parametrize("kind", ["manager", "recruiter", "admin", "recruiter and manager"])
@pytest.mark.parametrize("build", [_ranking_head, _board_head, _visible_versions])
def test_the_once_compiled_query_is_the_one_the_orm_compiles_for_each_kind_of_user(kind, build):
    user = UserFactory(
        hiring_manager="manager" in kind, recruiter="recruiter" in kind, admin=kind == "admin"
    )
    requisition = (
        RequisitionFactory(hiring_manager=user) if "manager" in kind else RequisitionFactory()
    )
    if "recruiter" in kind:
        requisition.recruiters.add(user)
    name = f"test-{build.__name__}"
    # Compiled first for another kind of user: each shape has its own SQL.
    compiled_sql(name, build, user=UserFactory(admin=kind != "admin"), arg=1)
    sql, params = compiled_sql(name, build, user=user, arg=requisition.pk)
    fresh_sql, fresh_params = build(user, requisition.pk).query.sql_with_params()
    assert (sql, list(params)) == (fresh_sql, list(fresh_params))


# --- the manager's home --------------------------------------------------------------------


@pytest.fixture
def home(client):
    manager = UserFactory(hiring_manager=True)
    requisition = RequisitionFactory(hiring_manager=manager)
    client.force_login(manager)
    return client, requisition


def _home(client):
    return client.get(reverse("hiring:home")).text


def test_a_cached_home_costs_the_signed_in_queries_and_one_more(home, django_assert_num_queries):
    client, requisition = home
    SilenceTestFactory(application__requisition=requisition)
    _home(client)
    # session, user, zone with roles, the visible requisitions with their versions
    with django_assert_num_queries(4):
        _home(client)


def test_the_home_says_how_long_until_a_deadline_as_of_each_request(home):
    client, requisition = home
    SilenceTestFactory(
        application__requisition=requisition,
        deadline_at=timezone.now() + dt.timedelta(days=2, minutes=30),
    )
    assert "in 2\xa0days" in _home(client)
    with time_machine.travel(timezone.now() + dt.timedelta(days=1, hours=3)):
        assert "in 21\xa0hours" in _home(client)


def test_a_deadline_leaves_the_week_when_it_passes_and_another_enters_with_no_write(home):
    client, requisition = home
    soon = SilenceTestFactory(
        application__requisition=requisition,
        application__candidate__last_name="Soonest",
        deadline_at=timezone.now() + dt.timedelta(hours=2),
    )
    later = SilenceTestFactory(
        application__requisition=requisition,
        application__candidate__last_name="Latest",
        deadline_at=timezone.now() + dt.timedelta(days=7, hours=5),
    )
    text = _home(client)
    assert soon.application.candidate.full_name in text
    assert later.application.candidate.full_name not in text
    with time_machine.travel(timezone.now() + dt.timedelta(hours=6)):
        text = _home(client)
    assert soon.application.candidate.full_name not in text
    assert later.application.candidate.full_name in text


def test_a_closed_test_shows_on_the_home_after_a_queryset_update(home):
    client, requisition = home
    test = SilenceTestFactory(closing=True, application__requisition=requisition)
    _home(client)
    assert "Recommend No" not in _home(client)
    SilenceTest.objects.filter(pk=test.pk).update(state="closed", outcome="silent")
    assert "Recommend No" in _home(client)


def test_homes_are_never_shared_between_managers(client):
    first, second = UserFactory(hiring_manager=True), UserFactory(hiring_manager=True)
    first.first_name, second.first_name = "Firstname", "Secondname"
    first.save()
    second.save()
    requisition = RequisitionFactory(hiring_manager=first)
    requisition.recruiters.clear()
    client.force_login(first)
    _home(client)
    client.force_login(second)
    text = _home(client)
    assert "Secondname" in text
    assert "Firstname" not in text


def test_a_requisition_handed_to_another_manager_leaves_the_first_managers_home(home):
    client, requisition = home
    test = SilenceTestFactory(closing=True, application__requisition=requisition)
    SilenceTest.objects.filter(pk=test.pk).update(state="closed", outcome="silent")
    assert "Recommend No" in _home(client)
    Requisition.objects.filter(pk=requisition.pk).update(
        hiring_manager=UserFactory(hiring_manager=True)
    )
    assert "Recommend No" not in _home(client)
