"""Export, the erasure page, and the retention policy with its schedule."""

import datetime as dt
import io
import json
import zipfile
from email.message import EmailMessage

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from audit.models import AuditAction, AuditEvent
from candidates.models import Application, Candidate
from candidates.services import application_move, interview_round_create
from followups.imports import call_import_create
from followups.models import Channel, Contact, Direction, ImportStatus
from followups.services import email_ingest
from hiring.models import StageKind
from hiring.schedules import RETENTION_POLICY
from privacy.models import ErasureReason, ErasureRecord, RetentionPolicy
from privacy.selectors import candidates_without_activity_since
from privacy.services import (
    ErasureBlocked,
    candidate_erase,
    candidate_export,
    retention_apply,
)
from privacy.signals import candidate_erased, candidate_exported
from privacy.tasks import apply_retention_policy
from tests.clients import Client
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    CandidatePhoneFactory,
    ContactFactory,
    InterviewRoundFactory,
    RequisitionFactory,
    ScorecardFactory,
    UserFactory,
    stage_of,
)

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
#: Six months before NOW: the retention cutoff of a 6-month policy.
CUTOFF = dt.datetime(2025, 12, 15, 12, 0, tzinfo=dt.UTC)
LONG_AGO = dt.datetime(2024, 1, 10, 9, 0, tzinfo=dt.UTC)


def _raw_with_attachment(address: str) -> bytes:
    message = EmailMessage()
    message["From"] = address
    message["To"] = "jobs@persist.example"
    message["Subject"] = "My portfolio"
    message["Message-ID"] = "<portfolio-1@mail.example>"
    message.set_content("Attached, as promised.")
    message.add_attachment(b"deal list", maintype="text", subtype="csv", filename="../deals.csv")
    return bytes(message)


@pytest.fixture
def team():
    recruiter = UserFactory(recruiter=True)
    manager = UserFactory(hiring_manager=True)
    requisition = RequisitionFactory(hiring_manager=manager, recruiters=[recruiter])
    application = ApplicationFactory(requisition=requisition)
    return {
        "recruiter": recruiter,
        "manager": manager,
        "admin": UserFactory(admin=True, is_superuser=True),
        "application": application,
        "candidate": application.candidate,
    }


# --- Export ---------------------------------------------------------------------------------


def test_export_zip_holds_the_json_the_raw_emails_and_their_attachments(team):
    candidate = team["candidate"]
    address = candidate.emails.get().address
    raw = _raw_with_attachment(address)
    outcome = email_ingest(raw=raw, source="pipe", now=timezone.now())

    archive = zipfile.ZipFile(io.BytesIO(candidate_export(candidate=candidate, actor=None)))

    data = json.loads(archive.read("candidate.json"))
    assert data["candidate"]["first_name"] == candidate.first_name
    assert data["emails"] == [{"address": address, "is_primary": True}]
    assert data["applications"][0]["id"] == team["application"].pk
    (contact,) = data["contacts"]
    assert contact["subject"] == "My portfolio"
    assert contact["raw_email"] == f"emails/{outcome.contact_id}.eml"
    assert contact["attachments"][0]["filename"] == "deals.csv"
    assert archive.read(contact["raw_email"]) == raw
    # The attachment's name cannot climb out of the archive's folder.
    assert archive.read(f"attachments/{outcome.contact_id}-1-deals.csv") == b"deal list"


def test_export_is_in_the_audit_log_by_candidate_id_only(team):
    candidate_export(candidate=team["candidate"], actor=team["recruiter"])

    event = AuditEvent.objects.get(action=AuditAction.CANDIDATE_EXPORTED)
    assert (event.actor, event.object_type, event.object_id, event.details) == (
        team["recruiter"],
        "candidates.candidate",
        str(team["candidate"].pk),
        {},
    )


def test_export_is_announced_once_committed(team, django_capture_on_commit_callbacks):
    heard = []

    def receiver(**kwargs):
        heard.append((kwargs["candidate_pk"], kwargs["actor"]))

    candidate_exported.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            candidate_export(candidate=team["candidate"], actor=team["admin"])
    finally:
        candidate_exported.disconnect(receiver)
    assert heard == [(team["candidate"].pk, team["admin"])]


