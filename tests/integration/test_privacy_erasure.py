"""Erasure leaves no identifier of the candidate in any column of any table.

The candidate is built through the real entry points (email ingestion with an attachment,
calls and texts, a call-log CSV import, the stage/round/scorecard services, a silence test
cancelled by a rejection, scores, a rank override, an email sent from the app whose django-q2
task ran, and one still queued, a not-an-email message kept for review, failed sign-ins with
their address that lock it out), then erased through the erase page; every column of every
table in the database (found in information_schema, so a new column is searched without
editing this file) is then searched, whatever its type (text, JSON, arrays, citext, inet, ...:
read as text; bytea read raw), including base64/zlib/pickle encodings (django-q2's payloads,
signed sessions).
"""

import base64
import binascii
import contextlib
import datetime as dt
import json
import re
import zlib

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ, Task

from audit.models import AuditAction, AuditEvent
from candidates.models import Application, Candidate, InterviewRound, StageTransition
from candidates.services import (
    application_move,
    candidate_create,
    scorecard_submit,
)
from followups.imports import call_import_create, call_import_run
from followups.models import (
    Channel,
    Contact,
    ContactSource,
    Direction,
    EmailAttachment,
    ImportRow,
    InboundMessage,
    MatchStatus,
    PersistenceScore,
    RowOutcome,
)
from followups.phone import phone_contact_record
from followups.quality import contact_log_with_details
from followups.services import email_ingest, email_reject, email_send
from hiring.models import SilenceTest, SilenceTestState, StageKind
from privacy.models import ErasureReason, ErasureRecord
from privacy.services import candidate_erase, candidate_export, candidates_erase
from scoring.scores import rank_override_set, scores_recompute
from silence.services import silence_test_announce
from tests.emails import make_email
from tests.factories import ApplicationFactory, RequisitionFactory, UserFactory, stage_of

FIRST, LAST = "Zanzibella", "Quistorp-Nakamura"
ADDRESS = "zanzibella.q@candidate-mail.example"
OTHER_ADDRESS = "zq.private@elsewhere.example"
PHONE = "+14155550142"
SUBJECT = "Territory plan with ultraviolet pineapples"
BODY_SNIPPET = "marmalade-quasar forecasting"
ATTACHMENT_NAME = "zanzibella_resume.pdf"
ATTACHMENT_BYTES = b"%PDF-1.4 secret-resume-xyzzy-contents"
NOTES = "Sharp on the cold-call roleplay, mentions zebra-crossing deals"
IDENTIFIERS = {
    "full name": f"{FIRST} {LAST}",
    "first name": FIRST,
    "last name": LAST,
    "email": ADDRESS,
    "second email": OTHER_ADDRESS,
    "phone (E.164)": PHONE,
    "phone (national)": "(415) 555-0142",
    "phone (dashes)": "415-555-0142",
    "phone (digits)": "4155550142",
    "subject": SUBJECT,
    "body": BODY_SNIPPET,
    "attachment name": ATTACHMENT_NAME,
    "attachment content": "secret-resume-xyzzy",
    "scorecard notes": "zebra-crossing",
}
_BASE64 = re.compile(rb"^[A-Za-z0-9+/=_-]{16,}$")


def _email_with_attachment(*, from_: str, subject: str, body: str) -> bytes:
    from email.message import EmailMessage
    from email.utils import make_msgid

    message = EmailMessage()
    message["From"] = f"{FIRST} {LAST} <{from_}>"
    message["To"] = "jobs@persist.example"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="candidate-mail.example")
    message.set_content(f"Hello,\n\n{body}\n\n{FIRST}\n")
    message.add_attachment(
        ATTACHMENT_BYTES, maintype="application", subtype="pdf", filename=ATTACHMENT_NAME
    )
    return bytes(message)


def _decodings(value: bytes) -> list[bytes]:
    """The value, and what it decodes to as base64 (plain, url-safe, django-signing's
    ``data:timestamp:signature``) and zlib: how pickles and signed packages are stored."""
    found = [value]
    with contextlib.suppress(zlib.error):
        found.append(zlib.decompress(value))
    pieces = [value, value.split(b":")[0].lstrip(b".")]
    for piece in pieces:
        if not _BASE64.match(piece):
            continue
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                decoded = decode(piece + b"=" * (-len(piece) % 4))
            except (binascii.Error, ValueError):
                continue
            found.append(decoded)
            with contextlib.suppress(zlib.error):
                found.append(zlib.decompress(decoded))
    return found


