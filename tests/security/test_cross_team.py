"""Issue #13, finding 3: a candidate two teams share leaks nothing of one team to the other.

Team A and team B have disjoint requisitions (own hiring manager and recruiter each) and share
one candidate, Jordan (an admin linked the applications). Team A also has a candidate of its
own, Alexis. Everything team A holds — stage history, scorecards, emails with attachments,
call logs, queue items — must stay out of every door team B can open, and the candidate's next
email goes to the application it concerns, or to both teams' queue, never silently to one.
"""

import datetime as dt
import io
import json
import zipfile
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.urls import reverse
from django.utils import timezone

from candidates.models import Application, Candidate
from candidates.services import application_move, scorecard_submit
from followups import policy
from followups import services as followup_services
from followups.imports import call_import_create, call_import_run
from followups.models import Contact, ImportRow, MatchStatus, ReplyToken
from followups.phone import phone_contact_record
from followups.selectors import applications_matching
from hiring.models import StageKind
from privacy.models import ErasureReason
from privacy.services import candidate_erase
from scoring.scores import score_inputs
from tests.emails import make_email
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    CandidatePhoneFactory,
    InterviewRoundFactory,
    RequisitionFactory,
    UserFactory,
    stage_of,
)

SHARED_EMAIL = "jordan.shared@mail.example"
SHARED_PHONE = "+14155550123"
ALEXIS_EMAIL = "alexis.hidden@mail.example"
ALEXIS_PHONE = "+14155550188"
STRANGER_PHONE = "+14155550199"
A_SECRET = "TEAM-A-SECRET"


def _email_with_attachment(*, from_: str, to: str, subject: str) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = from_, to, subject
    message["Message-ID"] = make_msgid(domain="mail.example")
    message.set_content(f"{A_SECRET} body")
    message.add_attachment(
        f"{A_SECRET} attachment".encode(),
        maintype="application",
        subtype="octet-stream",
        filename="a-secret.txt",
    )
    return bytes(message)


def ingest(raw: bytes) -> Contact:
    outcome = followup_services.email_ingest(raw=raw, source="pipe", now=timezone.now())
    return Contact.objects.get(pk=outcome.contact_id)


@pytest.fixture
def world():
    manager_a, recruiter_a = UserFactory(hiring_manager=True), UserFactory(recruiter=True)
    manager_b, recruiter_b = UserFactory(hiring_manager=True), UserFactory(recruiter=True)
    req_a = RequisitionFactory(hiring_manager=manager_a, recruiters=[recruiter_a])
    req_b = RequisitionFactory(hiring_manager=manager_b, recruiters=[recruiter_b])
    jordan = CandidateFactory(first_name="Jordan", last_name="Shared", email=SHARED_EMAIL)
    CandidatePhoneFactory(candidate=jordan, number=SHARED_PHONE)
    app_a = ApplicationFactory(candidate=jordan, requisition=req_a, interviewing=True)
    app_b = ApplicationFactory(candidate=jordan, requisition=req_b)
    alexis = CandidateFactory(first_name="Alexis", last_name="Hidden", email=ALEXIS_EMAIL)
    CandidatePhoneFactory(candidate=alexis, number=ALEXIS_PHONE)
    alexis_app = ApplicationFactory(candidate=alexis, requisition=req_a)

    # Team A's own data about Jordan: stage history, a scorecard, emails both ways.
    application_move(
        application=app_a,
        to_stage=stage_of(req_a, StageKind.FINAL),
        actor=recruiter_a,
        reason=f"{A_SECRET} stage reason",
    )
    interview = InterviewRoundFactory(application=app_a, sequence=1)
    scorecard_submit(
        interview_round=interview,
        interviewer=manager_a,
        ratings={"tenacity": 5, "trust": 5, "follow_up": 5, "coachability": 5, "closing": 5},
        recommendation="strong_yes",
        notes=f"{A_SECRET} scorecard notes",
    )
    sent_a = followup_services.email_send(
        application=app_a,
        sender=recruiter_a,
        subject=f"{A_SECRET} offer chat",
        body="Let's talk",
        now=timezone.now(),
    )
    token_a = ReplyToken.objects.get(contact=sent_a).token
    reply_a = ingest(
        _email_with_attachment(
            from_=SHARED_EMAIL, to=f"reply+{token_a}@persist.example", subject=f"{A_SECRET} re"
        )
    )
    assert reply_a.application == app_a  # the reply token names team A's application
    return {
        "manager_a": manager_a,
        "recruiter_a": recruiter_a,
        "manager_b": manager_b,
        "recruiter_b": recruiter_b,
        "req_a": req_a,
        "req_b": req_b,
        "jordan": jordan,
        "app_a": app_a,
        "app_b": app_b,
        "alexis": alexis,
        "alexis_app": alexis_app,
        "sent_a": sent_a,
        "reply_a": reply_a,
    }


