"""The REST API (/api/v1/): tokens, reads through the pages' selectors, writes through the
pages' actions, problem details, pagination, throttling and the audit trail."""

import datetime as dt
import json

import pytest
import yaml
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openapi_spec_validator import validate

from api.models import ApiContactKey, ApiToken
from api.services import api_token_create, api_token_revoke, token_digest
from audit.models import AuditAction, AuditEvent
from followups.models import Contact
from hiring.models import SilenceTest, StageKind
from scoring.ranking import requisition_ranking
from scoring.scores import rank_override_set
from tests.clients import Client
from tests.factories import (
    ApplicationFactory,
    RequisitionFactory,
    UserFactory,
    stage_of,
)


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()


def bearer(user, name="test") -> dict:
    _token, secret = api_token_create(user=user, name=name)
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def post_json(client, url, payload, **headers):
    return client.post(url, json.dumps(payload), content_type="application/json", **headers)


@pytest.fixture
def team():
    manager = UserFactory(hiring_manager=True)
    recruiter = UserFactory(recruiter=True)
    requisition = RequisitionFactory(hiring_manager=manager, recruiters=[recruiter])
    application = ApplicationFactory(requisition=requisition)
    return {"manager": manager, "recruiter": recruiter, "req": requisition, "app": application}


def contact_payload(**extra):
    return {
        "external_id": "crm-1",
        "channel": "phone",
        "direction": "inbound",
        "occurred_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        "duration_seconds": 300,
        "summary": "Called to follow up",
        "tags": ["professional"],
        **extra,
    }


# --- Tokens ------------------------------------------------------------------------------


def test_a_token_is_stored_only_as_a_digest_and_shown_once(team):
    token, secret = api_token_create(user=team["manager"], name="CRM")
    assert secret.startswith(f"pst_{token.prefix}_")
    assert token.key_hash == token_digest(secret)
    assert secret not in json.dumps(list(ApiToken.objects.values()), default=str)


def test_a_token_acts_as_its_user_and_records_when_it_was_last_used(client, team):
    headers = bearer(team["recruiter"])
    response = client.get(reverse("api:requisition_list"), **headers)
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [team["req"].pk]
    assert ApiToken.objects.get(user=team["recruiter"]).last_used_at is not None


def test_a_revoked_or_wrong_token_is_refused_with_401_problem(client, team):
    token, secret = api_token_create(user=team["manager"], name="x")
    api_token_revoke(token=token, actor=team["manager"])
    for value in (f"Bearer {secret}", f"Bearer {secret}x", "Bearer pst_nope_nope", "Bearer"):
        response = client.get(reverse("api:requisition_list"), HTTP_AUTHORIZATION=value)
        assert response.status_code == 401, value
        assert response["Content-Type"] == "application/problem+json"
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["status"] == 401


def test_a_deactivated_users_token_stops_working(client, team):
    headers = bearer(team["manager"])
    team["manager"].is_active = False
    team["manager"].save()
    assert client.get(reverse("api:requisition_list"), **headers).status_code == 401


def test_tokens_are_created_and_revoked_on_the_settings_page(client, team):
    client.force_login(team["manager"])
    response = client.post(reverse("api:token_create"), {"name": "CRM sync"})
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret.startswith("pst_")
    assert response["Cache-Control"] == "no-store"
    page = client.get(reverse("hiring:profile")).content.decode()
    assert "CRM sync" in page
    assert secret not in page  # shown once only
    token = ApiToken.objects.get(user=team["manager"])
    assert client.get(reverse("api:requisition_list"), HTTP_AUTHORIZATION=f"Bearer {secret}")
    client.post(reverse("api:token_revoke", kwargs={"pk": token.pk}))
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(action=AuditAction.API_TOKEN_CREATED).count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.API_TOKEN_REVOKED).count() == 1


def test_nobody_can_revoke_someone_elses_token(client, team):
    token, _secret = api_token_create(user=team["manager"], name="x")
    client.force_login(team["recruiter"])
    response = client.post(reverse("api:token_revoke", kwargs={"pk": token.pk}))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


# --- Sessions ----------------------------------------------------------------------------


