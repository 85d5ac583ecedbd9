"""Every URL, role and own/foreign object ⇒ the expected status. A URL without an entry here
fails the suite, so a new page cannot ship without deciding who may open it."""

import datetime as dt
import json

import pytest
from django.core.cache import cache
from django.urls import get_resolver, reverse
from django.utils import timezone

from api.services import api_token_create
from decisions.models import ScheduledEmail
from followups.models import ImportBatch
from followups.services import email_ingest
from hiring.models import StageKind
from tests.emails import make_email
from tests.factories import (
    ApplicationFactory,
    InterviewRoundFactory,
    RequisitionFactory,
    UserFactory,
    application_cv,
    stage_of,
)

PUBLIC = {
    "login",
    "logout",
    "healthz",
    "hiring:calendar_feed",
    "evidence:self_id",
    # Single sign-on: reached before signing in (tests/browser/test_sso.py).
    "oidc_authentication_init",
    "oidc_authentication_callback",
}
SIGNED_WEBHOOKS = {
    "followups:inbound_email_webhook",
    "followups:twilio_sms_webhook",
    "followups:twilio_voice_status_webhook",
    "followups:aircall_webhook",
    "followups:dialpad_webhook",
}
OK = {200, 302, 405, 422}
NOT_FOUND = {404}
FORBIDDEN = {403}
#: An upload without a file is a form error (400): the page itself was allowed.
UPLOAD = OK | {400}


@pytest.fixture
def world():
    manager = UserFactory(hiring_manager=True)
    recruiter = UserFactory(recruiter=True)
    own_req = RequisitionFactory(hiring_manager=manager, recruiters=[recruiter])
    foreign_req = RequisitionFactory()
    own_app = ApplicationFactory(requisition=own_req)
    foreign_app = ApplicationFactory(requisition=foreign_req)
    own_round = InterviewRoundFactory(application=own_app, sequence=1)
    foreign_round = InterviewRoundFactory(application=foreign_app, sequence=1)
    address = own_app.candidate.emails.get().address
    own_contact = email_ingest(raw=make_email(from_=address), source="pipe", now=timezone.now())
    foreign_address = foreign_app.candidate.emails.get().address
    foreign_contact = email_ingest(
        raw=make_email(from_=foreign_address), source="pipe", now=timezone.now()
    )
    queued = email_ingest(
        raw=make_email(from_="stranger@example.net"), source="pipe", now=timezone.now()
    )
    batch = ImportBatch.objects.create(
        uploaded_by=recruiter, filename="calls.csv", preset="generic", content=b""
    )
    foreign_batch = ImportBatch.objects.create(
        uploaded_by=UserFactory(recruiter=True), filename="x.csv", preset="generic", content=b""
    )
    own_token, _secret = api_token_create(user=manager, name="own")
    foreign_token, _secret = api_token_create(user=UserFactory(recruiter=True), name="foreign")
    own_silence = ApplicationFactory(requisition=own_req, at_silence_test=True)
    foreign_silence = ApplicationFactory(requisition=foreign_req, at_silence_test=True)
    own_cv = application_cv(own_app)
    foreign_cv = application_cv(foreign_app)
    own_email, foreign_email = (
        ScheduledEmail.objects.create(
            application=app,
            kind="rejection_silent",
            subject="Your application",
            body="Thank you.",
            send_at=timezone.now(),
            created_at=timezone.now(),
        )
        for app in (own_app, foreign_app)
    )
    return {
        "manager": manager,
        "recruiter": recruiter,
        "admin": UserFactory(admin=True, is_superuser=True),
        "stranger": UserFactory(hiring_manager=True),
        "own": {
            "req": own_req.pk,
            "app": own_app.pk,
            "round": own_round.pk,
            "contact": own_contact.contact_id,
            "queued": queued.contact_id,
            "batch": batch.pk,
            "candidate": own_app.candidate_id,
            "token": own_token.pk,
            "silence_app": own_silence.pk,
            "screen": stage_of(own_req, StageKind.SCREEN).pk,
            "cv": own_cv.pk,
            "scheduled_email": own_email.pk,
        },
        "foreign": {
            "req": foreign_req.pk,
            "app": foreign_app.pk,
            "round": foreign_round.pk,
            "contact": foreign_contact.contact_id,
            "queued": queued.contact_id,
            "batch": foreign_batch.pk,
            "candidate": foreign_app.candidate_id,
            "token": foreign_token.pk,
            "silence_app": foreign_silence.pk,
            "screen": stage_of(foreign_req, StageKind.SCREEN).pk,
            "cv": foreign_cv.pk,
            "scheduled_email": foreign_email.pk,
        },
    }


