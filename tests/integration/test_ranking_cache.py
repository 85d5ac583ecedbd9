"""The ranking page is cached whole per viewer under its requisition's page version
(``hiring.page_cache``; database triggers bump the version, ``followups.0011``): every kind of
change shows on the next request, however it was written (ORM, queryset update, raw SQL), and
nothing per user — the CSRF token, the override forms, the time zone, the roles — is shared
between users or outlives a change."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from accounts.roles import RECRUITERS
from candidates.models import Application, Candidate, CandidateEmail, InterviewRound
from followups.models import PersistenceScore, ScoringWeights
from hiring.models import (
    Requisition,
    SilenceOutcome,
    SilenceTest,
    SilenceTestState,
    Stage,
    StageKind,
)
from hiring.services import user_time_zone_set
from scoring.scores import scores_recompute
from scoring.views import RankingFilterForm, ranking_filters_parse
from silence.services import silence_tests_sweep
from tests.clients import Client
from tests.factories import (
    ApplicationFactory,
    ContactFactory,
    RequisitionFactory,
    ScorecardFactory,
    SilenceTestFactory,
    UserFactory,
    stage_of,
)

ROWS_TEMPLATE = "followups/_ranking_rows.html"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PLACEHOLDER = re.compile(r"(csrf|path|until)-[0-9a-f]{32}")


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def scored():
    """A requisition with one finished, scored silence test and one application before it."""
    req = RequisitionFactory()
    test = SilenceTestFactory(closing=True, application__requisition=req)
    ContactFactory(
        application=test.application, occurred_at=test.deadline_at + dt.timedelta(hours=15)
    )
    other = ApplicationFactory(requisition=req)
    silence_tests_sweep(now=timezone.now())
    scores_recompute(application_ids=[test.application_id, other.pk], now=timezone.now())
    return req, test.application, other


def _get(client, req, **params):
    return client.get(reverse("followups:ranking", args=[req.pk]), params)


def _rows_rendered(response) -> bool:
    return ROWS_TEMPLATE in {t.name for t in response.templates}


def test_second_request_serves_the_page_from_the_cache_with_only_the_access_check(
    client, scored, django_assert_num_queries
):
    req, _app, _other = scored
    client.force_login(req.hiring_manager)
    # session, user, zone with groups, the requisition's access check with its version, stages
    # and count; to render: the requisition's row and the ranking itself
    with django_assert_num_queries(6):
        first = _get(client, req)
    with django_assert_num_queries(4):
        second = _get(client, req)
    assert _rows_rendered(first)
    assert not _rows_rendered(second)
    strip = TOKEN.sub("", first.text.split("<tbody>")[1].split("</tbody>")[0])
    assert strip == TOKEN.sub("", second.text.split("<tbody>")[1].split("</tbody>")[0])


def _rename_candidate(app, other):
    Candidate.objects.filter(pk=app.candidate_id).update(last_name="Renamedsson")
    return "Renamedsson"


def _change_score(app, other):
    PersistenceScore.objects.filter(application=app, is_current=True).update(score=3)
    return "<strong>3</strong>"


def _move_stage(app, other):
    # A queryset update does not touch updated_at: the fingerprint reads the content itself.
    stage = stage_of(app.requisition, StageKind.INTERVIEW)
    Application.objects.filter(pk=app.pk).update(stage=stage)
    return f"<dd>{stage.name} since"


def _change_silence_test(app, other):
    # The ranking shows the current score's outcome (kept fresh with the test's, issue #23).
    SilenceTest.objects.filter(application=app).update(
        state=SilenceTestState.CLOSED, outcome=SilenceOutcome.SILENT
    )
    PersistenceScore.objects.filter(application=app, is_current=True).update(
        outcome=SilenceOutcome.SILENT
    )
    return f'class="badge outcome-silent">{SilenceOutcome.SILENT.label}'


def _new_weights_version(app, other):
    weights = PersistenceScore.objects.get(application=app, is_current=True).weights_id
    ScoringWeights.objects.filter(pk=weights).update(version=77)
    return "Weights v77"


def _add_scorecard(app, other):
    # The hiring manager's own scorecard: another's stays hidden from them (blind scorecards).
    ScorecardFactory(
        round__application=other,
        interviewer=other.requisition.hiring_manager,
        tenacity=1,
        trust=1,
        follow_up=1,
    )
    average = Application.objects.annotate_scorecard_average().get(pk=other.pk)
    return f'<td class="num cards" data-label="Scorecards">{average.scorecard_average:.1f}</td>'


def _change_primary_email(app, other):
    CandidateEmail.objects.filter(candidate_id=other.candidate_id).delete()
    CandidateEmail.objects.create(
        candidate_id=other.candidate_id, address="new-address@mail.example", is_primary=True
    )
    return "new-address@mail.example"


def _new_application(app, other):
    ApplicationFactory(requisition=app.requisition, candidate__last_name="Latecomer")
    return "Latecomer"


def _raw_sql(statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _rename_candidate_by_raw_sql(app, other):
    # Another process, a data fix, a bulk job: no signal, no save(); the trigger sees it.
    _raw_sql(
        "UPDATE candidates_candidate SET last_name = 'Rawsson' WHERE id = %s", [app.candidate_id]
    )
    return "Rawsson"


def _override_by_raw_sql(app, other):
    _raw_sql(
        "INSERT INTO followups_rankoverride (application_id, position, outcome, reason, "
        "is_active, created_at) VALUES (%s, NULL, 'silent', 'Raw reason', true, now())",
        [other.pk],
    )
    return "Raw reason"


def _rename_stage(app, other):
    # A stage belongs to the pipeline: every requisition on it changes.
    Stage.objects.filter(pk=app.stage_id).update(name="Renamed stage")
    return "Renamed stage"


def _retitle_requisition(app, other):
    Requisition.objects.filter(pk=app.requisition_id).update(title="Retitled role")
    return "Retitled role"


def _reveal_scorecards(app, other):
    # Blind scorecards: another interviewer's card stays hidden until the round is revealed.
    card = ScorecardFactory(round__application=other, tenacity=2, trust=2, follow_up=2)
    InterviewRound.objects.filter(pk=card.round_id).update(scorecards_revealed_at=timezone.now())
    average = Application.objects.annotate_scorecard_average().get(pk=other.pk)
    return f'<td class="num cards" data-label="Scorecards">{average.scorecard_average:.1f}</td>'


def _delete_application(app, other):
    name = other.candidate.full_name
    Application.objects.filter(pk=other.pk).delete()
    return f"!{name}"


@pytest.mark.parametrize(
    "change",
    [
        _rename_candidate_by_raw_sql,
        _override_by_raw_sql,
        _rename_stage,
        _retitle_requisition,
        _reveal_scorecards,
        _delete_application,
        _rename_candidate,
        _change_score,
        _move_stage,
        _change_silence_test,
        _new_weights_version,
        _add_scorecard,
        _change_primary_email,
        _new_application,
    ],
)
def test_every_kind_of_change_shows_on_the_next_request(client, scored, change):
    req, app, other = scored
    client.force_login(req.hiring_manager)
    _get(client, req)
    before = _get(client, req)
    assert not _rows_rendered(before)  # cached
    expected = change(app, other)
    gone = expected.startswith("!")
    expected = expected.removeprefix("!")
    assert (expected in before.text) is gone
    response = _get(client, req)
    assert _rows_rendered(response)
    assert (expected in response.text) is not gone


def test_unknown_parameters_and_spellings_of_the_same_filters_share_one_cached_page(client, scored):
    req, _app, _other = scored
    client.force_login(req.hiring_manager)
    _get(client, req, sort="rank", utm_source="mail")
    for params in ({}, {"utm_source": "other"}, {"sort": "rank", "page": "1"}, {"page": "x"}):
        assert not _rows_rendered(_get(client, req, **params)), params
    assert _rows_rendered(_get(client, req, sort="name"))


def test_the_bulk_form_returns_to_the_requested_address_not_the_first_renderers(client, scored):
    req, _app, _other = scored
    client.force_login(req.hiring_manager)
    _get(client, req, utm_source="first")
    page = _get(client, req, utm_source="second")
    assert not _rows_rendered(page)
    assert 'name="next" value="/requisitions/' in page.text
    assert "utm_source=second" in page.text
    assert "utm_source=first" not in page.text


def test_a_cached_page_is_refused_the_moment_the_user_loses_access(client, scored):
    req, _app, _other = scored
    recruiter = UserFactory(recruiter=True)
    req.recruiters.add(recruiter)
    client.force_login(recruiter)
    _get(client, req)
    assert _get(client, req).status_code == 200
    req.recruiters.remove(recruiter)
    assert _get(client, req).status_code == 404


def test_a_role_change_shows_in_the_layout_on_the_next_request(client, scored):
    req, _app, _other = scored
    client.force_login(req.hiring_manager)
    _get(client, req)
    assert "Unmatched</a>" not in _get(client, req).text
    req.hiring_manager.groups.add(Group.objects.get(name=RECRUITERS))
    assert "Unmatched</a>" in _get(client, req).text


def test_a_pending_message_is_shown_once_and_not_cached(client, scored):
    req, app, _other = scored
    client.force_login(req.hiring_manager)
    _get(client, req)
    client.post(reverse("followups:rank_override", args=[app.pk]), {"position": 1, "reason": "Top"})
    assert "Override saved" in _get(client, req).text
    assert "Override saved" not in _get(client, req).text


def test_an_override_saved_through_the_page_shows_on_the_next_request(scored):
    req, app, _other = scored
    client = Client(enforce_csrf_checks=True)
    client.force_login(req.hiring_manager)
    _get(client, req)
    page = _get(client, req)  # from the cache, with this request's token
    token = TOKEN.search(page.text).group(1)
    response = client.post(
        reverse("followups:rank_override", args=[app.pk]),
        {"position": 2, "reason": "Met at the trade fair", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    rows = _get(client, req).text.split("<tbody>")[1]
    assert "Met at the trade fair" in rows
    assert rows.index(_other_name(req, app)) < rows.index(app.candidate.full_name)


def _other_name(req, app) -> str:
    return Application.objects.filter(requisition=req).exclude(pk=app.pk).get().candidate.full_name


def test_cached_pages_carry_each_users_own_csrf_token_and_never_a_placeholder(scored):
    req, app, _other = scored
    manager = Client(enforce_csrf_checks=True)
    manager.force_login(req.hiring_manager)
    admin = Client(enforce_csrf_checks=True)
    admin.force_login(UserFactory(admin=True))
    _get(manager, req)
    _get(admin, req)
    manager_page = _get(manager, req)
    admin_page = _get(admin, req)
    assert not _rows_rendered(manager_page)
    assert not _rows_rendered(admin_page)
    for page in (manager_page, admin_page):
        assert not PLACEHOLDER.search(page.text)
    admin_token = TOKEN.search(admin_page.text).group(1)
    # The admin's token works for the admin's session; the manager's does not.
    manager_token = TOKEN.search(manager_page.text).group(1)
    url = reverse("followups:rank_override", args=[app.pk])
    refused = admin.post(url, {"position": 1, "reason": "x", "csrfmiddlewaretoken": manager_token})
    assert refused.status_code == 403
    accepted = admin.post(url, {"position": 1, "reason": "x", "csrfmiddlewaretoken": admin_token})
    assert accepted.status_code == 302


def test_a_reader_without_override_rights_never_gets_the_managers_override_forms(client, scored):
    req, _app, _other = scored
    recruiter = UserFactory(recruiter=True)
    req.recruiters.add(recruiter)
    client.force_login(req.hiring_manager)
    assert 'class="override"' in _get(client, req).text
    client.force_login(recruiter)
    text = _get(client, req).text
    assert 'class="override"' not in text
    assert _other_name(req, _app) in text


def test_dates_follow_each_users_time_zone_not_the_first_renderers(client, scored):
    req, app, _other = scored
    deadline = SilenceTest.objects.get(application=app).deadline_at
    client.force_login(req.hiring_manager)
    user_time_zone_set(user=req.hiring_manager, time_zone="Asia/Tokyo")
    tokyo = _get(client, req).text
    other_manager = UserFactory(admin=True)
    client.force_login(other_manager)
    utc = _get(client, req).text
    assert deadline.astimezone(dt.UTC).strftime("%H:%M UTC") in utc
    assert deadline.astimezone(dt.UTC).strftime("%H:%M UTC") not in tokyo


def test_the_channel_filter_is_never_served_from_the_cache(client, scored):
    req, _app, _other = scored
    client.force_login(req.hiring_manager)
    _get(client, req, channel="phone")
    assert _rows_rendered(_get(client, req, channel="phone"))


@pytest.mark.parametrize(
    "query",
    [
        "",
        "page=2&utm_source=x",
        "sort=name",
        "sort=rank&state=none&outcome=silent",
        "min_score=10&max_score=90",
        "min_score=90&max_score=10",
        "min_score=101",
        "min_score=abc",
        "sort=bogus",
        "state=bogus",
        "channel=phone",
        "stage=999999",
        "stage=FIRST&sort=score",
        "stage=x",
        "stage=&state=",
        "sort=name&sort=score",
    ],
)
def test_the_pages_filter_parsing_accepts_and_refuses_exactly_what_the_form_does(query):
    """The cached page reads its filters without building the form: it must agree with it."""
    req = RequisitionFactory()
    stages = list(req.pipeline.stages.order_by("order").values_list("pk", "name"))
    data = QueryDict(query.replace("FIRST", str(stages[0][0])))
    form = RankingFilterForm(data or None, requisition=req, stages=stages)
    parsed = ranking_filters_parse(data, stages)
    if form.is_bound and not form.is_valid():
        assert parsed is None
    else:
        assert parsed == form.filters()


def test_a_stage_filter_is_parsed_with_the_requisitions_own_stages(client, scored):
    req, app, _other = scored
    client.force_login(req.hiring_manager)
    other_pipeline_stage = stage_of(RequisitionFactory(), StageKind.APPLIED)
    refused = _get(client, req, stage=other_pipeline_stage.pk)
    assert 'aria-invalid="true"' in refused.text
    assert _rows_rendered(_get(client, req, stage=other_pipeline_stage.pk))
    _get(client, req, stage=app.stage_id)
    assert not _rows_rendered(_get(client, req, stage=app.stage_id))


def test_a_refused_filter_shows_its_errors_every_time_and_is_never_cached(client, scored):
    req, _app, _other = scored
    client.force_login(req.hiring_manager)
    for _ in range(2):
        response = _get(client, req, min_score=60, max_score=20)
        assert _rows_rendered(response)
        assert "is below “Score from” (60)" in response.text
    assert not PLACEHOLDER.search(response.text)
