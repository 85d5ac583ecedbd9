"""Call-log CSV import: create a batch from an upload, then process it in chunks.

``call_import_create`` checks the file (readable CSV, the preset's columns) and stores it;
``call_import_run`` (a django-q2 task after the commit) does the work, ``CHUNK_SIZE`` rows per
transaction with a fixed number of queries per chunk, so the batch's counters show progress.
Every row gets an ``ImportRow``: imported, duplicate, unmatched (the contact waits in the
unmatched queue) or error, with the reason and the row as read.

Re-importing is idempotent: a call is identified by its call id, or by a hash of its
normalised fields when the file has none, and the unique ``(channel, external_id)`` constraint
makes a repeated call a duplicate even when two imports of the same file run at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import BinaryField, F
from django.db.models.functions import Substr
from django.utils import timezone
from django_q.tasks import async_task

from accounts.roles import is_admin
from candidates.freshness import mark_scores_stale
from candidates.models import Candidate, CandidatePhone
from followups import call_import, routing
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
from followups.recording import contacts_record_bulk
from followups.rules import callback_q
from hiring.models import Requisition, UserProfile

#: Rows processed per transaction (the progress step and the query-count unit).
CHUNK_SIZE = 500
#: Largest file accepted (a 10 000-row call log is about 1 MB).
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
TOO_LARGE_MESSAGE = f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; split it."
#: A call further in the future than this (clock skew) is an error.
FUTURE_TOLERANCE = timedelta(minutes=5)
#: A call id already stored on either of these channels (e.g. a Twilio status callback that
#: recorded the call as a voicemail) is the same call.
CALL_CHANNELS = (Channel.PHONE, Channel.VOICEMAIL)
MAX_FILENAME = 255
MAX_REASON = 500


def call_import_create(
    *,
    uploaded_by,
    filename: str,
    content: bytes,
    preset: str,
    default_region: str,
    enqueue: bool = True,
) -> ImportBatch:
    """Check and store an uploaded call log; its rows are imported by a task after the commit.

    Raises ``ValidationError`` for an unknown preset or region, an unreadable file, or a header
    missing the preset's columns (named in the message). ``enqueue=False`` leaves running it to
    the caller (the management command runs it synchronously).
    """
    try:
        preset_obj = call_import.get_preset(preset)
    except ValueError as exc:
        raise ValidationError(str(exc), code="preset") from None
    region = (default_region or "").strip().upper()
    if region and region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(
            "%(region)s is not a country code phone numbers can be read for (e.g. US, DE).",
            code="region",
            params={"region": default_region},
        )
    if len(content) > MAX_UPLOAD_BYTES:
        raise ValidationError(TOO_LARGE_MESSAGE, code="too_large")
    try:
        table = call_import.read_csv(content)
        call_import.resolve_columns(table.header, preset_obj)
    except (call_import.CsvUnreadable, call_import.MissingColumns) as exc:
        raise ValidationError(str(exc), code="unreadable") from None
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            uploaded_by=uploaded_by,
            filename=(filename or "upload.csv")[-MAX_FILENAME:],
            preset=preset_obj.name,
            default_region=region,
            content=content,
            total_rows=len(table.rows),
        )
        if enqueue:
            transaction.on_commit(lambda: async_task("followups.tasks.run_call_import", batch.pk))
    return batch


def default_time_zone(batch: ImportBatch) -> str:
    """Zone of times written without one: the uploader's own zone, else the server's."""

    if batch.uploaded_by_id:
        zone = (
            UserProfile.objects.filter(user_id=batch.uploaded_by_id)
            .values_list("time_zone", flat=True)
            .first()
        )
        if zone:
            return zone
    return settings.TIME_ZONE


def call_import_run(*, batch_id: int, now: datetime, time_zone: str | None = None) -> ImportBatch:
    """Import a batch's rows, ``CHUNK_SIZE`` per transaction; returns the finished batch.

    Safe to run again (a retried task): committed chunks are not redone, a finished batch is
    left alone. Naive times are read in ``time_zone`` (default: ``default_time_zone``). An
    unexpected error marks the batch failed (rows already committed stay) and is re-raised.
    """
    batch = ImportBatch.objects.select_related("uploaded_by").get(pk=batch_id)
    if batch.status == ImportStatus.DONE:
        return batch
    ImportBatch.objects.filter(pk=batch_id).update(status=ImportStatus.RUNNING, failure="")
    try:
        table = call_import.read_csv(bytes(batch.content))
        columns = call_import.resolve_columns(table.header, call_import.get_preset(batch.preset))
        context = _RunContext(
            batch_id=batch.pk,
            logged_by_id=batch.uploaded_by_id,
            uploader=batch.uploaded_by,
            header=table.header,
            columns=columns,
            region=batch.default_region or None,
            zone=time_zone or default_time_zone(batch),
            now=now,
        )
        call_import.parse_zone(context.zone)  # an invalid override fails the batch up front
        rows = table.rows
        for start in range(0, len(rows), CHUNK_SIZE):
            _import_chunk(context, start=start, rows=rows[start : start + CHUNK_SIZE])
        with transaction.atomic():
            reclassified = _classify_callbacks_of_batch(batch_id=batch.pk)
            ImportBatch.objects.filter(pk=batch_id).update(
                status=ImportStatus.DONE, finished_at=timezone.now()
            )
            # Each chunk marked its own contacts' scores stale (``contacts_record_bulk``).
            mark_scores_stale(reclassified)
    except Exception as exc:
        ImportBatch.objects.filter(pk=batch_id).update(
            status=ImportStatus.FAILED,
            failure=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
        raise
    return ImportBatch.objects.defer("content").get(pk=batch_id)


# --- One chunk ------------------------------------------------------------------------------


@dataclass
class _RunContext:
    batch_id: int
    logged_by_id: int | None
    #: Calls match only candidates this user may see (None: an operator's command, all).
    uploader: object | None
    header: list[str]
    columns: call_import.ColumnMap
    region: str | None
    zone: str
    now: datetime
    uploader_requisitions: tuple[int, ...] | None = None  # read once, when first needed


@dataclass
class _Row:
    index: int  # 0-based position among the file's non-blank rows
    number: int  # row number shown to people
    data: dict
    parsed: call_import.ParsedCall | None = None
    outcome: str = ""
    reason: str = ""
    contact: Contact | None = None
    contact_id: int | None = None


@transaction.atomic
def _import_chunk(context: _RunContext, *, start: int, rows: list[tuple[int, list[str]]]):
    # The batch row lock serialises concurrent runs of the same batch (a retried task next to
    # a slow one): rows another run committed meanwhile are not redone.
    processed = (
        ImportBatch.objects.select_for_update()
        .filter(pk=context.batch_id)
        .values_list("processed_rows", flat=True)
        .get()
    )
    todo = [
        _Row(index=start + i, number=number, data=call_import.row_data(context.header, cells))
        for i, (number, cells) in enumerate(rows)
        if start + i >= processed
    ]
    if not todo:
        return
    cells_by_index = {start + i: cells for i, (_number, cells) in enumerate(rows)}
    for row in todo:
        result = call_import.parse_row(
            cells_by_index[row.index],
            columns=context.columns,
            default_region=context.region,
            default_tz=context.zone,
        )
        if isinstance(result, call_import.RowError):
            row.outcome, row.reason = RowOutcome.ERROR, result.reason
        elif result.occurred_at > context.now + FUTURE_TOLERANCE:
            row.outcome = RowOutcome.ERROR
            row.reason = f"The call time {result.occurred_at.isoformat()} is in the future."
        else:
            row.parsed = result
    # Inserting can collide with a concurrent import of the same calls: the unique external id
    # blocks until the other commits, then the retry sees its contacts as duplicates.
    for attempt in range(2):
        try:
            with transaction.atomic():
                _store_calls(context, [r for r in todo if r.parsed])
            break
        except IntegrityError:
            if attempt:
                raise
            for row in todo:
                if row.parsed:
                    row.outcome, row.reason, row.contact, row.contact_id = "", "", None, None
    ImportRow.objects.bulk_create(
        ImportRow(
            batch_id=context.batch_id,
            row_number=row.number,
            outcome=row.outcome,
            reason=row.reason[:MAX_REASON],
            data=row.data,
            contact_id=row.contact.pk if row.contact else row.contact_id,
        )
        for row in todo
    )
    counts = {outcome: 0 for outcome in RowOutcome.values}
    for row in todo:
        counts[row.outcome] += 1
    ImportBatch.objects.filter(pk=context.batch_id).update(
        processed_rows=F("processed_rows") + len(todo),
        imported=F("imported") + counts[RowOutcome.IMPORTED],
        duplicates=F("duplicates") + counts[RowOutcome.DUPLICATE],
        unmatched=F("unmatched") + counts[RowOutcome.UNMATCHED],
        errors=F("errors") + counts[RowOutcome.ERROR],
    )


def _store_calls(context: _RunContext, rows: list[_Row]) -> None:
    """Duplicates, matching, contacts and their classification: a fixed number of queries."""
    if not rows:
        return
    existing = dict(
        Contact.objects.filter(
            channel__in=CALL_CHANNELS, external_id__in={r.parsed.external_id for r in rows}
        )
        # Spelled out so PostgreSQL can use the partial unique index (external_id <> '').
        .exclude(external_id="")
        .order_by()
        .values_list("external_id", "pk")
    )
    first_row_of: dict[str, _Row] = {}
    repeats: list[_Row] = []
    fresh: list[_Row] = []
    for row in rows:
        external_id = row.parsed.external_id
        if external_id in existing:
            row.outcome, row.contact_id = RowOutcome.DUPLICATE, existing[external_id]
            row.reason = _duplicate_reason(
                external_id, f"Already imported (contact #{existing[external_id]})"
            )
        elif external_id in first_row_of:
            row.outcome = RowOutcome.DUPLICATE
            row.reason = _duplicate_reason(
                external_id, f"Same call as row {first_row_of[external_id].number} of this file"
            )
            repeats.append(row)
        else:
            first_row_of[external_id] = row
            fresh.append(row)
    if not fresh:
        return

    candidates_of = _candidates_by_number(
        {r.parsed.phone_number for r in fresh}, uploader=context.uploader
    )
    applications = routing.applications_by_candidate(
        {cid for ids in candidates_of.values() for cid in ids}, visible_to=context.uploader
    )
    queue_of: dict[int, tuple[int, ...]] = {}
    for row in fresh:
        call = row.parsed
        found = routing.decide(
            candidates_of.get(call.phone_number, []),
            applications,
            identifier=call.phone_number,
            what="number",
        )
        if found.status == MatchStatus.MATCHED:
            row.outcome = RowOutcome.IMPORTED
        else:
            row.outcome, row.reason = RowOutcome.UNMATCHED, found.note
            queue_of[row.index] = found.requisition_ids or uploader_requisitions(context)
        row.contact = Contact(
            candidate_id=found.candidate_id,
            application_id=found.application_id,
            channel=Channel.PHONE,
            direction=call.direction,  # the parser's values are Direction's
            occurred_at=call.occurred_at,
            source=ContactSource.CSV,
            logged_by_id=context.logged_by_id,
            summary=call.summary,
            external_id=call.external_id,
            match_status=found.status,
            match_note=found.note[:300],
            duration_seconds=call.duration_seconds,
            phone_number=call.phone_number,
            import_batch_id=context.batch_id,
        )
    # The uploader's calls that match nobody they may see wait in their own teams' queue: the
    # call log (and its notes) is theirs, not every recruiter's.
    contacts_record_bulk(
        contacts=[r.contact for r in fresh],
        now=context.now,
        queue_requisitions=[queue_of.get(row.index, ()) for row in fresh],
    )
    for row in repeats:
        row.contact_id = first_row_of[row.parsed.external_id].contact.pk


def uploader_requisitions(context: _RunContext) -> tuple[int, ...]:
    """The requisitions whose recruiters see the batch's queued calls (empty: every recruiter,
    for an admin's or an operator's import)."""
    if context.uploader is None or is_admin(context.uploader):
        return ()
    if context.uploader_requisitions is None:
        context.uploader_requisitions = tuple(
            Requisition.objects.visible_to(context.uploader).values_list("pk", flat=True)
        )
    return context.uploader_requisitions


def _duplicate_reason(external_id: str, what: str) -> str:
    if external_id.startswith(call_import.HASH_ID_PREFIX):
        return f"{what}: same time, direction, numbers and duration (no call id)."
    return f"{what}: call id {external_id}."


def _candidates_by_number(numbers: set[str], *, uploader=None) -> dict[str, list[int]]:
    """E.164 number -> ids of the candidates who have it and ``uploader`` may see (one
    query): another team's candidate is unknown to them, as an unknown number is."""

    phones = CandidatePhone.objects.filter(number__in=numbers)
    if uploader is not None:
        phones = phones.filter(candidate__in=Candidate.objects.visible_to(uploader))
    result: dict[str, set[int]] = {}
    for number, candidate_id in phones.values_list("number", "candidate_id"):
        result.setdefault(number, set()).add(candidate_id)
    return {number: sorted(ids) for number, ids in result.items()}