def _kwargs(name, ids):
    return {
        "candidates:application_create": {"requisition_pk": ids["req"]},
        "candidates:application_detail": {"pk": ids["app"]},
        "candidates:application_move": {"pk": ids["app"]},
        "candidates:round_create": {"pk": ids["app"]},
        "candidates:scorecard_submit": {"pk": ids["app"], "round_pk": ids["round"]},
        "candidates:scorecards_reveal": {"pk": ids["app"], "round_pk": ids["round"]},
        "candidates:cv_upload": {"pk": ids["app"]},
        "candidates:cv_download": {"pk": ids["app"], "cv_pk": ids["cv"]},
        "followups:contact_log": {"application_pk": ids["app"]},
        "followups:email_send": {"application_pk": ids["app"]},
        "followups:contact_raw": {"pk": ids["contact"]},
        "followups:contact_timeline": {"application_pk": ids["app"]},
        "followups:contact_tags_set": {"pk": ids["contact"]},
        "followups:ranking": {"pk": ids["req"]},
        "followups:ranking_csv": {"pk": ids["req"]},
        "followups:rank_override": {"application_pk": ids["app"]},
        "followups:unmatched_attach": {"pk": ids["queued"]},
        "followups:unmatched_dismiss": {"pk": ids["queued"]},
        "followups:call_import_detail": {"pk": ids["batch"]},
        "followups:call_import_errors_csv": {"pk": ids["batch"]},
        "hiring:requisition_board": {"pk": ids["req"]},
        "hiring:silence_board": {"pk": ids["req"]},
        "hiring:silence_announce": {"application_pk": ids["app"]},
        "hiring:insights": {"pk": ids["req"]},
        "privacy:candidate_export": {"pk": ids["candidate"]},
        "privacy:candidate_erase": {"pk": ids["candidate"]},
        "evidence:outcome_edit": {"pk": ids["app"]},
        "evidence:alternative_assessment": {"pk": ids["app"]},
        "evidence:self_id_invite": {"pk": ids["app"]},
        "api:token_revoke": {"pk": ids["token"]},
        "decisions:advance": {"application_pk": ids["app"]},
        "decisions:reject": {"application_pk": ids["app"]},
        "decisions:scheduled_email_cancel": {"pk": ids["scheduled_email"]},
        "decisions:bulk": {"pk": ids["req"]},
    }.get(name, {})