def _as(client, user):
    client.force_login(user)
    return client


# --- Nothing of team A reachable by team B --------------------------------------------------


def test_team_b_cannot_open_team_a_application_or_its_raw_emails(client, world):
    _as(client, world["recruiter_b"])
    response = client.get(reverse("candidates:application_detail", args=[world["app_a"].pk]))
    assert response.status_code == 404
    for contact in (world["reply_a"], world["sent_a"]):
        assert client.get(reverse("followups:contact_raw", args=[contact.pk])).status_code == 404
    # Team A itself still can (the rule is not simply "nobody").
    _as(client, world["recruiter_a"])
    response = client.get(reverse("followups:contact_raw", args=[world["reply_a"].pk]))
    assert response.status_code == 200
    assert A_SECRET.encode() in response.content


def test_team_b_application_page_shows_nothing_of_team_a(client, world):
    _as(client, world["recruiter_b"])
    response = client.get(reverse("candidates:application_detail", args=[world["app_b"].pk]))
    assert response.status_code == 200
    assert A_SECRET not in response.text
    assert world["req_a"].title not in response.text  # not even that team A has them


def test_team_b_export_holds_only_team_b_data(client, world):
    _as(client, world["recruiter_b"])
    response = client.get(reverse("privacy:candidate_export", args=[world["jordan"].pk]))
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    for name in archive.namelist():
        assert A_SECRET.encode() not in archive.read(name), name
    data = json.loads(archive.read("candidate.json"))
    assert [a["id"] for a in data["applications"]] == [world["app_b"].pk]
    assert data["contacts"] == []
    assert not [n for n in archive.namelist() if n.startswith(("emails/", "attachments/"))]
    # An admin's export (a subject-access request) still holds everything.
    _as(client, UserFactory(admin=True))
    full = zipfile.ZipFile(
        io.BytesIO(
            client.get(reverse("privacy:candidate_export", args=[world["jordan"].pk])).content
        )
    )
    assert any(A_SECRET.encode() in full.read(n) for n in full.namelist() if "attachments/" in n)


def test_team_b_ranking_and_score_inputs_hold_nothing_of_team_a(client, world):
    _as(client, world["recruiter_b"])
    assert client.get(reverse("followups:ranking", args=[world["req_a"].pk])).status_code == 404
    response = client.get(reverse("followups:ranking", args=[world["req_b"].pk]))
    assert response.status_code == 200
    assert A_SECRET not in response.text
    assert score_inputs([world["app_b"].pk])[world["app_b"].pk].contacts == ()


def test_team_b_search_and_quick_log_find_no_team_a_candidate(client, world):
    _as(client, world["recruiter_b"])
    alexis_page = reverse("candidates:application_detail", args=[world["alexis_app"].pk])
    for query in ("Alexis", "Hidden", ALEXIS_EMAIL, ALEXIS_PHONE[-7:]):
        assert list(applications_matching(user=world["recruiter_b"], query=query)) == []
        response = client.get(reverse("followups:quick_log_search"), {"q": query})
        assert str(world["alexis_app"].pk) not in response.text
        assert alexis_page not in response.text
    response = client.get(reverse("followups:quick_log"), {"application": world["app_a"].pk})
    assert response.status_code == 404
    assert list(applications_matching(user=world["recruiter_a"], query="Hidden")) == [
        world["alexis_app"]
    ]


def test_queue_item_for_team_a_is_not_in_team_b_queue(client, world):
    # An unknown sender writing to team A's recruiter: team A's queue only.
    stranger = ingest(make_email(from_="stranger@else.example", to=world["recruiter_a"].email))
    assert stranger.match_status == MatchStatus.UNMATCHED
    assert set(stranger.queue_requisitions.all()) == {world["req_a"]}
    _as(client, world["recruiter_b"])
    response = client.get(reverse("followups:unmatched_queue"))
    assert "stranger@else.example" not in response.text
    assert client.get(reverse("followups:contact_raw", args=[stranger.pk])).status_code == 404
    response = client.post(reverse("followups:unmatched_dismiss", args=[stranger.pk]))
    assert response.status_code == 404
    assert policy.unmatched_queue_visible_to(world["recruiter_b"]).count() == 0
    _as(client, world["recruiter_a"])
    assert "stranger@else.example" in client.get(reverse("followups:unmatched_queue")).text