def _haystacks(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):  # an array of bytea, read raw
        return [hay for item in value for hay in _haystacks(item)]
    raw = bytes(value) if isinstance(value, memoryview | bytes) else str(value).encode()
    hays = [b.decode("utf-8", "replace").casefold() for b in _decodings(raw)]
    # JSON stored with \uXXXX escapes (a json column keeps them): searched unescaped too.
    with contextlib.suppress(ValueError, RecursionError):
        hays.append(json.dumps(json.loads(raw), ensure_ascii=False).casefold())
    return hays


def _every_column() -> list[tuple[str, str, str, bool]]:
    """(schema, table, column, read raw) for every column of every table the project's
    database user can see outside PostgreSQL's own catalogs. Whatever the type (arrays,
    citext, inet, enums, domains, ...), a column is read as text, except bytea (and arrays of
    it), which is read raw so that its bytes can be decoded."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.table_schema, c.table_name, c.column_name, c.udt_name "
            "FROM information_schema.columns c JOIN information_schema.tables t "
            "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
            "WHERE t.table_type = 'BASE TABLE' "
            "AND c.table_schema NOT IN ('pg_catalog', 'information_schema') "
            "AND left(c.table_schema, 3) <> 'pg_' "
            "ORDER BY 1, 2, 3"
        )
        return [(sch, t, c, udt in ("bytea", "_bytea")) for sch, t, c, udt in cursor.fetchall()]


def _hits(identifiers: dict[str, str]) -> list[str]:
    hits = []
    quote = connection.ops.quote_name
    for schema, table, column, raw in _every_column():
        read = quote(column) if raw else f"{quote(column)}::text"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {read} FROM {quote(schema)}.{quote(table)}")
            values = [row[0] for row in cursor.fetchall()]
        for value in values:
            for hay in _haystacks(value):
                for label, identifier in identifiers.items():
                    if identifier.casefold() in hay:
                        hits.append(f"{table}.{column} holds the {label} {identifier!r}")
    return sorted(set(hits))


def test_the_search_reads_every_column_type_and_encoding():
    # The search must not depend on a list of types: a table with unusual ones is found and
    # each of its columns searched (the table is dropped with the test's transaction).
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS citext")
        cursor.execute(
            "CREATE TABLE zz_search_probe (id serial PRIMARY KEY, tags text[], "
            "email citext, client inet, doc json, blobs bytea[], signed text, plain bytea)"
        )
        cursor.execute(
            "INSERT INTO zz_search_probe (tags, email, client, doc, blobs, signed, plain) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                ["x", "tag-plum"],
                "Citext-Pear@Example.com",
                "203.0.113.77",
                '{"n": "\\u00e7herry-kiwi"}',
                [b"\x00", b"blob-fig"],
                signing.dumps({"m": "signed-lime"}, compress=True),
                zlib.compress(b"zipped-mango"),
            ],
        )
    expected = {
        "array": "tag-plum",
        "citext": "citext-pear@example.com",
        "inet": "203.0.113.77",
        "json escape": "çherry-kiwi",
        "bytea array": "blob-fig",
        "signed": "signed-lime",
        "zlib": "zipped-mango",
    }
    hits = _hits(expected)
    for label, value in expected.items():
        assert any(f"holds the {label} {value!r}" in hit for hit in hits), (label, hits)


@pytest.fixture
def rich_candidate(settings, monkeypatch, django_capture_on_commit_callbacks, client):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    now = timezone.now()
    recruiter = UserFactory(recruiter=True)
    manager = UserFactory(hiring_manager=True)
    admin = UserFactory(admin=True, is_superuser=True)
    requisition = RequisitionFactory(hiring_manager=manager, recruiters=[recruiter])

    # Before the candidate exists: an email and a text from them wait in the unmatched queue.
    queued_email = email_ingest(
        raw=make_email(from_=OTHER_ADDRESS, subject=SUBJECT, body=BODY_SNIPPET),
        source=ContactSource.PIPE,
        now=now,
    )
    # A recruiter's own mail to them, captured (BCC) before the candidate existed.
    queued_outbound = email_ingest(
        raw=make_email(from_=recruiter.email, to=ADDRESS, subject="Intro call", body="Hi"),
        source=ContactSource.PIPE,
        now=now,
    )
    queued_sms = phone_contact_record(
        channel=Channel.SMS,
        direction=Direction.INBOUND,
        candidate_number=PHONE,
        occurred_at=now - dt.timedelta(days=2),
        external_id="SMqueued1",
        summary=f"Hi it's {FIRST}, {BODY_SNIPPET}",
        source=ContactSource.WEBHOOK,
        now=now,
    )

    candidate = candidate_create(
        first_name=FIRST,
        last_name=LAST,
        emails=[ADDRESS, OTHER_ADDRESS],
        phones=[PHONE],
        linkedin_url="https://www.linkedin.com/in/zanzibella-quistorp",
        notes=f"Met {FIRST} at the fair",
        created_by=recruiter,
    )
    application = ApplicationFactory(candidate=candidate, requisition=requisition)
    Application.objects.filter(pk=application.pk).update(source=f"Referral by {FIRST}'s boss")
    application.refresh_from_db()
    application_move(
        application=application,
        to_stage=stage_of(requisition, StageKind.INTERVIEW),
        actor=recruiter,
        reason=f"{FIRST} aced the screen",
    )
    # Added on the page: the flash message ("Round 1: Role play with … added.") waits in the
    # recruiter's session until their next page (session message storage, which a deployment
    # may choose; the default cookie storage also spills into the session when it is full).
    settings.MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
    recruiter_client = Client()
    recruiter_client.force_login(recruiter)
    response = recruiter_client.post(
        f"/applications/{application.pk}/rounds/",
        {"title": f"Role play with {FIRST}", "interviewers": [manager.pk]},
    )
    assert response.status_code == 302
    interview = InterviewRound.objects.get(application=application)
    scorecard_submit(
        interview_round=interview,
        interviewer=manager,
        ratings={"tenacity": 5, "trust": 4, "follow_up": 5, "coachability": 4, "closing": 3},
        recommendation="strong_yes",
        notes=NOTES,
    )

    # A second application: its silence test is cancelled by a rejection whose reason (copied
    # into the test's cancel reason) names them.
    other_requisition = RequisitionFactory(hiring_manager=manager, recruiters=[recruiter])
    rejected = ApplicationFactory(
        candidate=candidate, requisition=other_requisition, stage_kind=StageKind.SILENCE_TEST
    )
    silence_test_announce(
        application=rejected,
        announced_by=manager,
        recorded_by=recruiter,
        announced_at=now - dt.timedelta(hours=1),
        now=now,
    )
    application_move(
        application=rejected,
        to_stage=stage_of(other_requisition, StageKind.REJECTED),
        actor=manager,
        reason=f"{FIRST} {LAST} <{ADDRESS}> took another job",
    )

    # Matched contacts through the real entry points.
    matched_email = email_ingest(
        raw=_email_with_attachment(from_=ADDRESS, subject=SUBJECT, body=BODY_SNIPPET),
        source=ContactSource.IMAP,
        now=now,
    )
    phone_contact_record(
        channel=Channel.PHONE,
        direction=Direction.INBOUND,
        candidate_number=PHONE,
        occurred_at=now - dt.timedelta(hours=5),
        external_id="CAcall1",
        duration_seconds=95,
        summary=f"{FIRST} called about {BODY_SNIPPET}",
        source=ContactSource.WEBHOOK,
        now=now,
    )
    contact_log_with_details(
        application=application,
        channel=Channel.PHONE,
        direction=Direction.INBOUND,
        occurred_at=now - dt.timedelta(hours=3),
        summary=f"{FIRST} promised the deck",
        logged_by=recruiter,
        now=now,
        tags=["adds_value"],
        promise=f"{FIRST} sends the {BODY_SNIPPET} deck",
        promise_due=now + dt.timedelta(days=2),
    )

    # A call log: a row that becomes a contact, and an error row with only their number.
    csv_content = (
        "date,time,direction,from,to,duration,call_id,notes\n"
        f"2025-03-14,09:30,inbound,(415) 555-0142,+12125550199,1:35,pbx-1,Call with {FIRST}\n"
        "2025-03-14,10:00,inbound,+12025550111,+12125550199,0:30,pbx-2,someone else\n"
        f"not-a-date,11:00,inbound,415-555-0142,+12125550199,0:10,pbx-3,{FIRST} again\n"
    ).encode()
    batch = call_import_create(
        uploaded_by=recruiter,
        filename=f"calls {FIRST} {LAST}.csv",
        content=csv_content,
        preset="generic",
        default_region="US",
        enqueue=False,
    )
    call_import_run(batch_id=batch.pk, now=now, time_zone="UTC")

    scores_recompute(application_ids=[application.pk], now=now)
    rank_override_set(
        application=application, actor=manager, reason=f"{FIRST} is our pick", position=1
    )

    # An email sent from the app: its delivery task runs for real (sync), a second one stays
    # queued in the ORM broker, and a failed delivery records the address in its result.
    monkeypatch.setattr(Conf, "SYNC", True)
    with django_capture_on_commit_callbacks(execute=True):
        email_send(
            application=application,
            sender=recruiter,
            subject=f"Next steps, {FIRST}",
            body="Talk soon",
            now=now,
        )
    monkeypatch.setattr(Conf, "SYNC", False)
    with django_capture_on_commit_callbacks(execute=True):
        queued_send = email_send(
            application=application,
            sender=recruiter,
            subject="Follow-up",
            body=f"{FIRST}, see attached",
            now=now,
        )
    Task.objects.create(
        id="f" * 32,
        name="failed-delivery",
        func="followups.tasks.send_candidate_email",
        args=(queued_send.pk,),
        kwargs={},
        result=f"SMTPRecipientsRefused: {{'{ADDRESS}': (550, b'mailbox full')}}",
        started=now,
        stopped=now,
        success=False,
    )

    # Admin log entries about the candidate and the application, as the admin site writes.
    for obj in (candidate, application):
        LogEntry.objects.log_actions(
            user_id=admin.pk,
            queryset=[obj],
            action_flag=CHANGE,
            change_message=f"Changed notes of {FIRST}",
            single_object=True,
        )
    LogEntry.objects.log_actions(
        user_id=admin.pk,
        queryset=[interview],
        action_flag=CHANGE,
        change_message="Changed title",
        single_object=True,
    )
    # Bytes from the mailbox that are not an email, kept for a person to look at.
    email_reject(
        raw=f"Hi, {FIRST} {LAST} here ({ADDRESS}), call me on (415) 555-0142\n".encode(),
        source=ContactSource.IMAP,
        now=now,
        reason="no header fields (binary data or plain text, not a message)",
    )
    # The candidate tries the staff sign-in page with their address (locked out) and name.
    for _attempt in range(django_settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": ADDRESS, "password": "letmein"})
    client.post("/login/", {"username": f"{FIRST} {LAST}", "password": "letmein"})
    # An event whose details quote them, as a careless future caller might write: erasure
    # does not rely on every caller obeying the audit module's no-free-text rule.
    AuditEvent.objects.create(
        action=AuditAction.ADMIN_CHANGED,
        object_type="candidates.interviewround",
        object_id=str(interview.pk),
        details={"fields": ["title"], "was": f"Role play with {FIRST} {LAST}"},
    )
    candidate_export(candidate=candidate, actor=admin, now=now)
    return {
        "candidate": candidate,
        "application": application,
        "admin": admin,
        "batch": batch,
        "queued_email": queued_email,
        "queued_sms": queued_sms,
        "queued_outbound": queued_outbound,
        "matched_email": matched_email,
        "recruiter_client": recruiter_client,
    }


def test_the_fixture_really_stores_every_identifier_before_erasure(rich_candidate):
    # Guards the main test against a fixture that never wrote the data it then fails to find.
    hits = _hits(IDENTIFIERS)
    for table in (
        "candidates_candidate",
        "candidates_candidateemail",
        "candidates_candidatephone",
        "followups_contact",
        "followups_inboundmessage",
        "followups_emailattachment",
        "followups_importbatch",
        "followups_importrow",
        "django_admin_log",
        "django_q_task",
        "followups_promise",
        "candidates_scorecard",
        "candidates_interviewround",
        "hiring_silencetest",
        "audit_auditevent",
        "axes_accessattempt",
        "django_session",
    ):
        assert any(hit.startswith(f"{table}.") for hit in hits), table
    assert OrmQ.objects.exists()
    assert Task.objects.filter(func="followups.tasks.send_candidate_email", success=True).exists()
    queue = Contact.objects.filter(match_status=MatchStatus.UNMATCHED)
    assert set(queue.values_list("pk", flat=True)) >= {
        rich_candidate["queued_email"].contact_id,
        rich_candidate["queued_sms"].contact.pk,
        rich_candidate["queued_outbound"].contact_id,
    }
    assert ImportRow.objects.filter(outcome=RowOutcome.ERROR).exists()
    assert InboundMessage.objects.filter(parse_error__gt="", contact__isnull=True).exists()
    assert SilenceTest.objects.filter(
        application__candidate=rich_candidate["candidate"],
        state=SilenceTestState.CANCELLED,
        cancel_reason__contains=ADDRESS,
    ).exists()
    assert AuditEvent.objects.filter(action=AuditAction.LOCKED_OUT).exists()
    assert AccessAttempt.objects.filter(username=ADDRESS).exists()


def _erase_through_the_page(rich_candidate, client, *, note=""):
    candidate = rich_candidate["candidate"]
    client.force_login(rich_candidate["admin"])
    response = client.post(
        f"/candidates/{candidate.pk}/erase/",
        {"confirm_name": candidate.full_name, "reason": ErasureReason.REQUEST, "note": note},
    )
    assert response.status_code == 302, response.content.decode()[:2000]


def test_erasure_leaves_no_identifier_in_any_table(rich_candidate, client):
    # The admin even types the address into the erasure's reference note, which is kept.
    _erase_through_the_page(rich_candidate, client, note=f"Ticket 4711 from {ADDRESS}")

    hits = _hits(IDENTIFIERS)
    assert not hits, "\n".join(hits)
    assert not OrmQ.objects.exists()
    assert not Task.objects.filter(func="followups.tasks.send_candidate_email").exists()
    assert ErasureRecord.objects.get().note == "Ticket 4711 from [erased]"
    # Only the flash message left the recruiter's session: they are still signed in.
    response = rich_candidate["recruiter_client"].get("/")
    assert response.wsgi_request.user.is_authenticated


def test_erasure_counts_what_it_deleted_and_scrubbed(rich_candidate):
    result = candidate_erase(
        candidate=rich_candidate["candidate"],
        actor=rich_candidate["admin"],
        reason=ErasureReason.REQUEST,
    )
    assert result.queue_items_deleted == 3
    assert result.import_rows_scrubbed == 2
    assert result.rejected_messages_deleted == 1
    # The address's attempt (with its lockout) and the full name's.
    assert result.sign_in_attempts_deleted == 2
    # Each failed sign-in with the address, its lockout, the one with the name, the admin edit.
    assert result.audit_events_scrubbed == django_settings.AXES_FAILURE_LIMIT + 3


def test_erasure_keeps_the_security_log_without_the_identifiers(rich_candidate):
    failed = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED)
    before = failed.count()

    candidate_erase(
        candidate=rich_candidate["candidate"],
        actor=rich_candidate["admin"],
        reason=ErasureReason.REQUEST,
    )

    assert failed.count() == before
    assert {e.details["username"] for e in failed} == {"[erased]"}
    assert AuditEvent.objects.get(action=AuditAction.LOCKED_OUT).details == {"username": "[erased]"}
    assert not AccessAttempt.objects.exists()
    round_ = InterviewRound.objects.get(application=rich_candidate["application"])
    assert round_.title == "Role play with [erased]"
    assert rich_candidate["batch"].__class__.objects.get().filename == "calls [erased].csv"


def test_erasure_leaves_other_peoples_records_alone(rich_candidate, client):
    # A staff member who shares the candidate's first name, and other records that quote
    # only that first name: a first name alone is theirs only in the candidate's own rows.
    namesake = UserFactory(recruiter=True, username=FIRST.lower())
    for _attempt in range(2):
        client.post("/login/", {"username": namesake.username, "password": "wrong"})
    email_reject(
        raw=f"{FIRST} from accounting: lunch?\n".encode(),
        source=ContactSource.IMAP,
        now=timezone.now(),
        reason="no header fields",
    )
    other = call_import_create(
        uploaded_by=namesake,
        filename=f"{FIRST.lower()}-week-12.csv",
        content=(
            b"date,time,direction,from,to,duration,call_id,notes\n"
            b"2025-03-14,09:30,inbound,+12025550111,+12125550199,1:35,pbx-9,lunch\n"
        ),
        preset="generic",
        default_region="US",
        enqueue=False,
    )

    candidate_erase(
        candidate=rich_candidate["candidate"],
        actor=rich_candidate["admin"],
        reason=ErasureReason.REQUEST,
    )

    assert AccessAttempt.objects.get().username == namesake.username
    assert {
        e.details["username"]
        for e in AuditEvent.objects.filter(
            action=AuditAction.LOGIN_FAILED, details__username=FIRST.lower()
        )
    } == {FIRST.lower()}
    assert InboundMessage.objects.filter(raw=f"{FIRST} from accounting: lunch?\n".encode()).exists()
    other.refresh_from_db()
    assert other.filename == f"{FIRST.lower()}-week-12.csv"


def test_erasing_again_changes_nothing(rich_candidate, client):
    _erase_through_the_page(rich_candidate, client)
    events = AuditEvent.objects.filter(action=AuditAction.CANDIDATE_ERASED).count()

    response = client.post(
        f"/candidates/{rich_candidate['candidate'].pk}/erase/",
        {"confirm_name": rich_candidate["candidate"].full_name, "reason": "request"},
    )

    assert response.status_code == 409
    result = candidates_erase(
        candidate_ids=[rich_candidate["candidate"].pk],
        actor=rich_candidate["admin"],
        reason=ErasureReason.REQUEST,
    )
    assert result.candidates == 0
    assert AuditEvent.objects.filter(action=AuditAction.CANDIDATE_ERASED).count() == events
    assert ErasureRecord.objects.count() == 1


def test_erasure_keeps_anonymised_history_so_statistics_still_add_up(rich_candidate):
    candidate, application = rich_candidate["candidate"], rich_candidate["application"]
    contacts_before = Contact.objects.filter(application=application).count()
    transitions_before = StageTransition.objects.filter(application=application).count()
    score_before = PersistenceScore.objects.get(application=application, is_current=True)

    candidate_erase(candidate=candidate, actor=rich_candidate["admin"], reason="request")

    candidate.refresh_from_db()
    assert candidate.full_name == f"Erased candidate #{candidate.pk}"
    assert not candidate.emails.exists()
    assert not candidate.phones.exists()
    assert Contact.objects.filter(application=application).count() == contacts_before
    assert StageTransition.objects.filter(application=application).count() == transitions_before
    score_after = PersistenceScore.objects.get(pk=score_before.pk)
    assert score_after.score == score_before.score
    assert sum(line["points"] for line in score_after.lines) == score_after.score
    assert not InboundMessage.objects.filter(contact__application=application).exists()
    assert not EmailAttachment.objects.filter(contact__application=application).exists()
    # The other caller's row in the same call log is untouched, in the file and the records.
    batch = rich_candidate["batch"]
    batch.refresh_from_db()
    assert b"+12025550111" in bytes(batch.content)
    assert ImportRow.objects.get(batch=batch, row_number=2).data["from"] == "+12025550111"
    record = ErasureRecord.objects.get()
    assert (record.candidate_pk, record.erased_by, record.reason) == (
        candidate.pk,
        rich_candidate["admin"],
        "request",
    )
    entry = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Candidate), object_id=str(candidate.pk)
    )
    assert entry.object_repr == "Erased personal data"