# name: (method, {role: expected statuses for the OWN object}, expected for a FOREIGN object
# as the hiring manager). Roles: manager (owns), recruiter (assigned), stranger (another
# team's hiring manager, own object = someone else's), admin.
MATRIX = {
    "candidates:application_create": (
        "get",
        {"manager": OK, "recruiter": OK, "stranger": NOT_FOUND, "admin": OK},
        NOT_FOUND,
    ),
    "candidates:application_detail": (
        "get",
        {"manager": OK, "recruiter": OK, "stranger": NOT_FOUND, "admin": OK},
        NOT_FOUND,
    ),
    "candidates:application_move": (
        "post",
        {"manager": OK, "recruiter": OK, "stranger": NOT_FOUND, "admin": OK},
        NOT_FOUND,
    ),
    "candidates:round_create": (
        "post",
        {"manager": OK, "recruiter": OK, "stranger": NOT_FOUND, "admin": OK},
        NOT_FOUND,
    ),
    "candidates:scorecard_submit": (
        "get",
        {"manager": OK, "recruiter": OK, "stranger": NOT_FOUND, "admin": OK},
        NOT_FOUND,
    ),
    "followups:contact_log": (
        "post",
        {"manager": OK, "recruiter": OK, "stranger": NOT_FOUND, "admin": OK},
        NOT_FOUND,
    ),
    "followups:email_send": (
        "post",
        {"manager": OK, "recruiter": OK, "stranger": NOT_FOUND, "admin": OK},
        NOT_FOUND,
    ),
    "followups:contact_timeline": (
        "get",
        {"manager": OK, "recruiter": OK, "stranger": NOT_FOUND, "admin": OK},
        NOT_FOUND,
    ),
    "followups:contact_raw": (
        "get",
        {"manager": OK, "recruiter": OK, "stranger": NOT_FOUND, "admin": OK},
        NOT_FOUND,
    ),
    "followups:contact_tags_set": (
        "post",
        {"manager": OK, "recruiter": OK, "stranger": NOT_FOUND, "admin": OK},
        NOT_FOUND,
    ),
    "followups:ranking": (
        "get",
        {"manager": OK, "recruiter": OK, "stranger": NOT_FOUND, "admin": OK},
        NOT_FOUND,
    ),
    "followups:ranking_csv": (
        "get",
        {"manager": OK, "recruiter": OK, "stranger": NOT_FOUND, "admin": OK},
        NOT_FOUND,
    ),
    "followups:rank_override": (
        "post",
        {"manager": OK, "recruiter": FORBIDDEN, "stranger": NOT_FOUND, "admin": OK},
        NOT_FOUND,
    ),
    "followups:weights_edit": (
        "get",
        {"manager": FORBIDDEN, "recruiter": FORBIDDEN, "stranger": FORBIDDEN, "admin": OK},
        FORBIDDEN,
    ),
    "followups:quick_log": (
        "get",
        {"manager": OK, "recruiter": OK, "stranger": OK, "admin": OK},
        OK,
    ),
    "followups:quick_log_search": (
        "get",
        {"manager": OK, "recruiter": OK, "stranger": OK, "admin": OK},
        OK,
    ),
    # Blind scorecards: revealing a round is the hiring manager's or an admin's choice.
    "candidates:scorecards_reveal": (
        "post",
        {"manager": OK, "recruiter": FORBIDDEN, "stranger": NOT_FOUND, "admin": OK},
        NOT_FOUND,
    ),
    # CVs: whoever may see the application (an empty upload is a 400 form error).
    "candidates:cv_upload": (
        "post",
        {
            "manager": OK | {400},
            "recruiter": OK | {400},
            "stranger": NOT_FOUND,
            "admin": OK | {400},
        },
        NOT_FOUND,
    ),
    "candidates:cv_download": (
        "get",
        {"manager": OK, "recruiter": OK, "stranger": NOT_FOUND, "admin": OK},
        NOT_FOUND,
    ),
    # Everyone may search; what they find is scoped (tests/integration/test_search.py).
    "candidates:search": (
        "get",
        {"manager": OK, "recruiter": OK, "stranger": OK, "admin": OK},
        OK,
    ),
    "followups:unmatched_queue": (
        "get",
        {"manager": FORBIDDEN, "recruiter": OK, "stranger": FORBIDDEN, "admin": OK},
        FORBIDDEN,
    ),
    "followups:unmatched_attach": (
        "post",
        {"manager": FORBIDDEN, "recruiter": OK, "stranger": FORBIDDEN, "admin": OK},
        FORBIDDEN,
    ),
    "followups:unmatched_dismiss": (
        "post",
        {"manager": FORBIDDEN, "recruiter": OK, "stranger": FORBIDDEN, "admin": OK},
        FORBIDDEN,
    ),
    "followups:call_import_upload": (
        "get",
        {"manager": FORBIDDEN, "recruiter": OK, "stranger": FORBIDDEN, "admin": OK},
        FORBIDDEN,
    ),
    "followups:call_import_detail": (
        "get",
        {"manager": {403, 404}, "recruiter": OK, "stranger": {403, 404}, "admin": OK},
        {403, 404},
    ),
    "followups:call_import_errors_csv": (
        "get",
        {"manager": {403, 404}, "recruiter": OK, "stranger": {403, 404}, "admin": OK},
        {403, 404},
    ),
    "hiring:home": ("get", {"manager": OK, "recruiter": OK, "stranger": OK, "admin": OK}, OK),
    "hiring:requisition_list": (
        "get",
        {"manager": OK, "recruiter": OK, "stranger": OK, "admin": OK},
        OK,
    ),
    "hiring:requisition_board": (
        "get",
        {"manager": OK, "recruiter": OK, "stranger": NOT_FOUND, "admin": OK},
        NOT_FOUND,
    ),
    "hiring:silence_board": (
        "get",
        {"manager": OK, "recruiter": OK, "stranger": NOT_FOUND, "admin": OK},
        NOT_FOUND,
    ),
    "hiring:silence_announce": (
        "post",
        {"manager": OK, "recruiter": OK, "stranger": NOT_FOUND, "admin": OK},
        NOT_FOUND,
    ),
    "hiring:insights": (
        "get",
        {"manager": OK, "recruiter": OK, "stranger": NOT_FOUND, "admin": OK},
        NOT_FOUND,
    ),
    "hiring:profile": ("get", {"manager": OK, "recruiter": OK, "stranger": OK, "admin": OK}, OK),
    "hiring:calendar_settings": (
        "get",
        {"manager": OK, "recruiter": OK, "stranger": OK, "admin": OK},
        OK,
    ),
    # Subject-access exports: admins and the candidate's recruiters, not hiring managers.
    "privacy:candidate_export": (
        "get",
        {"manager": FORBIDDEN, "recruiter": OK, "stranger": FORBIDDEN, "admin": OK},
        FORBIDDEN,
    ),
    "privacy:candidate_erase": (
        "get",
        {"manager": FORBIDDEN, "recruiter": FORBIDDEN, "stranger": FORBIDDEN, "admin": OK},
        FORBIDDEN,
    ),
    # Evidence: the bias audit and validity are aggregates for evidence.view_bias_audit
    # (Admins); outcomes are recorded by admins and the hiring manager, for hires only (the
    # world's applications are not hired: 403 for everyone who can see them).
    "evidence:bias_audit": (
        "get",
        {"manager": FORBIDDEN, "recruiter": FORBIDDEN, "stranger": FORBIDDEN, "admin": OK},
        FORBIDDEN,
    ),
    "evidence:bias_audit_csv": (
        "get",
        {"manager": FORBIDDEN, "recruiter": FORBIDDEN, "stranger": FORBIDDEN, "admin": OK},
        FORBIDDEN,
    ),
    "evidence:validity": (
        "get",
        {"manager": FORBIDDEN, "recruiter": FORBIDDEN, "stranger": FORBIDDEN, "admin": OK},
        FORBIDDEN,
    ),
    "evidence:outcome_list": (
        "get",
        {"manager": OK, "recruiter": FORBIDDEN, "stranger": OK, "admin": OK},
        OK,
    ),
    "evidence:outcome_edit": (
        "get",
        {"manager": FORBIDDEN, "recruiter": FORBIDDEN, "stranger": NOT_FOUND, "admin": FORBIDDEN},
        NOT_FOUND,
    ),
    "evidence:alternative_assessment": (
        "post",
        {"manager": OK, "recruiter": OK, "stranger": NOT_FOUND, "admin": OK},
        NOT_FOUND,
    ),
    "evidence:self_id_invite": (
        "post",
        {"manager": OK, "recruiter": OK, "stranger": NOT_FOUND, "admin": OK},
        NOT_FOUND,
    ),
    # Decisions: whoever may move and reject the requisition's candidates (hiring.policy);
    # every item of a bulk action meets the same rules again.
    "decisions:advance": (
        "post",
        {"manager": OK, "recruiter": OK, "stranger": NOT_FOUND, "admin": OK},
        NOT_FOUND,
    ),
    "decisions:reject": (
        "get",
        {"manager": OK, "recruiter": OK, "stranger": NOT_FOUND, "admin": OK},
        NOT_FOUND,
    ),
    "decisions:scheduled_email_cancel": (
        "post",
        {"manager": OK, "recruiter": OK, "stranger": NOT_FOUND, "admin": OK},
        NOT_FOUND,
    ),
    "decisions:bulk": (
        "post",
        {"manager": OK, "recruiter": OK, "stranger": NOT_FOUND, "admin": OK},
        NOT_FOUND,
    ),
    # Two-step sign-in: only accounts that need it have codes to manage; the setup and code
    # pages send everyone else (and an already verified admin) on their way.
    "twofactor:setup": ("get", {"manager": OK, "recruiter": OK, "stranger": OK, "admin": OK}, OK),
    "twofactor:verify": ("get", {"manager": OK, "recruiter": OK, "stranger": OK, "admin": OK}, OK),
    "twofactor:recovery_codes": (
        "post",
        {"manager": NOT_FOUND, "recruiter": NOT_FOUND, "stranger": NOT_FOUND, "admin": OK},
        NOT_FOUND,
    ),
    "twofactor:replace": (
        "post",
        {"manager": NOT_FOUND, "recruiter": NOT_FOUND, "stranger": NOT_FOUND, "admin": OK},
        NOT_FOUND,
    ),
    # API tokens (settings page): everyone makes their own; only the owner revokes one (the
    # world's own token is the manager's).
    "api:token_create": (
        "post",
        {"manager": OK, "recruiter": OK, "stranger": OK, "admin": OK},
        OK,
    ),
    "api:token_revoke": (
        "post",
        {"manager": OK, "recruiter": NOT_FOUND, "stranger": NOT_FOUND, "admin": NOT_FOUND},
        NOT_FOUND,
    ),
    "api:docs": ("get", {"manager": OK, "recruiter": OK, "stranger": OK, "admin": OK}, OK),
}
#: Pages an admin who has typed only their password may open: the second step itself.
SECOND_STEP = {"twofactor:setup", "twofactor:verify"}