def _classify_callbacks_of_batch(*, batch_id: int) -> set[int]:
    """After the last chunk, for the candidates this batch called: inbound calls and texts
    classified before the outbound contact they answer was known (a file not in time order,
    contacts already stored) become prompted. Returns the applications whose contacts changed.

    The EXISTS looks at any outbound contact (the rule is the same whichever path stored it):
    filtering it on this batch makes PostgreSQL intersect two indexes per row while the
    statistics still predate the bulk insert (seconds instead of milliseconds)."""
    batch_candidates = Contact.objects.filter(
        import_batch_id=batch_id, direction=Direction.OUTBOUND, candidate__isnull=False
    ).values("candidate_id")
    answers = list(
        Contact.objects.filter(
            callback_q(),
            candidate_id__in=batch_candidates,
            is_prompted=False,
        )
        .order_by()
        .values_list("pk", "application_id")
    )
    if answers:
        Contact.objects.filter(pk__in=[pk for pk, _app in answers]).update(is_prompted=True)
    return {application_id for _pk, application_id in answers if application_id}


# --- Reading results ------------------------------------------------------------------------


def call_import_header(*, batch_id: int) -> list[str]:
    """The batch file's column names, read from its first bytes only."""
    head = (
        ImportBatch.objects.filter(pk=batch_id)
        .annotate(head=Substr("content", 1, call_import.SNIFF_BYTES, output_field=BinaryField()))
        .order_by()
        .values_list("head", flat=True)
        .get()
    )
    return call_import.read_header(bytes(head))


def ordered_row_data(data: dict, header: list[str]) -> list[tuple[str, str]]:
    """A row's stored cells (JSON objects forget their order) in the file's column order."""
    known = [(name, data[name]) for name in header if name in data]
    return known + [(k, v) for k, v in data.items() if k not in header]


def call_import_rows_csv(*, batch: ImportBatch, outcomes=(RowOutcome.ERROR,)):
    """Rows for a CSV download of a batch's rows with ``outcomes``: the file's own columns
    (so the fixed file can be imported again), then the row number and the reason."""
    header = call_import_header(batch_id=batch.pk)
    rows = list(
        ImportRow.objects.filter(batch=batch, outcome__in=outcomes)
        .order_by("row_number")
        .values_list("row_number", "data", "reason")
    )
    known = set(header)
    extras: list[str] = []
    for _number, data, _reason in rows:
        extras.extend(k for k in data if k not in known and k not in extras)
    columns = header + extras
    lowered = {c.lower() for c in columns}
    row_column = "import_row" if "row" in lowered else "row"
    reason_column = "import_reason" if "reason" in lowered else "reason"
    yield [*columns, row_column, reason_column]
    for number, data, reason in rows:
        yield [*(data.get(c, "") for c in columns), number, reason]