def test_call_import_by_team_b_does_not_reveal_team_a_numbers(client, world):
    content = (
        "datetime,direction,from,to,duration,call_id,notes\n"
        f"2025-03-14T09:30:00Z,inbound,{ALEXIS_PHONE},+14155550000,60,c1,{A_SECRET}?\n"
        f"2025-03-14T09:40:00Z,inbound,{STRANGER_PHONE},+14155550000,60,c2,\n"
    ).encode()
    batch = call_import_create(
        uploaded_by=world["recruiter_b"],
        filename="calls.csv",
        content=content,
        preset="generic",
        default_region="US",
        enqueue=False,
    )
    batch = call_import_run(batch_id=batch.pk, now=timezone.now())
    assert (batch.imported, batch.unmatched) == (0, 2)
    reasons = dict(ImportRow.objects.filter(batch=batch).values_list("row_number", "reason"))
    # Team A's candidate's number reads exactly like a number nobody has.
    assert reasons == {
        1: f"No candidate has the number {ALEXIS_PHONE}.",
        2: f"No candidate has the number {STRANGER_PHONE}.",
    }
    call = Contact.objects.get(external_id="c1")
    assert (call.candidate, call.application) == (None, None)
    # Team B's call log waits in team B's queue, not team A's.
    assert set(call.queue_requisitions.all()) == {world["req_b"]}
    assert not policy.unmatched_queue_visible_to(world["recruiter_a"]).filter(pk=call.pk).exists()
    _as(client, world["recruiter_b"])
    page = client.get(reverse("followups:call_import_detail", args=[batch.pk]))
    assert page.status_code == 200
    assert "Alexis" not in page.text
    assert "Hidden" not in page.text


def test_call_import_by_team_a_still_matches_its_candidate(world):
    content = (
        "datetime,direction,from,to,duration,call_id\n"
        f"2025-03-14T09:30:00Z,inbound,{ALEXIS_PHONE},+14155550000,60,c1\n"
    ).encode()
    batch = call_import_create(
        uploaded_by=world["recruiter_a"],
        filename="calls.csv",
        content=content,
        preset="generic",
        default_region="US",
        enqueue=False,
    )
    assert call_import_run(batch_id=batch.pk, now=timezone.now()).imported == 1
    assert Contact.objects.get(external_id="c1").application == world["alexis_app"]