def _our_url_names() -> set[str]:
    names = set()
    for entry in get_resolver().url_patterns:
        namespace = getattr(entry, "namespace", None)
        if namespace == "admin":
            continue
        for pattern in getattr(entry, "url_patterns", [entry]):
            if pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)
    return names


def test_every_url_has_an_authorization_entry():
    missing = _our_url_names() - set(MATRIX) - set(API_MATRIX) - PUBLIC - SIGNED_WEBHOOKS
    assert not missing, f"Add these URLs to the authorization matrix: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_anonymous_users_are_sent_to_the_login_page(client, world, name):
    method, _roles, _foreign = MATRIX[name]
    url = reverse(name, kwargs=_kwargs(name, world["own"]))
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", sorted(MATRIX))
@pytest.mark.parametrize("role", ["manager", "recruiter", "stranger", "admin"])
def test_role_on_own_object(client, world, name, role):
    method, roles, _foreign = MATRIX[name]
    client.force_login(world[role])
    url = reverse(name, kwargs=_kwargs(name, world["own"]))
    response = getattr(client, method)(url)
    assert response.status_code in roles[role], (name, role, response.status_code)


@pytest.mark.parametrize("name", sorted(set(MATRIX) - SECOND_STEP))
def test_an_admin_who_typed_only_the_password_is_sent_to_the_second_step(client, world, name):
    method, _roles, _foreign = MATRIX[name]
    client.force_login(world["admin"], second_factor=False)
    url = reverse(name, kwargs=_kwargs(name, world["own"]))
    response = getattr(client, method)(url)
    assert response.status_code == 302, (name, response.status_code)
    assert response.url.startswith(reverse("twofactor:verify"))


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_hiring_manager_on_another_teams_object(client, world, name):
    method, _roles, foreign = MATRIX[name]
    client.force_login(world["manager"])
    url = reverse(name, kwargs=_kwargs(name, world["foreign"]))
    response = getattr(client, method)(url)
    assert response.status_code in foreign, (name, response.status_code)