def test_a_session_write_without_the_csrf_token_is_refused(team):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(team["recruiter"])
    assert browser.get(reverse("api:application_list")).status_code == 200
    response = post_json(
        browser, reverse("api:contact_create", kwargs={"pk": team["app"].pk}), contact_payload()
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Contact.objects.exists()


def test_an_admin_session_without_the_second_step_gets_nothing(client):
    admin = UserFactory(admin=True)
    client.force_login(admin, second_factor=False)
    assert client.get(reverse("api:requisition_list")).status_code == 401
    # …but the admin's token acts as the admin (made from a verified session).
    assert client.get(reverse("api:requisition_list"), **bearer(admin)).status_code == 200


# --- Reads -------------------------------------------------------------------------------


def test_applications_show_stage_silence_test_and_score_with_breakdown(client, team):
    application = ApplicationFactory(requisition=team["req"], at_silence_test=True)
    SilenceTest.objects.create(
        application=application,
        stage=application.stage,
        announced_at=timezone.now() - dt.timedelta(days=10),
        time_zone="UTC",
        deadline_at=timezone.now() - dt.timedelta(days=7),
        window_closes_at=timezone.now() - dt.timedelta(days=3),
        state="closed",
        outcome="silent",
    )
    response = client.get(
        reverse("api:application_detail", kwargs={"pk": application.pk}),
        **bearer(team["manager"]),
    )
    data = response.json()
    assert data["stage"]["kind"] == StageKind.SILENCE_TEST
    assert data["silence_test"]["outcome"] == "silent"
    assert data["silence_test"]["outcome_label"] == "Silent"
    assert data["outcome"] == "silent"


def test_the_ranking_has_the_pages_order_and_filters(client, team):
    for _ in range(3):
        ApplicationFactory(requisition=team["req"])
    headers = bearer(team["manager"])
    url = reverse("api:ranking", kwargs={"pk": team["req"].pk})
    data = client.get(url, {"page_size": 2}, **headers).json()
    expected = [
        row.application.pk
        for row in requisition_ranking(team["req"], viewer=team["req"].hiring_manager)
    ]
    seen = [row["application"]["id"] for row in data["results"]]
    following = client.get(data["next"], **headers).json()
    seen += [row["application"]["id"] for row in following["results"]]
    assert seen == expected
    screen = stage_of(team["req"], StageKind.SCREEN)
    assert client.get(url, {"stage": screen.pk}, **headers).json()["results"] == []


def test_invalid_ranking_filters_and_cursors_are_400_with_field_errors(client, team):
    headers = bearer(team["manager"])
    url = reverse("api:ranking", kwargs={"pk": team["req"].pk})
    response = client.get(url, {"min_score": "lots", "sort": "x"}, **headers)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"min_score", "sort"}
    assert client.get(url, {"cursor": "%%%"}, **headers).json()["errors"] == {
        "cursor": ["Invalid cursor."]
    }
    bad = client.get(reverse("api:application_list"), {"cursor": "zz"}, **headers)
    assert bad.status_code == 400


def test_a_candidate_shows_only_the_applications_the_user_may_see(client, team):
    other = ApplicationFactory(candidate=team["app"].candidate)  # another team's requisition
    response = client.get(
        reverse("api:candidate_detail", kwargs={"pk": team["app"].candidate_id}),
        **bearer(team["recruiter"]),
    )
    assert response.json()["applications"] == [team["app"].pk]
    assert other.pk not in response.json()["applications"]


def test_the_candidate_list_searches_like_find_anyone_within_what_the_token_may_see(client, team):
    team["app"].candidate.first_name, team["app"].candidate.last_name = "José", "Núñez"
    team["app"].candidate.save()
    ApplicationFactory(requisition=team["req"])  # someone else on the same requisition
    foreign = ApplicationFactory(candidate__first_name="José", candidate__last_name="Núñez")
    url = reverse("api:candidate_list")
    response = client.get(url, {"q": "nunez jose"}, **bearer(team["recruiter"]))
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["results"]] == [team["app"].candidate_id]
    assert foreign.candidate_id != team["app"].candidate_id
    short = client.get(url, {"q": "j"}, **bearer(team["recruiter"]))
    assert short.status_code == 400
    assert short.json()["errors"] == {"q": ["Search for at least 2 characters."]}
    long = client.get(url, {"q": "x" * 500}, **bearer(team["recruiter"]))
    assert long.status_code == 400
    assert "at most" in long.json()["errors"]["q"][0]


def test_lists_are_paginated_by_cursor(client, team):
    for _ in range(4):
        ApplicationFactory(requisition=team["req"])
    headers = bearer(team["manager"])
    ids, url = [], reverse("api:application_list") + "?page_size=2"
    while url:
        page = client.get(url, **headers).json()
        ids += [a["id"] for a in page["results"]]
        url = page["next"]
    assert ids == sorted(ids)
    assert len(ids) == 5


# --- Writes ------------------------------------------------------------------------------


