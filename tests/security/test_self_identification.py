"""Voluntary self-identification (issue #16) is special-category data: no team page, export,
CSV or API shows one person's answers; the candidate's page is public behind a signed,
expiring link and accepts strict choices only; erasure removes the answers, an admin's export
carries them back to the candidate."""

import datetime as dt
import io
import json
import zipfile

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ

from accounts.roles import ADMINS
from evidence import services
from evidence.models import SelfIdentification, SelfIdSource
from evidence.tasks import send_self_id_invite
from hiring.schedules import TASK_FUNCS
from privacy.services import candidate_erase, candidate_export
from tests.factories import (
    ApplicationFactory,
    RequisitionFactory,
    SilenceTestFactory,
    UserFactory,
)

#: A label that appears nowhere else in the product: finding it on a page means a leak.
RACE_CODE, RACE_WORD = "american_indian_alaska", "Alaska"


@pytest.fixture
def team():
    recruiter = UserFactory(recruiter=True)
    manager = UserFactory(hiring_manager=True)
    requisition = RequisitionFactory(hiring_manager=manager, recruiters=[recruiter])
    test = SilenceTestFactory(application__requisition=requisition)
    application = test.application
    services.self_id_record(
        candidate=application.candidate,
        sex="female",
        race_ethnicity=RACE_CODE,
        source=SelfIdSource.CANDIDATE,
        now=timezone.now(),
    )
    return {
        "recruiter": recruiter,
        "manager": manager,
        "admin": UserFactory(admin=True, is_superuser=True),
        "application": application,
        "candidate": application.candidate,
    }


def _team_urls(application):
    requisition_pk = application.requisition_id
    return [
        reverse("candidates:application_detail", kwargs={"pk": application.pk}),
        reverse("hiring:requisition_board", kwargs={"pk": requisition_pk}),
        reverse("hiring:silence_board", kwargs={"pk": requisition_pk}),
        reverse("hiring:insights", kwargs={"pk": requisition_pk}),
        reverse("followups:ranking", kwargs={"pk": requisition_pk}),
        reverse("followups:ranking_csv", kwargs={"pk": requisition_pk}),
        reverse("followups:quick_log_search") + "?q=" + application.candidate.first_name,
        reverse("evidence:outcome_list"),
        reverse("hiring:home"),
    ]


@pytest.mark.parametrize("role", ["manager", "recruiter"])
def test_no_team_page_or_csv_shows_an_individuals_self_identification(client, team, role):
    client.force_login(team[role])
    for url in _team_urls(team["application"]):
        response = client.get(url)
        assert response.status_code in {200, 403}, url
        assert RACE_WORD not in response.content.decode(), url


@pytest.mark.parametrize("role", ["manager", "recruiter"])
def test_team_members_cannot_open_the_audit_its_csv_or_the_validity_page(client, team, role):
    client.force_login(team[role])
    for name in ("evidence:bias_audit", "evidence:bias_audit_csv", "evidence:validity"):
        assert client.get(reverse(name)).status_code == 403


def test_the_admins_group_holds_the_aggregate_permission_and_no_individual_one(client, team):
    permissions = set(
        Group.objects.get(name=ADMINS)
        .permissions.filter(
            content_type__app_label="evidence", content_type__model="selfidentification"
        )
        .values_list("codename", flat=True)
    )
    assert permissions == {"view_bias_audit"}
    admin = UserFactory(admin=True)  # not a superuser
    client.force_login(admin)
    response = client.get(reverse("evidence:bias_audit"))
    assert response.status_code == 200
    # Aggregates only: the one answer is in a small cell, never attached to a name.
    assert team["candidate"].last_name not in response.text


def test_the_self_identification_has_no_admin_page():
    from django.contrib import admin

    assert SelfIdentification not in admin.site._registry


def _exported(candidate, actor) -> dict:
    archive = zipfile.ZipFile(io.BytesIO(candidate_export(candidate=candidate, actor=actor)))
    return json.loads(archive.read("candidate.json"))


def test_an_admins_export_includes_the_self_identification(team):
    data = _exported(team["candidate"], team["admin"])
    assert data["self_identification"]["answered"] is True
    assert data["self_identification"]["sex"] == "Female"
    assert RACE_WORD in data["self_identification"]["race_ethnicity"]


def test_a_recruiters_export_withholds_the_self_identification(client, team):
    client.force_login(team["recruiter"])
    response = client.get(reverse("privacy:candidate_export", kwargs={"pk": team["candidate"].pk}))
    assert response.status_code == 200
    data = json.loads(zipfile.ZipFile(io.BytesIO(response.content)).read("candidate.json"))
    assert "withheld" in data["self_identification"]
    assert RACE_WORD not in json.dumps(data)


def test_erasure_removes_the_self_identification_and_blanks_an_accommodation_reason(team):
    application = team["application"]
    services.alternative_assessment_set(
        application=application,
        actor=team["recruiter"],
        reason="Hearing impairment: written follow-up instead of calls.",
        now=timezone.now(),
    )
    candidate_erase(candidate=team["candidate"], actor=team["admin"], reason="request")
    assert not SelfIdentification.objects.filter(candidate=team["candidate"]).exists()
    application.refresh_from_db()
    assert application.alternative_assessment
    assert "Hearing" not in application.alternative_assessment_reason