@pytest.mark.parametrize("name", sorted(SIGNED_WEBHOOKS))
def test_webhooks_refuse_unsigned_posts(client, world, name, settings):
    settings.TWILIO_AUTH_TOKEN = "token"
    settings.AIRCALL_WEBHOOK_TOKEN = "aircall-token"
    settings.DIALPAD_WEBHOOK_SECRET = "dialpad-secret"
    settings.ANYMAIL = {"WEBHOOK_SECRET": "a:b", "MAILGUN_WEBHOOK_SIGNING_KEY": "k"}
    kwargs = {"esp": "postmark"} if name == "followups:inbound_email_webhook" else {}
    response = client.post(reverse(name, kwargs=kwargs), {"From": "+14155550100"})
    assert response.status_code in {400, 401, 403}


# --- The REST API (/api/v1/) ------------------------------------------------------------
# Called with each role's personal token: a token acts as its user, so each endpoint must give
# the same answer as the matching page. Writes send a valid body, so OK means "done".


def _api_kwargs(name, ids):
    return {
        "api:requisition_detail": {"pk": ids["req"]},
        "api:ranking": {"pk": ids["req"]},
        "api:application_detail": {"pk": ids["app"]},
        "api:contact_create": {"pk": ids["app"]},
        "api:application_move": {"pk": ids["app"]},
        "api:silence_announce": {"pk": ids["silence_app"]},
        "api:candidate_detail": {"pk": ids["candidate"]},
    }.get(name, {})