def test_creating_a_contact_records_it_through_the_one_action_and_audits_it(client, team):
    url = reverse("api:contact_create", kwargs={"pk": team["app"].pk})
    response = post_json(client, url, contact_payload(), **bearer(team["recruiter"]))
    assert response.status_code == 201, response.content
    contact = Contact.objects.get()
    assert contact.logged_by == team["recruiter"]
    assert contact.duration_seconds == 300
    assert response.json()["tags"] == ["professional"]
    event = AuditEvent.objects.get(action=AuditAction.API_WRITE)
    assert event.actor == team["recruiter"]
    assert event.details["endpoint"] == "api:contact_create"


def test_the_same_external_id_returns_the_same_contact_and_a_different_body_conflicts(client, team):
    url = reverse("api:contact_create", kwargs={"pk": team["app"].pk})
    headers = bearer(team["recruiter"])
    payload = contact_payload()
    first = post_json(client, url, payload, **headers)
    again = post_json(client, url, payload, **headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    changed = post_json(client, url, {**payload, "summary": "other"}, **headers)
    assert changed.status_code == 409
    assert changed.json()["type"] == "urn:persist:problem:idempotency_conflict"
    assert Contact.objects.count() == 1


def test_contact_field_errors_are_problem_details(client, team):
    url = reverse("api:contact_create", kwargs={"pk": team["app"].pk})
    response = post_json(
        client,
        url,
        contact_payload(channel="pigeon", occurred_at="2026-01-01T10:00", tags=["nice"]),
        **bearer(team["recruiter"]),
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "urn:persist:problem:invalid"
    assert set(body["errors"]) == {"channel", "occurred_at", "tags.0"}


def test_a_contact_in_the_future_is_refused_by_the_pages_rule(client, team):
    url = reverse("api:contact_create", kwargs={"pk": team["app"].pk})
    future = (timezone.now() + dt.timedelta(days=1)).isoformat()
    response = post_json(
        client, url, contact_payload(occurred_at=future), **bearer(team["manager"])
    )
    assert response.status_code == 422
    assert response.json()["type"] == "urn:persist:problem:future"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"[1, 2]", 400),
        (b"[" * 50_000 + b"]" * 50_000, 413),
        (b"[" * 5_000 + b"]" * 5_000, 400),
        (b'{"a": "' + b"x" * 70_000 + b'"}', 413),
    ],
)
def test_malformed_huge_or_deep_bodies_are_bounded_problems(client, team, body, status):
    url = reverse("api:contact_create", kwargs={"pk": team["app"].pk})
    response = client.post(url, body, content_type="application/json", **bearer(team["manager"]))
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"


def test_moving_a_stage_follows_the_pages_rules(client, team):
    url = reverse("api:application_move", kwargs={"pk": team["app"].pk})
    offer = stage_of(team["req"], StageKind.OFFER)
    screen = stage_of(team["req"], StageKind.SCREEN)
    recruiter = bearer(team["recruiter"])
    refused = post_json(client, url, {"to_stage": offer.pk}, **recruiter)
    assert refused.status_code == 403  # offers are the hiring manager's decision
    moved = post_json(client, url, {"to_stage": screen.pk}, **recruiter)
    assert moved.status_code == 200
    assert moved.json()["stage"]["id"] == screen.pk
    rejected = stage_of(team["req"], StageKind.REJECTED)
    no_reason = post_json(client, url, {"to_stage": rejected.pk}, **recruiter)
    assert no_reason.status_code == 422
    assert no_reason.json()["type"] == "urn:persist:problem:reason_required"
    foreign_stage = stage_of(RequisitionFactory(), StageKind.SCREEN)
    assert post_json(client, url, {"to_stage": foreign_stage.pk}, **recruiter).status_code == 400
    assert AuditEvent.objects.filter(action=AuditAction.API_WRITE).count() == 1


def test_announcing_a_silence_test_starts_it(client, team):
    application = ApplicationFactory(requisition=team["req"], at_silence_test=True)
    url = reverse("api:silence_announce", kwargs={"pk": application.pk})
    headers = bearer(team["recruiter"])
    stranger = UserFactory(hiring_manager=True)
    now = timezone.now().isoformat()
    refused = post_json(client, url, {"announced_at": now, "announced_by": stranger.pk}, **headers)
    assert refused.status_code == 400
    assert "announced_by" in refused.json()["errors"]
    response = post_json(client, url, {"announced_at": now}, **headers)
    assert response.status_code == 201, response.content
    test = SilenceTest.objects.get(application=application)
    assert test.announced_by == team["recruiter"]
    assert response.json()["deadline_at"]
    not_there = post_json(
        client,
        reverse("api:silence_announce", kwargs={"pk": team["app"].pk}),
        {"announced_at": now},
        **headers,
    )
    assert not_there.status_code == 422