def test_recruiter_downloads_the_export_of_a_candidate_they_can_see(client, team):
    client.force_login(team["recruiter"])
    response = client.get(reverse("privacy:candidate_export", args=[team["candidate"].pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "candidate.json" in zipfile.ZipFile(io.BytesIO(response.content)).namelist()


def test_recruiter_cannot_export_a_candidate_of_another_team(client, team):
    client.force_login(team["recruiter"])
    other = ApplicationFactory().candidate
    response = client.get(reverse("privacy:candidate_export", args=[other.pk]))
    assert response.status_code == 404


def test_hiring_manager_cannot_export_even_their_own_candidate(client, team):
    client.force_login(team["manager"])
    response = client.get(reverse("privacy:candidate_export", args=[team["candidate"].pk]))
    assert response.status_code == 403


def test_application_page_links_to_export_and_erase_for_admins_only(client, team):
    url = reverse("candidates:application_detail", args=[team["application"].pk])
    erase = reverse("privacy:candidate_erase", args=[team["candidate"].pk])
    export = reverse("privacy:candidate_export", args=[team["candidate"].pk])
    client.force_login(team["admin"])
    page = client.get(url).content.decode()
    assert erase in page
    assert export in page
    client.force_login(team["recruiter"])
    page = client.get(url).content.decode()
    assert erase not in page
    assert export in page
    client.force_login(team["manager"])
    assert export not in client.get(url).content.decode()


# --- Erasure page ---------------------------------------------------------------------------


def _erase(client, candidate, name, reason="request"):
    return client.post(
        reverse("privacy:candidate_erase", args=[candidate.pk]),
        {"confirm_name": name, "reason": reason, "note": "Ticket 4711"},
    )


def test_a_wrong_name_erases_nothing_and_says_so(client, team):
    candidate = team["candidate"]
    client.force_login(team["admin"])
    response = _erase(client, candidate, "Someone Else")
    assert response.status_code == 422
    assert "That is not the candidate&#x27;s name: nothing was erased" in response.content.decode()
    candidate.refresh_from_db()
    assert candidate.emails.exists()
    assert not ErasureRecord.objects.exists()


def test_typing_the_name_erases_and_records_who_when_and_why(client, team):
    candidate = team["candidate"]
    client.force_login(team["admin"])
    response = _erase(client, candidate, f"  {candidate.full_name.upper()} ")
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert f"Candidate #{candidate.pk} erased" in page
    assert "was erased" in page
    record = ErasureRecord.objects.get(candidate_pk=candidate.pk)
    assert (record.erased_by, record.reason, record.note) == (
        team["admin"],
        "request",
        "Ticket 4711",
    )
    candidate.refresh_from_db()
    assert candidate.full_name == f"Erased candidate #{candidate.pk}"
    event = AuditEvent.objects.get(action=AuditAction.CANDIDATE_ERASED)
    assert (event.actor, event.object_id, event.details) == (
        team["admin"],
        str(candidate.pk),
        {"reason": "request"},
    )
    # A second submission is refused rather than erasing twice.
    assert _erase(client, candidate, candidate.full_name).status_code == 409


@pytest.mark.parametrize("role", ["recruiter", "manager"])
def test_only_admins_can_open_the_erasure_page(client, team, role):
    client.force_login(team[role])
    url = reverse("privacy:candidate_erase", args=[team["candidate"].pk])
    assert client.get(url).status_code == 403
    assert _erase(client, team["candidate"], team["candidate"].full_name).status_code == 403
    assert not ErasureRecord.objects.exists()


def test_erasure_without_the_csrf_token_is_refused(team):
    client = Client(enforce_csrf_checks=True)
    client.force_login(team["admin"])
    response = _erase(client, team["candidate"], team["candidate"].full_name)
    assert response.status_code == 403
    assert not ErasureRecord.objects.exists()


def test_the_admin_offers_no_plain_delete_that_would_leave_raw_emails_behind(client, team):
    client.force_login(team["admin"])
    candidate = team["candidate"]
    url = reverse("admin:candidates_candidate_delete", args=[candidate.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Candidate.objects.filter(pk=candidate.pk).exists()


def test_erasing_twice_through_the_service_is_refused(team):
    candidate_erase(candidate=team["candidate"], actor=team["admin"], reason="request")
    with pytest.raises(ErasureBlocked, match="already erased"):
        candidate_erase(candidate=team["candidate"], actor=team["admin"], reason="request")


def _running_import_of(team, number="+14155550188"):
    CandidatePhoneFactory(candidate=team["candidate"], number=number)
    batch = call_import_create(
        uploaded_by=team["recruiter"],
        filename="calls.csv",
        content=f"datetime,direction,from,to\n2025-03-14 09:30,inbound,{number},+1212\n".encode(),
        preset="generic",
        default_region="US",
        enqueue=False,
    )
    batch.status = ImportStatus.RUNNING
    batch.save(update_fields=["status"])
    return batch


def test_a_running_import_that_mentions_the_candidate_blocks_erasure_and_changes_nothing(team):
    candidate = team["candidate"]
    _running_import_of(team)
    with pytest.raises(ErasureBlocked, match="still running"):
        candidate_erase(candidate=candidate, actor=team["admin"], reason="request")
    candidate.refresh_from_db()
    assert candidate.phones.exists()
    assert not ErasureRecord.objects.exists()


def test_the_erasure_page_explains_a_blocking_import_and_erases_nothing(client, team):
    batch = _running_import_of(team)
    client.force_login(team["admin"])
    response = _erase(client, team["candidate"], team["candidate"].full_name)
    assert response.status_code == 422
    assert f"Call import #{batch.pk} (calls.csv) mentions this candidate" in (
        response.content.decode()
    )
    assert not ErasureRecord.objects.exists()
    assert team["candidate"].phones.exists()


def test_erasure_is_announced_once_committed(team, django_capture_on_commit_callbacks):
    heard = []

    def receiver(**kwargs):
        heard.append((kwargs["candidate_pk"], kwargs["reason"]))

    candidate_erased.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            candidate_erase(candidate=team["candidate"], actor=team["admin"], reason="request")
    finally:
        candidate_erased.disconnect(receiver)
    assert heard == [(team["candidate"].pk, "request")]


# --- Retention ------------------------------------------------------------------------------


def _old_candidate(**kwargs) -> Candidate:
    with time_machine.travel(LONG_AGO, tick=False):
        return CandidateFactory(**kwargs)


def _old_application(**kwargs) -> Application:
    with time_machine.travel(LONG_AGO, tick=False):
        return ApplicationFactory(candidate=CandidateFactory(), stage_entered_at=LONG_AGO, **kwargs)


def _due() -> set[int]:
    return set(candidates_without_activity_since(cutoff=CUTOFF).values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("delta", "due"),
    [(-dt.timedelta(seconds=1), True), (dt.timedelta(0), False), (dt.timedelta(seconds=1), False)],
)
def test_a_contact_just_before_the_cutoff_is_inactive_and_at_or_after_it_is_active(delta, due):
    application = _old_application()
    with time_machine.travel(CUTOFF + delta, tick=False):
        ContactFactory(
            candidate=application.candidate,
            application=application,
            occurred_at=CUTOFF + delta,
        )
    assert (application.candidate_id in _due()) is due


def _make_activity(kind: str, application: Application, at: dt.datetime) -> None:
    with time_machine.travel(at, tick=False):
        if kind == "stage change":
            application_move(
                application=application,
                to_stage=stage_of(application.requisition, StageKind.INTERVIEW),
                at=at,
            )
        elif kind == "interview round":
            interview_round_create(application=application, title="Panel")
        elif kind == "scorecard":
            with time_machine.travel(LONG_AGO, tick=False):
                interview_round = InterviewRoundFactory(application=application, sequence=1)
            ScorecardFactory(round=interview_round, submitted_at=at)
        elif kind == "application edit":
            application.source = "Referral"
            application.save()
        elif kind == "inbound text":
            ContactFactory(
                candidate=application.candidate,
                application=application,
                channel=Channel.SMS,
                direction=Direction.INBOUND,
                occurred_at=at,
            )


ACTIVITIES = ["stage change", "interview round", "scorecard", "application edit", "inbound text"]


@pytest.mark.parametrize("kind", ACTIVITIES)
def test_each_kind_of_activity_inside_the_window_keeps_the_candidate(kind):
    recent = _old_application()
    old = _old_application()
    _make_activity(kind, recent, CUTOFF + dt.timedelta(days=1))
    _make_activity(kind, old, CUTOFF - dt.timedelta(days=1))
    due = _due()
    assert recent.candidate_id not in due
    assert old.candidate_id in due


def test_a_candidate_created_inside_the_window_is_kept_and_erased_ones_are_not_listed():
    with time_machine.travel(CUTOFF + dt.timedelta(hours=1), tick=False):
        fresh = CandidateFactory()
    stale = _old_candidate()
    erased = _old_candidate()
    ErasureRecord.objects.create(
        candidate_pk=erased.pk, erased_at=NOW, reason=ErasureReason.REQUEST
    )
    assert _due() == {stale.pk}
    assert fresh.pk not in _due()


@pytest.mark.parametrize("months", [None, "no row"])
def test_a_disabled_policy_erases_nothing(months):
    stale = _old_candidate()
    if months is None:
        RetentionPolicy.objects.create(anonymise_after_months=None)
    result = retention_apply(now=NOW)
    assert result.enabled is False
    assert result.erased == 0
    assert Candidate.objects.get(pk=stale.pk).first_name == stale.first_name
    assert not ErasureRecord.objects.exists()


def test_the_policy_erases_inactive_candidates_in_batches_and_keeps_active_ones():
    RetentionPolicy.objects.create(anonymise_after_months=6)
    stale = [_old_candidate() for _ in range(5)]
    with time_machine.travel(NOW - dt.timedelta(days=3), tick=False):
        active = CandidateFactory()

    result = retention_apply(now=NOW, batch_size=2)

    assert (result.enabled, result.erased, result.batches) == (True, 5, 3)
    records = ErasureRecord.objects.filter(reason=ErasureReason.RETENTION, erased_by=None)
    assert set(records.values_list("candidate_pk", flat=True)) == {c.pk for c in stale}
    assert not Candidate.objects.get(pk=active.pk).first_name.startswith("Erased")
    # The audit log shows the system (no actor) erasing each of them under the policy.
    erased = AuditEvent.objects.filter(action=AuditAction.CANDIDATE_ERASED)
    assert sorted(erased.values_list("object_id", "actor", "details__reason")) == sorted(
        (str(c.pk), None, "retention") for c in stale
    )
    assert retention_apply(now=NOW).erased == 0  # already erased: nothing left to do


def test_the_retention_task_runs_the_policy_at_the_current_time():
    RetentionPolicy.objects.create(anonymise_after_months=1)
    stale = _old_candidate()
    assert apply_retention_policy() == {"enabled": True, "erased": 1, "batches": 1}
    assert ErasureRecord.objects.filter(candidate_pk=stale.pk).exists()


def test_only_one_retention_policy_row_can_exist():
    from django.db import IntegrityError

    RetentionPolicy.objects.create(anonymise_after_months=12)
    with pytest.raises(IntegrityError):
        RetentionPolicy.objects.create(anonymise_after_months=3)


def test_the_daily_retention_schedule_exists_after_migrate_and_setup_schedules():
    schedule = Schedule.objects.get(name=RETENTION_POLICY)
    assert (schedule.func, schedule.schedule_type, schedule.repeats) == (
        "privacy.tasks.apply_retention_policy",
        Schedule.DAILY,
        -1,
    )
    schedule.delete()
    call_command("setup_schedules", stdout=io.StringIO())
    assert Schedule.objects.filter(
        name=RETENTION_POLICY, func="privacy.tasks.apply_retention_policy"
    ).exists()


def test_erasing_a_candidate_leaves_the_unmatched_queue_of_others_alone(team):
    stranger = email_ingest(
        raw=_raw_with_attachment("stranger@example.net"), source="pipe", now=timezone.now()
    )
    candidate_erase(candidate=team["candidate"], actor=team["admin"], reason="request")
    assert Contact.objects.filter(pk=stranger.contact_id).exists()


def test_export_includes_queue_items_sent_from_the_candidates_address(team):
    candidate = team["candidate"]
    address = "second.address@mail.example"
    queued = email_ingest(raw=_raw_with_attachment(address), source="pipe", now=timezone.now())
    candidate.emails.create(address=address)

    archive = zipfile.ZipFile(io.BytesIO(candidate_export(candidate=candidate, actor=None)))

    data = json.loads(archive.read("candidate.json"))
    (contact,) = data["contacts"]
    assert (contact["id"], contact["match_status"]) == (queued.contact_id, "unmatched")
    assert f"emails/{queued.contact_id}.eml" in archive.namelist()


def test_an_admin_who_is_not_a_superuser_can_set_the_retention_policy_and_unlock_sign_ins(client):
    client.force_login(UserFactory(admin=True))
    response = client.post(
        reverse("admin:privacy_retentionpolicy_add"), {"anonymise_after_months": "18"}
    )
    assert response.status_code == 302
    assert RetentionPolicy.objects.get().anonymise_after_months == 18
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 200


def test_erasure_records_are_read_only_evidence_in_the_admin(client, team):
    candidate_erase(candidate=team["candidate"], actor=team["admin"], reason="request")
    record = ErasureRecord.objects.get()
    client.force_login(team["admin"])
    assert client.get(reverse("admin:privacy_erasurerecord_changelist")).status_code == 200
    assert client.get(reverse("admin:privacy_erasurerecord_add")).status_code == 403
    delete = reverse("admin:privacy_erasurerecord_delete", args=[record.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert ErasureRecord.objects.filter(pk=record.pk).exists()