def test_adding_team_a_address_as_team_b_reveals_nothing(client, world):
    _as(client, world["recruiter_b"])
    response = client.post(
        reverse("candidates:application_create", args=[world["req_b"].pk]),
        {
            "first_name": "Typed",
            "last_name": "Name",
            "emails": ALEXIS_EMAIL,
            "stage": stage_of(world["req_b"], StageKind.APPLIED).pk,
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "Typed Name added" in response.text
    assert "Alexis" not in response.text
    assert "Hidden" not in response.text
    assert A_SECRET not in response.text
    created = Application.objects.get(requisition=world["req_b"], candidate__first_name="Typed")
    # Team B's own record: not linked to team A's candidate, who stays out of team B's reach.
    assert created.candidate != world["alexis"]
    assert (
        not Candidate.objects.visible_to(world["recruiter_b"])
        .filter(pk=world["alexis"].pk)
        .exists()
    )
    # The shared address now routes by the rule: an email naming nobody waits for both teams.
    contact = ingest(make_email(from_=ALEXIS_EMAIL))
    assert contact.match_status == MatchStatus.AMBIGUOUS
    assert set(contact.queue_requisitions.all()) == {world["req_a"], world["req_b"]}
    # Written to team A's recruiter: team A's candidate.
    to_a = ingest(make_email(from_=ALEXIS_EMAIL, to=world["recruiter_a"].email))
    assert to_a.application == world["alexis_app"]


# --- The candidate's next email -------------------------------------------------------------


def test_reply_token_routes_to_that_application(world):
    sent_b = followup_services.email_send(
        application=world["app_b"],
        sender=world["recruiter_b"],
        subject="Team B hello",
        body="Hi",
        now=timezone.now(),
    )
    token = ReplyToken.objects.get(contact=sent_b).token
    contact = ingest(make_email(from_=SHARED_EMAIL, to=f"reply+{token}@persist.example"))
    assert contact.application == world["app_b"]


def test_threaded_reply_routes_to_the_application_of_the_thread(world):
    thread = f"<{world['sent_a'].external_id}>"
    contact = ingest(
        make_email(from_=SHARED_EMAIL, headers={"In-Reply-To": thread, "References": thread})
    )
    assert contact.application == world["app_a"]
    # And a reply to team B's message goes to team B, although team A's is more active.
    b_message = ingest(make_email(from_=SHARED_EMAIL, to=world["recruiter_b"].email))
    assert b_message.application == world["app_b"]
    threaded_b = ingest(
        make_email(from_=SHARED_EMAIL, headers={"References": f"<{b_message.external_id}>"})
    )
    assert threaded_b.application == world["app_b"]


def test_email_to_a_team_address_routes_to_that_team(world):
    for key, app in (("recruiter_a", "app_a"), ("manager_b", "app_b")):
        contact = ingest(make_email(from_=SHARED_EMAIL, to=world[key].email))
        assert (contact.match_status, contact.application) == (MatchStatus.MATCHED, world[app])


def test_ambiguous_email_waits_in_the_queue_of_both_teams_only(client, world):
    team_c_recruiter = UserFactory(recruiter=True)
    RequisitionFactory(recruiters=[team_c_recruiter])
    contact = ingest(make_email(from_=SHARED_EMAIL, subject="Which team is this for"))
    assert contact.match_status == MatchStatus.AMBIGUOUS
    assert (contact.candidate, contact.application) == (None, None)
    assert set(contact.queue_requisitions.all()) == {world["req_a"], world["req_b"]}
    for user in (world["recruiter_a"], world["recruiter_b"]):
        assert policy.unmatched_queue_visible_to(user).filter(pk=contact.pk).exists()
        _as(client, user)
        assert "Which team is this for" in client.get(reverse("followups:unmatched_queue")).text
    assert not policy.unmatched_queue_visible_to(team_c_recruiter).filter(pk=contact.pk).exists()
    _as(client, team_c_recruiter)
    assert "Which team is this for" not in client.get(reverse("followups:unmatched_queue")).text
    assert client.get(reverse("followups:contact_raw", args=[contact.pk])).status_code == 404
    # Team B attaches it to its own application: gone from team A's queue.
    _as(client, world["recruiter_b"])
    client.post(
        reverse("followups:unmatched_attach", args=[contact.pk]),
        {"application": world["app_b"].pk},
    )
    contact.refresh_from_db()
    assert contact.application == world["app_b"]
    queue_a = policy.unmatched_queue_visible_to(world["recruiter_a"])
    assert not queue_a.filter(pk=contact.pk).exists()
    # And team B cannot attach a queued item to team A's application.
    other = ingest(make_email(from_=SHARED_EMAIL, subject="Second"))
    response = client.post(
        reverse("followups:unmatched_attach", args=[other.pk]), {"application": world["app_a"].pk}
    )
    assert response.status_code == 404


def _team_a_outreach_long_ago(world):
    # The fixture's email from team A is recent: a call now would answer it (a callback).
    Contact.objects.filter(pk=world["sent_a"].pk).update(
        occurred_at=timezone.now() - dt.timedelta(days=30)
    )


def test_call_from_a_shared_number_waits_for_both_teams(world):
    _team_a_outreach_long_ago(world)
    outcome = phone_contact_record(
        channel="phone",
        direction="inbound",
        candidate_number=SHARED_PHONE,
        occurred_at=timezone.now(),
        external_id="CA-shared-1",
        source="webhook",
        now=timezone.now(),
    )
    call = outcome.contact
    assert call.match_status == MatchStatus.AMBIGUOUS
    assert set(call.queue_requisitions.all()) == {world["req_a"], world["req_b"]}


def test_call_answering_one_team_outreach_goes_to_that_team(world):
    _team_a_outreach_long_ago(world)
    now = timezone.now()
    followup_services.contact_log(
        application=world["app_b"],
        channel="phone",
        direction="outbound",
        occurred_at=now - dt.timedelta(minutes=30),
        summary="Left a message",
        logged_by=world["recruiter_b"],
        now=now,
    )
    call = phone_contact_record(
        channel="phone",
        direction="inbound",
        candidate_number=SHARED_PHONE,
        occurred_at=now,
        external_id="CA-callback-1",
        source="webhook",
        now=now,
    ).contact
    assert (call.application, call.is_prompted) == (world["app_b"], True)


def test_erasing_team_b_record_keeps_team_a_queue_items_from_the_shared_address(client, world):
    # Team B adds the person team A knows as Alexis under the same address; an email naming
    # nobody then waits for both teams. Erasing team B's record must not delete what team A
    # still holds for its own candidate: the address is still Alexis's.
    _as(client, world["recruiter_b"])
    client.post(
        reverse("candidates:application_create", args=[world["req_b"].pk]),
        {
            "first_name": "Mallory",
            "last_name": "Probe",
            "emails": ALEXIS_EMAIL,
            "stage": stage_of(world["req_b"], StageKind.APPLIED).pk,
        },
    )
    mallory = Candidate.objects.get(first_name="Mallory")
    queued = ingest(make_email(from_=ALEXIS_EMAIL, subject="For whichever team"))
    assert queued.match_status == MatchStatus.AMBIGUOUS
    admin = UserFactory(admin=True)

    result = candidate_erase(candidate=mallory, actor=admin, reason=ErasureReason.REQUEST)

    assert result.queue_items_deleted == 0
    assert Contact.objects.filter(pk=queued.pk).exists()
    assert policy.unmatched_queue_visible_to(world["recruiter_a"]).filter(pk=queued.pk).exists()
    assert Candidate.objects.filter(pk=world["alexis"].pk, emails__address=ALEXIS_EMAIL).exists()