def test_tokens_are_rate_limited_each_on_its_own(client, team, settings):
    settings.API_RATE_LIMIT = "3/minute"
    first, second = bearer(team["manager"], "a"), bearer(team["manager"], "b")
    url = reverse("api:requisition_list")
    statuses = [client.get(url, **first).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get(url, **first)
    assert limited["Content-Type"] == "application/problem+json"
    assert int(limited["Retry-After"]) > 0
    assert client.get(url, **second).status_code == 200


def test_unknown_api_urls_are_problem_details(client, team):
    response = client.get("/api/v1/nothing/", **bearer(team["manager"]))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


# --- The schema --------------------------------------------------------------------------


def test_the_openapi_schema_is_valid_and_covers_every_endpoint(client, team):
    response = client.get(reverse("api:schema"), **bearer(team["manager"]))
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    validate(schema)
    assert {
        "/api/v1/requisitions/",
        "/api/v1/requisitions/{id}/ranking/",
        "/api/v1/applications/{id}/contacts/",
        "/api/v1/applications/{id}/move/",
        "/api/v1/applications/{id}/silence-test/announcement/",
        "/api/v1/candidates/{id}/",
    } <= set(schema["paths"])


def test_the_docs_page_is_for_signed_in_users(client, team):
    assert client.get(reverse("api:docs")).status_code == 302
    client.force_login(team["manager"])
    page = client.get(reverse("api:docs"))
    assert page.status_code == 200
    assert b"swagger" in page.content.lower()


def test_a_contact_key_is_unique_per_user_and_external_id():
    assert any(
        c.name == "apicontactkey_unique_user_external_id" for c in ApiContactKey._meta.constraints
    )


def test_the_schema_needs_a_token_or_a_session(client):
    response = client.get(reverse("api:schema"))
    assert response.status_code == 401


def test_the_browsable_api_renders_for_a_signed_in_user(client, team):
    client.force_login(team["manager"])
    response = client.get(reverse("api:requisition_list"), HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    missing = client.get(
        reverse("api:application_detail", kwargs={"pk": 10**9}), HTTP_ACCEPT="text/html"
    )
    assert missing.status_code == 404
    assert missing["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "name", ["api:application_list", "api:candidate_list", "api:requisition_list"]
)
def test_lists_cost_the_same_number_of_queries_whatever_their_size(client, team, name):
    headers = bearer(team["manager"])
    client.get(reverse(name), **headers)  # warm: token lookup, roles
    with CaptureQueriesContext(connection) as small:
        client.get(reverse(name), **headers)
    for _ in range(5):
        ApplicationFactory(requisition=RequisitionFactory(hiring_manager=team["manager"]))
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse(name), **headers)
    assert len(response.json()["results"]) > 5
    assert len(large.captured_queries) == len(small.captured_queries)


def test_a_superuser_revokes_a_leaked_token_in_the_admin_and_an_admin_cannot_see_them(client, team):
    token, _secret = api_token_create(user=team["manager"], name="leaked")
    changelist = reverse("admin:api_apitoken_changelist")
    client.force_login(UserFactory(admin=True, is_staff=True))
    assert client.get(changelist).status_code == 403
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert client.get(changelist).status_code == 200
    client.post(changelist, {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None
    event = AuditEvent.objects.get(action=AuditAction.API_TOKEN_REVOKED)
    assert event.details["owner"] == team["manager"].pk


def test_the_ranking_applies_the_managers_overrides_like_the_page(client, team):
    last = None
    for _ in range(3):
        last = ApplicationFactory(requisition=team["req"])
    rank_override_set(
        application=last,
        actor=team["manager"],
        reason="Strong references",
        position=1,
        outcome="reached_out",
    )
    url = reverse("api:ranking", kwargs={"pk": team["req"].pk})
    rows = client.get(url, **bearer(team["recruiter"])).json()["results"]
    assert [r["application"]["id"] for r in rows] == [
        row.application.pk
        for row in requisition_ranking(team["req"], viewer=team["req"].hiring_manager)
    ]
    first = rows[0]
    assert (first["rank"], first["application"]["id"]) == (1, last.pk)
    assert first["application"]["outcome"] == "reached_out"
    assert first["application"]["outcome_label"] == "Reached out"
    assert first["application"]["override"]["reason"] == "Strong references"
    filtered = client.get(url, {"outcome": "reached_out"}, **bearer(team["manager"])).json()
    assert [r["application"]["id"] for r in filtered["results"]] == [last.pk]