def _api_body(name, ids, role):
    now = timezone.now()
    return {
        "api:contact_create": {
            "external_id": f"matrix-{role}",
            "channel": "phone",
            "direction": "inbound",
            "occurred_at": (now - dt.timedelta(hours=1)).isoformat(),
        },
        "api:application_move": {"to_stage": ids["screen"]},
        "api:silence_announce": {"announced_at": now.isoformat()},
    }.get(name)


API_OK = {200, 201}
EVERYONE = {"manager": API_OK, "recruiter": API_OK, "stranger": API_OK, "admin": API_OK}
TEAM_ONLY = {"manager": API_OK, "recruiter": API_OK, "stranger": NOT_FOUND, "admin": API_OK}
# name: (method, {role: statuses on the OWN object}, statuses for the manager on a FOREIGN one)
API_MATRIX = {
    "api:requisition_list": ("get", EVERYONE, API_OK),
    "api:requisition_detail": ("get", TEAM_ONLY, NOT_FOUND),
    "api:ranking": ("get", TEAM_ONLY, NOT_FOUND),
    "api:application_list": ("get", EVERYONE, API_OK),
    "api:application_detail": ("get", TEAM_ONLY, NOT_FOUND),
    "api:contact_create": ("post", TEAM_ONLY, NOT_FOUND),
    "api:application_move": ("post", TEAM_ONLY, NOT_FOUND),
    "api:silence_announce": ("post", TEAM_ONLY, NOT_FOUND),
    "api:candidate_list": ("get", EVERYONE, API_OK),
    "api:candidate_detail": ("get", TEAM_ONLY, NOT_FOUND),
    "api:schema": ("get", EVERYONE, API_OK),
}


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    # Each token's request count lives in the cache; start every test from zero.
    cache.clear()


def _api_call(client, name, ids, role, **headers):
    method, _roles, _foreign = API_MATRIX[name]
    url = reverse(name, kwargs=_api_kwargs(name, ids))
    if method == "get":
        return client.get(url, **headers)
    body = json.dumps(_api_body(name, ids, role))
    return client.post(url, body, content_type="application/json", **headers)


def _token(user) -> dict:
    _token, secret = api_token_create(user=user, name="matrix")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.mark.parametrize("name", sorted(API_MATRIX))
def test_api_anonymous_calls_are_401_problems(client, world, name):
    response = _api_call(client, name, world["own"], "anonymous")
    assert response.status_code == 401, (name, response.status_code)
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("name", sorted(API_MATRIX))
@pytest.mark.parametrize("role", ["manager", "recruiter", "stranger", "admin"])
def test_api_role_on_own_object(client, world, name, role):
    _method, roles, _foreign = API_MATRIX[name]
    response = _api_call(client, name, world["own"], role, **_token(world[role]))
    assert response.status_code in roles[role], (name, role, response.status_code)


@pytest.mark.parametrize("name", sorted(API_MATRIX))
def test_api_hiring_manager_on_another_teams_object(client, world, name):
    _method, _roles, foreign = API_MATRIX[name]
    response = _api_call(client, name, world["foreign"], "manager", **_token(world["manager"]))
    assert response.status_code in foreign, (name, response.status_code)


@pytest.mark.parametrize("name", sorted(API_MATRIX))
def test_api_an_admin_session_without_the_second_step_is_refused(client, world, name):
    client.force_login(world["admin"], second_factor=False)
    response = _api_call(client, name, world["own"], "admin")
    assert response.status_code == 401, (name, response.status_code)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("api:requisition_list", "req"),
        ("api:application_list", "app"),
        ("api:candidate_list", "candidate"),
    ],
)
def test_api_lists_hold_only_the_users_objects(client, world, name, key):
    response = client.get(reverse(name), **_token(world["manager"]))
    ids = {row["id"] for row in response.json()["results"]}
    assert world["own"][key] in ids
    assert world["foreign"][key] not in ids
