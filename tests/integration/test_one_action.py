"""One action per state change (issue #14): every door that records a contact goes through the
recording action (``followups.recording``), every stage change through the move rules
(``candidates.services``). Each test drives one door and checks the action's consequences,
which nothing else produces since the score signals are gone: the silence test contaminated by
an outbound contact after the deadline, and the application's score marked stale."""

import datetime as dt

import pytest
from django.contrib.admin.sites import site
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.roles import RECRUITERS
from candidates.models import StaleScore
from candidates.services import application_move
from followups.admin import ContactAdmin
from followups.imports import call_import_create, call_import_run
from followups.models import Channel, Contact, ContactSource, Direction, MatchStatus
from followups.phone import phone_contact_record
from followups.services import contact_log, email_ingest, email_send
from followups.triage import contact_attach
from hiring.models import SilenceAction, SilenceTestState, StageKind
from silence.services import silence_tests_sweep
from tests.emails import make_email
from tests.factories import (
    CandidatePhoneFactory,
    SilenceTestFactory,
    UserFactory,
    stage_of,
)

NUMBER = "+14155550100"


@pytest.fixture
def observing(db):
    """A candidate whose silence test is observing (the deadline passed a day ago)."""
    test = SilenceTestFactory(observing=True)
    CandidatePhoneFactory(candidate=test.application.candidate, number=NUMBER)
    StaleScore.objects.all().delete()
    return test


def _recorded(test) -> bool:
    test.refresh_from_db()
    marked = StaleScore.objects.filter(application_id=test.application_id).exists()
    return test.contaminated_at is not None and marked


def _team_member(test):
    return test.application.requisition.hiring_manager


def test_manual_log_goes_through_the_recording_action(observing):
    contact_log(
        application=observing.application,
        channel=Channel.PHONE,
        direction=Direction.OUTBOUND,
        occurred_at=timezone.now(),
        summary="Chased them",
        logged_by=_team_member(observing),
        now=timezone.now(),
        confirm_contamination=True,
    )
    assert _recorded(observing)


def test_sent_email_goes_through_the_recording_action(observing):
    email_send(
        application=observing.application,
        sender=_team_member(observing),
        subject="Checking in",
        body="Any news?",
        now=timezone.now(),
        confirm_contamination=True,
    )
    assert _recorded(observing)


def test_captured_email_goes_through_the_recording_action(observing):
    # The team's own email, copied to the capture mailbox (pipe, IMAP and ESP webhooks all
    # store through email_ingest).
    raw = make_email(
        from_=_team_member(observing).email,
        to=observing.application.candidate.emails.first().address,
        subject="Checking in",
    )
    outcome = email_ingest(raw=raw, source=ContactSource.PIPE, now=timezone.now())
    assert outcome.status == "stored"
    assert _recorded(observing)


def test_twilio_call_goes_through_the_recording_action(observing):
    # Twilio's SMS and voice-status webhooks store through phone_contact_record.
    phone_contact_record(
        channel=Channel.PHONE,
        direction=Direction.OUTBOUND,
        candidate_number=NUMBER,
        occurred_at=timezone.now(),
        external_id="CA-one-action",
        source=ContactSource.WEBHOOK,
        now=timezone.now(),
    )
    assert _recorded(observing)


def test_call_import_goes_through_the_bulk_recording_action(observing):
    now = timezone.now()
    content = (
        "datetime,direction,from,to,call_id\n"
        f"{(now - dt.timedelta(minutes=5)).isoformat()},out,+12125550199,{NUMBER},imp-1\n"
    ).encode()
    batch = call_import_create(
        uploaded_by=None,
        filename="calls.csv",
        content=content,
        preset="generic",
        default_region="US",
        enqueue=False,
    )
    call_import_run(batch_id=batch.pk, now=now)
    assert _recorded(observing)


def test_queue_attach_goes_through_the_recording_action(observing):
    queued = Contact.objects.create(
        channel=Channel.PHONE,
        direction=Direction.OUTBOUND,
        occurred_at=timezone.now(),
        source=ContactSource.WEBHOOK,
        phone_number="+14155550177",
        match_status=MatchStatus.UNMATCHED,
    )
    recruiter = UserFactory(roles=[RECRUITERS])
    contact_attach(
        contact_id=queued.pk,
        application=observing.application,
        add_identifier=False,
        actor=recruiter,
        now=timezone.now(),
    )
    assert _recorded(observing)


def test_admin_goes_through_the_recording_action(observing):
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    request = RequestFactory().post("/admin/")
    request.user = admin_user
    contact = Contact(
        candidate=observing.application.candidate,
        application=observing.application,
        channel=Channel.PHONE,
        direction=Direction.OUTBOUND,
        occurred_at=timezone.now(),
        source=ContactSource.MANUAL,
    )
    ContactAdmin(Contact, site).save_model(request, contact, form=None, change=False)
    assert _recorded(observing)


# --- Stage changes ------------------------------------------------------------------------------


def test_moving_out_of_the_silence_stage_cancels_the_open_test(observing):
    final = stage_of(observing.application.requisition, StageKind.FINAL)
    application_move(
        application=observing.application,
        to_stage=final,
        actor=_team_member(observing),
        reason="",
    )
    observing.refresh_from_db()
    assert observing.state == SilenceTestState.CANCELLED
    assert StaleScore.objects.filter(application_id=observing.application_id).exists()


def test_the_offer_rule_holds_on_the_move_view(client, observing):
    recruiter = UserFactory(roles=[RECRUITERS])
    observing.application.requisition.recruiters.add(recruiter)
    offer = stage_of(observing.application.requisition, StageKind.OFFER)
    client.force_login(recruiter)
    response = client.post(
        reverse("candidates:application_move", args=[observing.application_id]),
        {"to_stage": offer.pk, "reason": ""},
    )
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        application_move(application=observing.application, to_stage=offer, actor=recruiter)


def test_the_sweepers_auto_reject_goes_through_the_stage_rules(db):
    test = SilenceTestFactory(closing=True)
    test.stage.silence_action = SilenceAction.AUTO_REJECT
    test.stage.save()
    StaleScore.objects.all().delete()
    result = silence_tests_sweep(now=timezone.now())
    assert result.auto_rejected == 1
    test.application.refresh_from_db()
    assert test.application.stage.kind == StageKind.REJECTED
    transition = test.application.transitions.get()
    assert transition.reason.startswith("Silent after the silence test")
    # The consequences every move has: the score is marked stale.
    assert StaleScore.objects.filter(application_id=test.application_id).exists()