# --- The candidate's page -----------------------------------------------------------------------


def _url(candidate) -> str:
    return reverse("evidence:self_id", args=[services.self_id_token(candidate.pk)])


def test_the_candidate_answers_without_an_account_and_answering_twice_keeps_one_row(client):
    candidate = ApplicationFactory().candidate
    url = _url(candidate)
    page = client.get(url)
    assert page.status_code == 200
    assert "I decline to answer" in page.text
    for _ in range(2):
        response = client.post(url, {"sex": "declined", "race_ethnicity": "asian"})
        assert response.status_code == 200
        assert "Thank you" in response.text
    record = SelfIdentification.objects.get(candidate=candidate)
    assert (record.sex, record.race_ethnicity) == ("declined", "asian")


def test_the_page_never_shows_earlier_answers(client, team):
    response = client.get(_url(team["candidate"]))
    assert "checked" not in response.text


@pytest.mark.parametrize(
    "data",
    [
        {"sex": "attack helicopter", "race_ethnicity": "asian"},
        {"sex": "female", "race_ethnicity": "<script>alert(1)</script>"},
        {"sex": "female"},
        {"sex": "x" * 100_000, "race_ethnicity": "white"},
    ],
)
def test_only_the_listed_choices_are_accepted(client, data):
    candidate = ApplicationFactory().candidate
    response = client.post(_url(candidate), data)
    assert response.status_code == 422
    assert "<script>alert(1)</script>" not in response.text
    assert not SelfIdentification.objects.filter(candidate=candidate).exists()


def test_a_tampered_or_foreign_token_opens_nothing(client):
    candidate = ApplicationFactory().candidate
    token = services.self_id_token(candidate.pk)
    other = ApplicationFactory().candidate
    forged = token.replace(str(candidate.pk), str(other.pk), 1)
    # Signed for something else (the same secret, another salt).
    foreign = signing.TimestampSigner(salt="another.purpose").sign(str(candidate.pk))
    for bad in (forged, foreign, "nonsense", "1:abc:def"):
        url = reverse("evidence:self_id", args=[bad])
        page = client.get(url)
        assert page.status_code == 404
        # The candidate's own page, not the staff 404 about "your team's requisitions".
        assert "This link does not work" in page.text
        assert "team" not in page.text
        assert "<form" not in page.text
        assert client.post(url, {"sex": "male", "race_ethnicity": "white"}).status_code == 404
    assert not SelfIdentification.objects.exists()


def test_an_expired_link_says_so(client, settings):
    candidate = ApplicationFactory().candidate
    url = _url(candidate)
    later = timezone.now() + dt.timedelta(days=settings.SELF_ID_LINK_MAX_AGE_DAYS + 1)
    with time_machine.travel(later):
        response = client.post(url, {"sex": "male", "race_ethnicity": "white"})
    assert response.status_code == 410
    assert "expired" in response.text
    assert not SelfIdentification.objects.exists()


def test_an_erased_candidates_old_link_opens_nothing(client, team):
    url = _url(team["candidate"])
    candidate_erase(candidate=team["candidate"], actor=team["admin"], reason="request")
    response = client.post(url, {"sex": "male", "race_ethnicity": "white"})
    assert response.status_code == 404
    assert "This link does not work" in response.text
    assert not SelfIdentification.objects.exists()


def test_the_page_is_csrf_protected(team):
    from django.test import Client as DjangoClient

    strict = DjangoClient(enforce_csrf_checks=True)
    response = strict.post(_url(team["candidate"]), {"sex": "male", "race_ethnicity": "white"})
    assert response.status_code == 403


def test_the_invitation_email_carries_a_working_link(
    client, team, mailoutbox, monkeypatch, django_capture_on_commit_callbacks
):
    client.force_login(team["recruiter"])
    url = reverse("evidence:self_id_invite", kwargs={"pk": team["application"].pk})
    monkeypatch.setattr(Conf, "SYNC", True)  # the queued task runs for real, in-process
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    (message,) = mailoutbox
    link = next(line for line in message.body.splitlines() if "/self-identification/" in line)
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + path).status_code == 200


def test_sending_the_invitation_only_queues_it_so_a_dead_mail_server_is_no_500(
    client, team, settings, mailoutbox, django_capture_on_commit_callbacks
):
    # Nothing listens on port 1: sending inside the request raised ConnectionRefusedError.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1
    client.force_login(team["recruiter"])
    url = reverse("evidence:self_id_invite", kwargs={"pk": team["application"].pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    assert response.status_code == 200
    assert "Invitation queued" in response.text
    (queued,) = OrmQ.objects.all()
    assert queued.func() == "evidence.tasks.send_self_id_invite"
    assert queued.args() == (team["application"].pk,)
    assert queued.func() in TASK_FUNCS


def test_a_queued_invitation_is_not_sent_after_the_candidate_is_erased(team, mailoutbox):
    candidate_erase(candidate=team["candidate"], actor=team["admin"], reason="request")
    assert send_self_id_invite(team["application"].pk) is False
    assert not mailoutbox
