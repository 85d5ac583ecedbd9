"""Call-log CSV import: per-row outcomes for each preset, idempotence, classification, pages,
permissions, query counts and the management command."""

import csv
import datetime as dt
import io
import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from candidates.models import Application, Candidate, CandidatePhone, StaleScore
from followups import imports
from followups.imports import call_import_create, call_import_run
from followups.models import (
    Channel,
    Contact,
    ContactSource,
    Direction,
    ImportBatch,
    ImportRow,
    ImportStatus,
    MatchStatus,
    RowOutcome,
)
from followups.rules import contact_is_persistence
from followups.services import _application_for_candidate, applications_for_candidates
from followups.tasks import run_call_import
from hiring.models import StageKind
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    CandidatePhoneFactory,
    ContactFactory,
    RequisitionFactory,
    SilenceTestFactory,
    UserFactory,
    stage_of,
)

NOW = dt.datetime(2025, 3, 20, 12, 0, tzinfo=dt.UTC)
TEAM = "+12125550199"
ALICE, BOB, SHARED, STRANGER = "+14155550100", "+14155550101", "+14155550102", "+14155550177"


def csv_bytes(header: list[str], rows: list[list[str]], delimiter=",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def run_import(content: bytes, *, preset="generic", region="US", user=None, time_zone="UTC"):
    batch = call_import_create(
        uploaded_by=user,
        filename="calls.csv",
        content=content,
        preset=preset,
        default_region=region,
        enqueue=False,
    )
    return call_import_run(batch_id=batch.pk, now=NOW, time_zone=time_zone)


def outcomes(batch) -> dict[int, tuple[str, str]]:
    return {
        r.row_number: (r.outcome, r.reason)
        for r in ImportRow.objects.filter(batch=batch).order_by("row_number")
    }


@pytest.fixture
def recruiter():
    return UserFactory(recruiter=True)


@pytest.fixture
def people(recruiter):
    requisition = RequisitionFactory(recruiters=[recruiter])
    alice = ApplicationFactory(requisition=requisition)
    bob = ApplicationFactory(requisition=requisition)
    CandidatePhoneFactory(candidate=alice.candidate, number=ALICE)
    CandidatePhoneFactory(candidate=bob.candidate, number=BOB)
    # Candidates the uploader may see (an application on their requisition): others' numbers
    # are unknown to them (tests/security/test_cross_team.py).
    for _ in range(2):
        shared = ApplicationFactory(requisition=requisition).candidate
        CandidatePhoneFactory(candidate=shared, number=SHARED)
    return {"requisition": requisition, "alice": alice, "bob": bob}


GENERIC_HEADER = ["date", "time", "direction", "from", "to", "duration", "call_id", "notes"]


def generic_file() -> bytes:
    return csv_bytes(
        GENERIC_HEADER,
        [
            ["2025-03-14", "09:30", "inbound", "(415) 555-0100", TEAM, "1:35", "pbx-1", "Hi"],
            ["2025-03-14", "10:00", "outbound", TEAM, "415-555-0101", "62", "pbx-2", ""],
            ["2025-03-14", "09:30", "inbound", "(415) 555-0100", TEAM, "1:35", "pbx-1", "Hi"],
            ["2025-03-14", "11:00", "in", "+1 415 555 0177", TEAM, "", "pbx-3", ""],
            ["2025-03-14", "11:05", "in", SHARED, TEAM, "5", "pbx-4", ""],
            ["2025-02-30", "09:30", "in", ALICE, TEAM, "5", "pbx-5", ""],
            ["2025-03-14", "09:30", "sideways", ALICE, TEAM, "5", "pbx-6", ""],
            ["2025-03-14", "09:30", "in", "", TEAM, "5", "pbx-7", ""],
            ["2025-03-14", "09:30", "in", ALICE, TEAM, "ten", "pbx-8", ""],
            ["2030-01-01", "09:30", "in", ALICE, TEAM, "5", "pbx-9", ""],
            ["2025-03-14", "12:00", "in", ALICE, TEAM, "30", "", "no id"],
            ["2025-03-13", "08:00", "in", ALICE, TEAM, "30", "already-here", ""],
        ],
    )


def test_generic_preset_good_duplicate_unmatched_and_malformed_rows(people, recruiter):
    existing = ContactFactory(application=people["alice"], external_id="already-here")
    batch = run_import(generic_file(), user=recruiter, time_zone="America/New_York")

    assert batch.status == ImportStatus.DONE
    assert (batch.total_rows, batch.processed_rows) == (12, 12)
    assert (batch.imported, batch.duplicates, batch.unmatched, batch.errors) == (3, 2, 2, 5)
    rows = outcomes(batch)
    assert rows[1] == (RowOutcome.IMPORTED, "")
    assert rows[2] == (RowOutcome.IMPORTED, "")
    assert rows[3] == (
        RowOutcome.DUPLICATE,
        "Same call as row 1 of this file: call id pbx-1.",
    )
    assert rows[4] == (RowOutcome.UNMATCHED, f"No candidate has the number {STRANGER}.")
    assert rows[5] == (RowOutcome.UNMATCHED, f"2 candidates share the number {SHARED}.")
    assert rows[6][0] == RowOutcome.ERROR
    assert "Unreadable date '2025-02-30'" in rows[6][1]
    assert "Unknown direction 'sideways'" in rows[7][1]
    assert "The candidate's number is missing" in rows[8][1]
    assert "Unreadable duration 'ten'" in rows[9][1]
    assert "is in the future" in rows[10][1]
    assert rows[11] == (RowOutcome.IMPORTED, "")
    assert rows[12] == (
        RowOutcome.DUPLICATE,
        f"Already imported (contact #{existing.pk}): call id already-here.",
    )

    inbound = Contact.objects.get(external_id="pbx-1")
    assert inbound.candidate == people["alice"].candidate
    assert inbound.application == people["alice"]
    assert inbound.channel == Channel.PHONE
    assert inbound.direction == Direction.INBOUND
    assert inbound.source == ContactSource.CSV
    assert inbound.match_status == MatchStatus.MATCHED
    assert inbound.occurred_at == dt.datetime(2025, 3, 14, 13, 30, tzinfo=dt.UTC)  # EDT
    assert inbound.duration_seconds == 95
    assert inbound.phone_number == ALICE
    assert inbound.summary == "Hi"
    assert inbound.import_batch == batch
    assert inbound.logged_by == recruiter
    outbound = Contact.objects.get(external_id="pbx-2")
    assert outbound.direction == Direction.OUTBOUND
    assert outbound.application == people["bob"]
    assert outbound.phone_number == BOB
    unmatched = Contact.objects.get(external_id="pbx-3")
    assert (unmatched.match_status, unmatched.candidate) == (MatchStatus.UNMATCHED, None)
    ambiguous = Contact.objects.get(external_id="pbx-4")
    assert (ambiguous.match_status, ambiguous.candidate) == (MatchStatus.AMBIGUOUS, None)
    assert ambiguous.match_note == f"2 candidates share the number {SHARED}."
    hashed = Contact.objects.get(import_batch=batch, summary="no id")
    assert hashed.external_id.startswith("csvhash:")
    # Every row has a result; imported/unmatched rows point at their contact, duplicates at
    # the one they repeat.
    assert ImportRow.objects.filter(batch=batch).count() == 12
    assert ImportRow.objects.get(batch=batch, row_number=1).contact == inbound
    assert ImportRow.objects.get(batch=batch, row_number=3).contact == inbound
    assert ImportRow.objects.get(batch=batch, row_number=12).contact == existing
    assert ImportRow.objects.get(batch=batch, row_number=6).data["date"] == "2025-02-30"
    assert Contact.objects.filter(import_batch=batch).count() == 5


TWILIO_HEADER = [
    "Call Sid",
    "Date Created",
    "Start Time",
    "End Time",
    "From",
    "To",
    "Direction",
    "Status",
    "Duration",
    "Price",
]


def twilio_file(delimiter=",") -> bytes:
    rows = [
        ["CA01", "2025-03-14 08:29:59", "2025-03-14 08:30:00", "", ALICE, TEAM, "inbound",
         "completed", "60", "-0.0085"],
        ["CA02", "Fri, 14 Mar 2025 09:00:00 +0000", "", "", TEAM, BOB, "outbound-api",
         "no-answer", "", ""],
        ["CA03", "2025-03-14 10:00:00", "", "", ALICE, TEAM, "inbound", "busy", "0", ""],
        ["CA01", "2025-03-14 08:29:59", "2025-03-14 08:30:00", "", ALICE, TEAM, "inbound",
         "completed", "60", "-0.0085"],
        ["CA04", "2025-03-14 11:00:00", "", "", TEAM, STRANGER, "outbound-dial", "completed",
         "12", ""],
        ["CA05", "2025-03-14 11:00:00", "", "", "client:agent", TEAM, "inbound", "completed",
         "12", ""],
        ["CA06", "not a date", "", "", ALICE, TEAM, "inbound", "completed", "12", ""],
        ["CA07", "2025-03-14 11:00:00", "", "", ALICE, TEAM, "trunking-originating",
         "completed", "12", ""],
        ["CA08", "2025-03-14 11:00:00", "", "", ALICE, TEAM, "inbound", "completed", "1h", ""],
    ]  # fmt: skip
    return csv_bytes(TWILIO_HEADER, rows, delimiter=delimiter)


def test_twilio_preset_good_duplicate_unmatched_and_malformed_rows(people):
    batch = run_import(
        "\ufeff".encode() + twilio_file(delimiter=";"), preset="twilio", time_zone="Asia/Tokyo"
    )
    rows = outcomes(batch)
    assert [rows[n][0] for n in range(1, 10)] == [
        RowOutcome.IMPORTED,
        RowOutcome.IMPORTED,
        RowOutcome.IMPORTED,
        RowOutcome.DUPLICATE,
        RowOutcome.UNMATCHED,
        RowOutcome.ERROR,
        RowOutcome.ERROR,
        RowOutcome.ERROR,
        RowOutcome.ERROR,
    ]
    assert "call id CA01" in rows[4][1]
    assert rows[5][1] == f"No candidate has the number {STRANGER}."
    assert "'client:agent' is not a phone number" in rows[6][1]
    assert "Unreadable date/time 'not a date'" in rows[7][1]
    assert "Unknown direction 'trunking-originating'" in rows[8][1]
    assert "Unreadable duration '1h'" in rows[9][1]
    assert (batch.imported, batch.duplicates, batch.unmatched, batch.errors) == (3, 1, 1, 4)

    answered = Contact.objects.get(external_id="CA01")
    # Twilio times are UTC, whatever the import's default zone.
    assert answered.occurred_at == dt.datetime(2025, 3, 14, 8, 30, tzinfo=dt.UTC)
    assert answered.duration_seconds == 60
    missed_outbound = Contact.objects.get(external_id="CA02")
    assert missed_outbound.direction == Direction.OUTBOUND
    assert missed_outbound.candidate == people["bob"].candidate
    assert missed_outbound.duration_seconds is None
    assert missed_outbound.summary == "Missed call (no-answer)"
    # A busy inbound call is still the candidate reaching out: a phone contact.
    busy = Contact.objects.get(external_id="CA03")
    assert (busy.channel, busy.direction) == (Channel.PHONE, Direction.INBOUND)
    assert busy.summary == "Missed call (busy)"
    assert contact_is_persistence(busy)


def test_twilio_call_already_stored_by_a_status_callback_as_voicemail_is_a_duplicate(people):
    voicemail = ContactFactory(
        application=people["alice"], channel=Channel.VOICEMAIL, external_id="CA01"
    )
    batch = run_import(twilio_file(), preset="twilio")
    row = ImportRow.objects.get(batch=batch, row_number=1)
    assert (row.outcome, row.contact) == (RowOutcome.DUPLICATE, voicemail)


def test_reimporting_the_same_file_changes_nothing(people):
    content = csv_bytes(
        GENERIC_HEADER,
        [
            ["2025-03-14", "09:30", "inbound", ALICE, TEAM, "95", "pbx-1", ""],
            ["2025-03-14", "10:00", "outbound", TEAM, BOB, "62", "", "no id"],
            ["2025-03-14", "11:00", "in", STRANGER, TEAM, "", "", ""],
            ["2025-03-14", "11:05", "in", SHARED, TEAM, "5", "pbx-4", ""],
        ],
    )
    first = run_import(content)
    assert (first.imported, first.unmatched) == (2, 2)
    contacts = Contact.objects.count()
    second = run_import(content)
    assert second.pk != first.pk
    assert (second.imported, second.duplicates, second.unmatched, second.errors) == (0, 4, 0, 0)
    assert Contact.objects.count() == contacts
    assert {outcome for outcome, _reason in outcomes(second).values()} == {RowOutcome.DUPLICATE}
    # The same file read with another delimiter and header spelling is still the same calls.
    third = run_import(content.replace(b",", b"\t").replace(b"call_id", b"Call ID"))
    assert third.duplicates == 4
    assert Contact.objects.count() == contacts


# --- Classification ------------------------------------------------------------------------


def test_inbound_call_within_callback_window_after_outreach_is_prompted(people, settings):
    settings.CALLBACK_WINDOW_HOURS = 24
    at = dt.datetime(2025, 3, 14, 9, 0, tzinfo=dt.UTC)
    ContactFactory(
        application=people["alice"], outbound=True, channel=Channel.EMAIL, occurred_at=at
    )
    ContactFactory(
        application=people["bob"], outbound=True, occurred_at=at - dt.timedelta(hours=30)
    )
    run_import(
        csv_bytes(
            ["datetime", "direction", "from", "to", "call_id"],
            [
                ["2025-03-14 15:00", "in", ALICE, TEAM, "a"],
                ["2025-03-14 15:00", "in", BOB, TEAM, "b"],
            ],
        )
    )
    assert Contact.objects.get(external_id="a").is_prompted
    assert not Contact.objects.get(external_id="b").is_prompted


def test_callbacks_are_found_across_chunks_and_in_stored_contacts(people, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_SIZE", 1)
    earlier_inbound = ContactFactory(
        application=people["bob"], occurred_at=dt.datetime(2025, 3, 14, 12, tzinfo=dt.UTC)
    )
    run_import(
        csv_bytes(
            ["datetime", "direction", "from", "to", "call_id"],
            [
                # The callback comes first in the file, the outreach it answers later.
                ["2025-03-14 10:00", "in", ALICE, TEAM, "callback"],
                ["2025-03-14 09:00", "out", TEAM, ALICE, "outreach"],
                ["2025-03-14 11:00", "out", TEAM, BOB, "outreach-bob"],
            ],
        )
    )
    assert Contact.objects.get(external_id="callback").is_prompted
    assert not Contact.objects.get(external_id="outreach").is_prompted
    earlier_inbound.refresh_from_db()
    assert earlier_inbound.is_prompted


def test_imported_outbound_call_during_observing_silence_test_contaminates_it(people):
    test = SilenceTestFactory(application=people["alice"], observing=True)
    call_at = test.deadline_at + dt.timedelta(hours=2)  # the factory uses the real clock
    batch = call_import_create(
        uploaded_by=None,
        filename="c.csv",
        content=csv_bytes(
            ["datetime", "direction", "from", "to", "call_id"],
            [[call_at.isoformat(), "out", TEAM, ALICE, "chase"]],
        ),
        preset="generic",
        default_region="US",
        enqueue=False,
    )
    call_import_run(batch_id=batch.pk, now=call_at + dt.timedelta(hours=1))
    test.refresh_from_db()
    assert test.contaminated_by == Contact.objects.get(external_id="chase")


def test_scores_of_touched_applications_are_marked_stale(people):
    earlier = ContactFactory(
        application=people["bob"], occurred_at=dt.datetime(2025, 3, 14, 12, tzinfo=dt.UTC)
    )
    StaleScore.objects.all().delete()  # the factory's own mark
    run_import(
        csv_bytes(
            ["datetime", "direction", "from", "to", "call_id"],
            [
                ["2025-03-14 09:00", "in", ALICE, TEAM, "a"],
                ["2025-03-14 11:00", "out", TEAM, BOB, "b"],
                ["2025-03-14 11:00", "in", STRANGER, TEAM, "c"],
            ],
        )
    )
    # Bob's earlier call became prompted by the import's outbound call: his score is stale too.
    marked = set(StaleScore.objects.values_list("application_id", flat=True))
    assert marked == {people["alice"].pk, people["bob"].pk}
    earlier.refresh_from_db()
    assert earlier.is_prompted


def test_naive_times_default_to_the_uploaders_time_zone(people, recruiter):
    from hiring.models import UserProfile

    UserProfile.objects.update_or_create(user=recruiter, defaults={"time_zone": "Europe/Berlin"})
    batch = call_import_create(
        uploaded_by=recruiter,
        filename="c.csv",
        content=csv_bytes(
            ["datetime", "direction", "from", "to", "call_id"],
            [["2025-03-14 09:30", "in", ALICE, TEAM, "berlin"]],
        ),
        preset="generic",
        default_region="US",
        enqueue=False,
    )
    call_import_run(batch_id=batch.pk, now=NOW)
    call = Contact.objects.get(external_id="berlin")
    assert call.occurred_at == dt.datetime(2025, 3, 14, 8, 30, tzinfo=dt.UTC)


def test_bulk_application_choice_agrees_with_the_services_rule():
    requisitions = [RequisitionFactory() for _ in range(3)]
    lone = ApplicationFactory(requisition=requisitions[0])
    several = CandidateFactory()
    for requisition in requisitions:
        ApplicationFactory(candidate=several, requisition=requisition)
    with_test = CandidateFactory()
    plain = ApplicationFactory(candidate=with_test, requisition=requisitions[0])
    tested = ApplicationFactory(candidate=with_test, requisition=requisitions[1])
    SilenceTestFactory(application=tested)
    Application.objects.filter(pk=plain.pk).update(updated_at=timezone.now())
    nobody = CandidateFactory()
    ids = {lone.candidate_id, several.pk, with_test.pk, nobody.pk}
    bulk = applications_for_candidates(ids)
    assert bulk == {
        cid: _application_for_candidate(cid)
        for cid in ids
        if _application_for_candidate(cid) is not None
    }
    assert bulk[with_test.pk] == tested.pk


# --- Robustness ----------------------------------------------------------------------------


def test_create_refuses_unreadable_files_and_missing_columns():
    with pytest.raises(ValidationError, match=r"missing columns .*: Direction"):
        call_import_create(
            uploaded_by=None,
            filename="x.csv",
            content=b"Call Sid,Start Time,From,To\nCA1,2025-01-01,+1,+2\n",
            preset="twilio",
            default_region="US",
        )
    with pytest.raises(ValidationError, match="not a CSV"):
        call_import_create(
            uploaded_by=None,
            filename="x.xlsx",
            content=b"PK\x03\x04rest",
            preset="generic",
            default_region="US",
        )
    with pytest.raises(ValidationError, match="Unknown preset"):
        call_import_create(
            uploaded_by=None, filename="x", content=b"a\n1\n", preset="nope", default_region="US"
        )
    with pytest.raises(ValidationError, match="XX is not a country code"):
        call_import_create(
            uploaded_by=None,
            filename="x",
            content=generic_file(),
            preset="generic",
            default_region="XX",
        )
    assert not ImportBatch.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_concurrent_import_of_the_same_call_makes_it_a_duplicate(people, monkeypatch):
    real = imports._candidates_by_number
    twin = []

    def commit_twin():
        try:
            twin.append(
                ContactFactory(
                    application=people["alice"], external_id="pbx-1", source=ContactSource.CSV
                )
            )
        finally:
            connections.close_all()

    def racing(numbers, **kwargs):
        # Another import commits the same call between our duplicate check and our insert.
        if not twin:
            thread = threading.Thread(target=commit_twin)
            thread.start()
            thread.join()
        return real(numbers, **kwargs)

    monkeypatch.setattr(imports, "_candidates_by_number", racing)
    batch = run_import(generic_file())
    row = ImportRow.objects.get(batch=batch, row_number=1)
    assert (row.outcome, row.contact) == (RowOutcome.DUPLICATE, twin[0])
    assert Contact.objects.filter(external_id="pbx-1").count() == 1
    assert ImportRow.objects.get(batch=batch, row_number=2).outcome == RowOutcome.IMPORTED


def test_create_enqueues_the_task_after_commit(monkeypatch, django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr(imports, "async_task", lambda *args: queued.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        batch = call_import_create(
            uploaded_by=None,
            filename="c.csv",
            content=generic_file(),
            preset="generic",
            default_region="US",
        )
    assert queued == [("followups.tasks.run_call_import", batch.pk)]
    assert (batch.status, batch.total_rows, bytes(batch.content)) == (
        ImportStatus.PENDING,
        12,
        generic_file(),
    )


def test_a_failed_run_resumes_where_it_stopped(people, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_SIZE", 4)
    batch = call_import_create(
        uploaded_by=None,
        filename="c.csv",
        content=generic_file(),
        preset="generic",
        default_region="US",
        enqueue=False,
    )
    real = imports._store_calls
    calls = []

    def flaky(context, rows):
        calls.append(len(rows))
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real(context, rows)

    monkeypatch.setattr(imports, "_store_calls", flaky)
    with pytest.raises(RuntimeError):
        call_import_run(batch_id=batch.pk, now=NOW)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED
    assert "database went away" in batch.failure
    assert batch.processed_rows == 4
    batch = call_import_run(batch_id=batch.pk, now=NOW)
    assert batch.status == ImportStatus.DONE
    assert batch.processed_rows == 12
    assert ImportRow.objects.filter(batch=batch).count() == 12
    # Row 12 is imported too: no contact has its call id here.
    assert (batch.imported, batch.duplicates, batch.unmatched, batch.errors) == (4, 1, 2, 5)
    # Done is done: running the task again changes nothing.
    assert call_import_run(batch_id=batch.pk, now=NOW).imported == 4
    assert ImportRow.objects.filter(batch=batch).count() == 12


# --- Query counts --------------------------------------------------------------------------


def seeded_file(rows: int, start: int = 0) -> bytes:
    """``rows`` calls with as many seeded candidates (one application each)."""
    requisition = RequisitionFactory()
    stage = stage_of(requisition, StageKind.APPLIED)
    numbers = [f"+1415556{n:04d}" for n in range(start, start + rows)]
    candidates = Candidate.objects.bulk_create(
        Candidate(first_name=f"C{n}", last_name="Seed") for n in range(rows)
    )
    CandidatePhone.objects.bulk_create(
        CandidatePhone(candidate=c, number=number)
        for c, number in zip(candidates, numbers, strict=True)
    )
    Application.objects.bulk_create(
        Application(candidate=c, requisition=requisition, stage=stage, stage_entered_at=NOW)
        for c in candidates
    )
    return csv_bytes(
        ["datetime", "direction", "from", "to", "duration", "call_id"],
        [
            [f"2025-03-14 09:{n % 60:02d}", "in" if n % 3 else "out", *(
                (number, TEAM) if n % 3 else (TEAM, number)
            ), "30", f"q-{start + n}"]
            for n, number in enumerate(numbers)
        ],
    )  # fmt: skip


def count_run_queries(content: bytes) -> int:
    batch = call_import_create(
        uploaded_by=None,
        filename="q.csv",
        content=content,
        preset="generic",
        default_region="US",
        enqueue=False,
    )
    with CaptureQueriesContext(connection) as queries:
        batch = call_import_run(batch_id=batch.pk, now=NOW)
    assert batch.processed_rows == batch.imported == batch.total_rows
    return len(queries)


#: Queries of one run: the batch's bookkeeping plus a fixed number per chunk (11 statements, one
#: of them marking the chunk's scores stale, one looking up the webhook endpoints subscribed to
#: contact.recorded, and, inside the test's transaction, 4 savepoint statements).
MAX_QUERIES_PER_CHUNK = 15
MAX_QUERIES_PER_RUN = 8


@pytest.mark.parametrize("rows", [10, 1000])
def test_queries_per_chunk_do_not_grow_with_rows(rows, monkeypatch, django_assert_max_num_queries):
    monkeypatch.setattr(imports, "CHUNK_SIZE", 1000)
    content = seeded_file(rows)
    batch = call_import_create(
        uploaded_by=None,
        filename="q.csv",
        content=content,
        preset="generic",
        default_region="US",
        enqueue=False,
    )
    # One chunk either way: the same bound for 10 rows and for 1000.
    with django_assert_max_num_queries(MAX_QUERIES_PER_RUN + MAX_QUERIES_PER_CHUNK):
        batch = call_import_run(batch_id=batch.pk, now=NOW)
    assert batch.imported == rows
    assert Contact.objects.filter(import_batch=batch, application__isnull=False).count() == rows


def test_queries_grow_with_chunks_not_rows():
    one_chunk = count_run_queries(seeded_file(imports.CHUNK_SIZE))
    two_chunks = count_run_queries(seeded_file(2 * imports.CHUNK_SIZE, start=imports.CHUNK_SIZE))
    per_chunk = two_chunks - one_chunk
    assert per_chunk <= MAX_QUERIES_PER_CHUNK
    assert one_chunk - per_chunk <= MAX_QUERIES_PER_RUN


# --- Pages ---------------------------------------------------------------------------------


def upload(client, requisition, content=None, preset="generic"):
    return client.post(
        reverse("followups:call_import_upload"),
        {
            "file": SimpleUploadedFile("calls.csv", content or generic_file(), "text/csv"),
            "preset": preset,
            "requisition": requisition.pk,
        },
    )


def test_upload_page_flow(client, people, recruiter, monkeypatch):
    queued = []
    monkeypatch.setattr(imports, "async_task", lambda *args: queued.append(args))
    other_requisition = RequisitionFactory(title="Someone else's role")
    client.force_login(recruiter)
    page = client.get(reverse("followups:call_import_upload"))
    assert page.status_code == 200
    assert people["requisition"].title in page.text
    assert other_requisition.title not in page.text
    assert "Twilio call log" in page.text

    response = upload(client, people["requisition"])
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("followups:call_import_detail", args=[batch.pk])
    assert batch.default_region == "US"
    assert batch.uploaded_by == recruiter

    # Pending: the status polls itself every second; HTMX gets only the fragment.
    pending = client.get(response.url, headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' in pending.text
    assert "<progress" in pending.text
    assert "<html" not in pending.text

    run_call_import(batch.pk)  # what the django-q2 worker runs

    done = client.get(response.url, headers={"HX-Request": "true"})
    assert "hx-trigger" not in done.text
    full = client.get(response.url)
    assert "<html" in full.text
    assert 'value="12"' in full.text
    for label, count in (("Imported", 4), ("Duplicates", 1), ("Unmatched", 2), ("Errors", 5)):
        assert f"<dt>{label}</dt><dd>{count}</dd>" in full.text
    assert "Unknown direction &#x27;sideways&#x27;" in full.text
    # The row as read, in the file's column order.
    shown = full.text.index("date: 2025-02-30")
    assert shown < full.text.index("time: 09:30", shown) < full.text.index("call_id: pbx-5", shown)
    assert reverse("followups:call_import_errors_csv", args=[batch.pk]) in full.text

    download = client.get(reverse("followups:call_import_errors_csv", args=[batch.pk]))
    assert download["Content-Type"].startswith("text/csv")
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == [*GENERIC_HEADER, "row", "reason"]
    assert [line[-2] for line in lines[1:]] == ["6", "7", "8", "9", "10"]
    assert lines[1][:4] == ["2025-02-30", "09:30", "in", ALICE]
    assert "Unreadable date" in lines[1][-1]
    # Fixing the file and importing it again works: the download is a valid import file.
    assert upload(client, people["requisition"], content=text.encode()).status_code == 302


def test_upload_names_missing_columns(client, people, recruiter):
    client.force_login(recruiter)
    response = upload(client, people["requisition"], content=b"when,who\n2025-01-01,x\n")
    assert response.status_code == 422
    assert "datetime (or date and time), direction, from, to" in response.text
    assert not ImportBatch.objects.exists()


def test_requisition_of_another_team_cannot_be_chosen(client, people, recruiter):
    client.force_login(recruiter)
    response = upload(client, RequisitionFactory(berlin=True))
    assert response.status_code == 422
    assert not ImportBatch.objects.exists()


def test_error_download_neutralises_formulas_but_not_numbers(client, people, recruiter):
    batch = run_import(
        csv_bytes(
            ["datetime", "direction", "from", "to", "notes"],
            [["2025-03-14 09:00", "sideways", ALICE, TEAM, '=HYPERLINK("http://x")']],
        ),
        user=recruiter,
    )
    client.force_login(recruiter)
    response = client.get(reverse("followups:call_import_errors_csv", args=[batch.pk]))
    (row,) = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))[1:]
    assert row[2] == ALICE
    assert row[4] == '\'=HYPERLINK("http://x")'


def test_permissions(client, people, recruiter):
    batch = run_import(generic_file(), user=recruiter)
    detail = reverse("followups:call_import_detail", args=[batch.pk])
    download = reverse("followups:call_import_errors_csv", args=[batch.pk])
    upload_url = reverse("followups:call_import_upload")

    for url in (upload_url, detail, download):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))

    other_manager = UserFactory(hiring_manager=True)
    RequisitionFactory(hiring_manager=other_manager)
    client.force_login(other_manager)
    assert client.get(upload_url).status_code == 403
    assert upload(client, people["requisition"]).status_code == 403
    assert client.get(detail).status_code == 404
    assert client.get(download).status_code == 404

    client.force_login(UserFactory(recruiter=True))
    assert client.get(upload_url).status_code == 200
    assert client.get(detail).status_code == 404
    assert client.get(download).status_code == 404

    client.force_login(UserFactory(admin=True))
    assert client.get(detail).status_code == 200
    assert client.get(download).status_code == 200


# --- Management command --------------------------------------------------------------------


def test_import_calls_command(tmp_path, people):
    path = tmp_path / "calls.csv"
    path.write_bytes(generic_file())
    out = io.StringIO()
    call_command("import_calls", str(path), "--preset", "generic", "--region", "US", stdout=out)
    output = out.getvalue()
    assert "calls.csv: 12 rows — 4 imported, 1 duplicate, 2 unmatched, 5 error" in output
    assert "row 6: Unreadable date '2025-02-30'" in output
    assert "row 7: Unknown direction 'sideways'" in output
    out = io.StringIO()
    call_command("import_calls", str(path), "--region", "US", stdout=out)
    assert "0 imported, 7 duplicate, 0 unmatched, 5 error" in out.getvalue()


def test_import_calls_command_many_errors_are_summarised(tmp_path, people):
    path = tmp_path / "bad.csv"
    path.write_bytes(
        csv_bytes(
            ["datetime", "direction", "from", "to"],
            [["2025-03-14 09:00", "sideways", ALICE, TEAM]] * 25,
        )
    )
    out = io.StringIO()
    call_command("import_calls", str(path), "--region", "US", stdout=out)
    assert "row 20: Unknown direction" in out.getvalue()
    assert "row 21:" not in out.getvalue()
    assert "… and 5 more:" in out.getvalue()
    assert "5: Unknown direction" in out.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Call Sid,From,To\nCA1,+1,+2\n", "missing columns"),
        (b"", "empty"),
        (None, "cannot read"),
    ],
)
def test_import_calls_command_exits_1_on_unreadable_file(tmp_path, content, message):
    path = tmp_path / "calls.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CommandError, match=message) as excinfo:
        call_command("import_calls", str(path), "--preset", "twilio", "--region", "US")
    assert excinfo.value.returncode == 1
    assert not ImportBatch.objects.exists()


def test_import_page_says_data_rows_and_how_they_map_to_file_lines(client, people, recruiter):
    # Two data rows with a blank line between them: the count is 2, the numbers run to 3.
    content = csv_bytes(
        ["datetime", "direction", "from", "to"],
        [["2025-03-14 09:00", "sideways", ALICE, TEAM], [], ["nope", "inbound", ALICE, TEAM]],
    )
    batch = run_import(content, user=recruiter)
    assert batch.total_rows == 2
    client.force_login(recruiter)
    text = client.get(reverse("followups:call_import_detail", args=[batch.pk])).text
    assert "2 of 2 data rows processed" in text
    assert "the header and blank lines are not counted" in text
    assert "data row 1 is line 2 of a file" in text
    assert '<th scope="col" class="num">Data row</th>' in text
