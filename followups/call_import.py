"""Call-log CSV parsing: pure functions (no ORM, no clock).

The importer (``followups.imports``) reads the file with ``read_csv``, maps its header with
``resolve_columns`` and turns each row into a ``ParsedCall`` or a ``RowError`` with
``parse_row``. Matching against candidates, duplicates and storage happen there.

Reading the file
----------------
* UTF-8 (a byte-order mark is ignored); files that are not UTF-8 are read as Windows-1252, the
  usual encoding of spreadsheet exports. Binary files (an Excel workbook, a PDF) are refused.
* The delimiter is sniffed from the first lines: comma, semicolon or tab.
* Header names are matched ignoring case, spaces and punctuation (``Call Sid``, ``call_sid``
  and ``CALLSID`` are the same column). Columns the preset does not know are kept in the
  row data (and in the error download) but otherwise ignored.
* Blank lines are ignored; every other row gets a result. Row numbers count data rows, the
  header excluded (row 1 is the line under the header).

Presets and their columns
-------------------------
``generic`` — any phone system's export:

=================  =========================================================================
Column             Meaning
=================  =========================================================================
``datetime``       When the call started (also ``timestamp``, ``start time``) — *or* the two
                   columns ``date`` and ``time``. Required.
``direction``      ``inbound``/``outbound``, ``in``/``out`` or ``incoming``/``outgoing``.
                   Required.
``from``, ``to``   The caller's and the called number. Required. The candidate's side is
                   ``from`` for an inbound call and ``to`` for an outbound one.
``duration``       Seconds (``95``), ``mm:ss`` (``1:35``) or ``hh:mm:ss``. Optional; empty is
                   unknown (a missed call).
``call_id``        The phone system's id of the call (also ``call id``, ``id``). Optional:
                   without it the call is identified by a hash of its time (UTC), direction,
                   both numbers and duration, so re-importing the same file is still
                   recognised.
``status``         Free text (``answered``, ``missed``, ``voicemail``…), kept in the summary.
                   Optional.
``notes``          Free text, the contact's summary (also ``note``, ``summary``, ``comment``).
                   Optional.
``timezone``       IANA zone (``Europe/Berlin``) or UTC offset (``+02:00``) of a time written
                   without one. Optional.
=================  =========================================================================

``twilio`` — a Twilio call log: the console's CSV export, or the Calls API / BulkExport
records written out as CSV (``sid``, ``start_time``, ``date_created`` match too, since header
names ignore case and punctuation). ``Call Sid`` (also ``Sid``) is the external id, so a call
a voice status callback already stored is recognised, ``Start Time`` the call time (``Date
Created`` when the start time is empty, as it is for calls that never connected), ``From``,
``To``, ``Direction`` (``inbound``; ``outbound-api`` and ``outbound-dial`` are outbound),
``Status`` (``completed``, ``no-answer``, ``busy``, ``failed``, ``canceled``, also
``queued``/``ringing``/``in-progress``) and ``Duration`` in seconds. Twilio writes times in
UTC, so a time without an offset is read as UTC. Twilio logs a forwarded call as two legs
(the inbound call, and an ``outbound-dial`` leg to the agent's phone): the second one's
candidate side is the agent's number, so it lands in the unmatched queue to be dismissed.

``aircall``, ``dialpad``, ``ringcentral`` — the three dialers' call-log exports. Their
candidate side does not depend on the direction where the export names it:

* **Aircall** (call history export, or the Calls API written out as CSV): ``ID`` (also ``call
  id``, ``call id (internal)``) — stored as ``aircall:<id>``, as the ``call.ended`` webhook
  stores it, so a call both delivered and imported is recognised — ``Started at`` (also
  ``date``; Unix seconds as the API writes them, or a date and time), ``Direction``, the
  candidate's ``Raw digits`` (also ``external number``, ``contact number``), our line's
  ``Number digits`` (also ``Aircall number``), ``Duration`` (seconds), ``Status`` / ``Call
  type`` / ``Missed call reason`` (free text, kept in the summary), ``Comments``. Times without
  an offset are UTC.
* **Dialpad** (call log export / stats CSV): ``call_id`` (stored as ``dialpad:<id>``, as the
  webhook stores it), ``date_started`` (milliseconds since the epoch, or a date and time),
  ``direction``, ``external_number`` (the candidate), ``internal_number`` (ours),
  ``categories`` or ``status`` (free text). The export's durations are not read (their unit
  differs between exports): a Dialpad import has no duration. Times without an offset are UTC.
* **RingCentral** (Admin Portal → Call Log → Download, CSV): ``Date`` and ``Time`` (or ``Start
  Time``), ``Direction`` (``Inbound``/``Outbound``, or ``Incoming``/``Outgoing``), ``From``,
  ``To``, ``Length`` or ``Duration`` (``h:mm:ss``), ``Result`` / ``Action Result``
  (``Accepted``, ``Missed``, ``Voicemail``… free text), ``Session ID`` or ``Call ID`` when the
  export has one. The portal writes local times: read in the uploader's zone unless a
  ``timezone`` column says otherwise.

Dates and times
---------------
ISO 8601 (``2025-03-14T09:30:00+01:00``, ``2025-03-14 09:30``, a trailing ``Z``/``UTC``/
``GMT``), Unix time in seconds (10 digits) or milliseconds (13 digits), RFC 2822 (``Fri, 14 Mar
2025 08:30:00 +0000``, as Twilio's API writes) and, for the ``date`` column,
``YYYY-MM-DD``, ``YYYY/MM/DD`` or ``DD.MM.YYYY``. Slashed day/month dates
(``03/04/2025``) are refused as ambiguous. Times may be ``14:05``, ``14:05:30`` or ``2:05 PM``.
A time without an offset is read in the row's ``timezone``, else the preset's zone (UTC for
Twilio), else the import's default zone (the uploader's own time zone); a local time skipped by
a daylight-saving change is an error, a repeated one is read as its first occurrence.

Missed calls and voicemail
--------------------------
Every call is a contact on the phone channel whatever its status: a ``no-answer``, ``busy``
or ``canceled`` inbound call is still the candidate reaching out (their attempt counts), and
an unanswered outbound call is still the team's outreach. The status is kept in the summary
(e.g. "Missed call (no-answer)"). A voicemail left in the team's voicemail box is logged by the
phone system as an inbound call and is imported as one.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from email.utils import parsedate_to_datetime

import phonenumbers

from candidates.normalize import E164_REGEX

INBOUND, OUTBOUND = "inbound", "outbound"

#: Delimiters the sniffer may pick.
DELIMITERS = ",;\t"
#: How much of the file the delimiter sniffer looks at.
SNIFF_BYTES = 64 * 1024
#: Longest call accepted (a duration beyond this is a data error, not a call).
MAX_DURATION_SECONDS = 24 * 3600
#: Stored length limits of the contact fields parsed values go into.
MAX_EXTERNAL_ID = 255
MAX_SUMMARY = 2000

#: Prefix of the external id made from a row without a call id.
HASH_ID_PREFIX = "csvhash:"


class CsvUnreadable(ValueError):
    """The file is not a CSV we can read (binary, empty, broken quoting)."""


class MissingColumns(ValueError):
    """The header lacks columns the preset needs."""

    def __init__(self, preset: Preset, missing: list[str], found: list[str]):
        self.preset = preset
        self.missing = missing
        self.found = found
        shown = ", ".join(found) if found else "none"
        super().__init__(
            f"The file is missing columns the {preset.label} preset needs: "
            f"{', '.join(missing)}. Columns found: {shown}."
        )


@dataclass(frozen=True)
class Preset:
    name: str
    label: str
    description: str
    #: field -> header aliases, in priority order (for a field several columns can feed, the
    #: first non-empty value wins).
    columns: dict[str, tuple[str, ...]]
    #: Groups of required fields with how each is named in an error message; a group is
    #: satisfied when any of its alternatives (a tuple of fields) is fully present.
    required: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]
    directions: dict[str, str]
    #: Known statuses (lower-case) mapped to how the summary describes them; None = free text.
    statuses: dict[str, str] | None = None
    #: Zone of times without an offset; None = the import's default zone.
    time_zone: str | None = None
    #: Prefix of the stored call id, the same as the vendor's webhook uses (``aircall:``).
    id_prefix: str = ""


_GENERIC_DIRECTIONS = {
    "inbound": INBOUND,
    "in": INBOUND,
    "incoming": INBOUND,
    "outbound": OUTBOUND,
    "out": OUTBOUND,
    "outgoing": OUTBOUND,
}

_TWILIO_STATUSES = {
    "completed": "",
    "no-answer": "Missed call (no-answer)",
    "busy": "Missed call (busy)",
    "canceled": "Missed call (canceled)",
    "failed": "Call failed to connect (failed)",
    "queued": "Call not yet placed (queued)",
    "ringing": "Call ringing when exported (ringing)",
    "in-progress": "Call in progress when exported (in-progress)",
}

PRESETS: dict[str, Preset] = {
    "generic": Preset(
        name="generic",
        label="Generic phone system",
        description=(
            "Columns datetime (or date + time), direction, from, to; optional duration, "
            "call_id, status, notes, timezone."
        ),
        columns={
            "datetime": ("datetime", "date time", "timestamp", "start time"),
            "date": ("date",),
            "time": ("time",),
            "direction": ("direction",),
            "from": ("from", "from number", "caller"),
            "to": ("to", "to number", "callee"),
            "duration": ("duration", "duration seconds", "duration s"),
            "call_id": ("call_id", "call id", "id"),
            "status": ("status",),
            "notes": ("notes", "note", "summary", "comment"),
            "timezone": ("timezone", "time zone", "tz"),
        },
        required=(
            ("datetime (or date and time)", (("datetime",), ("date", "time"))),
            ("direction", (("direction",),)),
            ("from", (("from",),)),
            ("to", (("to",),)),
        ),
        directions=_GENERIC_DIRECTIONS,
    ),
    "twilio": Preset(
        name="twilio",
        label="Twilio call log",
        description=(
            "Twilio console call-log export: Call Sid, Start Time (or Date Created), From, To, "
            "Direction, Status, Duration. Times are UTC."
        ),
        columns={
            "call_id": ("call sid", "sid", "callsid"),
            "datetime": ("start time", "date created"),
            "direction": ("direction",),
            "from": ("from",),
            "to": ("to",),
            "duration": ("duration",),
            "status": ("status",),
            "notes": ("notes",),
        },
        required=(
            ("Call Sid", (("call_id",),)),
            ("Start Time (or Date Created)", (("datetime",),)),
            ("From", (("from",),)),
            ("To", (("to",),)),
            ("Direction", (("direction",),)),
        ),
        directions={
            "inbound": INBOUND,
            "outbound-api": OUTBOUND,
            "outbound-dial": OUTBOUND,
            "outbound": OUTBOUND,
        },
        statuses=_TWILIO_STATUSES,
        time_zone="UTC",
    ),
}

#: The dialers whose exports name the candidate's side directly (``external``) rather than
#: by direction.
_EXTERNAL_REQUIRED = ("candidate's number", (("external",),))

PRESETS["aircall"] = Preset(
    name="aircall",
    label="Aircall call history",
    description=(
        "Aircall export: ID, Started at, Direction, Raw digits (the candidate), Number digits "
        "(our line), Duration, Status / Missed call reason, Comments. Times are UTC."
    ),
    columns={
        "call_id": ("id", "call id", "call id internal", "call_id"),
        "datetime": ("started at", "started_at", "start time", "date", "datetime"),
        "direction": ("direction", "call direction"),
        "external": ("raw digits", "raw_digits", "external number", "contact number"),
        "internal": ("number digits", "number_digits", "aircall number", "line number"),
        "duration": ("duration", "duration seconds", "duration in call"),
        "status": ("status", "call type", "missed call reason", "unanswered call reason"),
        "notes": ("comments", "comment", "notes"),
        "timezone": ("timezone", "time zone"),
    },
    required=(
        ("ID", (("call_id",),)),
        ("Started at", (("datetime",),)),
        ("Direction", (("direction",),)),
        _EXTERNAL_REQUIRED,
    ),
    directions=_GENERIC_DIRECTIONS,
    time_zone="UTC",
    id_prefix="aircall:",
)
PRESETS["dialpad"] = Preset(
    name="dialpad",
    label="Dialpad call log",
    description=(
        "Dialpad export: call_id, date_started, direction, external_number (the candidate), "
        "internal_number (our line), categories. Times are UTC; durations are not read."
    ),
    columns={
        "call_id": ("call_id", "call id"),
        "datetime": ("date_started", "date started", "start time"),
        "direction": ("direction",),
        "external": ("external_number", "external number"),
        "internal": ("internal_number", "internal number"),
        "status": ("categories", "status", "state"),
        "notes": ("notes",),
        "timezone": ("timezone", "time zone"),
    },
    required=(
        ("call_id", (("call_id",),)),
        ("date_started", (("datetime",),)),
        ("direction", (("direction",),)),
        _EXTERNAL_REQUIRED,
    ),
    directions=_GENERIC_DIRECTIONS,
    time_zone="UTC",
    id_prefix="dialpad:",
)
PRESETS["ringcentral"] = Preset(
    name="ringcentral",
    label="RingCentral call log",
    description=(
        "RingCentral Admin Portal call log: Date and Time (or Start Time), Direction, From, To, "
        "Length, Result; Session ID when present. Local times, in your time zone."
    ),
    columns={
        "call_id": ("session id", "call id", "telephony session id", "id"),
        "datetime": ("start time", "date time", "datetime"),
        "date": ("date",),
        "time": ("time",),
        "direction": ("direction",),
        "from": ("from", "from number", "phone number from"),
        "to": ("to", "to number", "phone number to"),
        "duration": ("length", "duration", "call length"),
        "status": ("result", "action result", "call result"),
        "notes": ("notes",),
        "timezone": ("timezone", "time zone"),
    },
    required=(
        ("Date and Time (or Start Time)", (("datetime",), ("date", "time"))),
        ("Direction", (("direction",),)),
        ("From", (("from",),)),
        ("To", (("to",),)),
    ),
    directions=_GENERIC_DIRECTIONS,
)

PRESET_CHOICES = [(p.name, p.label) for p in PRESETS.values()]


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"Unknown preset {name!r}: choose one of {', '.join(PRESETS)}.") from None


# --- Reading the file -----------------------------------------------------------------------


@dataclass
class CsvTable:
    header: list[str]
    delimiter: str
    #: (row number, cells) for every non-blank data row.
    rows: list[tuple[int, list[str]]] = field(default_factory=list)


def decode(content: bytes) -> str:
    """Text of an uploaded file: UTF-8 (BOM tolerated), else Windows-1252."""
    if not content.strip():
        raise CsvUnreadable("The file is empty.")
    head = content[:4096]
    if head.startswith((b"PK\x03\x04", b"%PDF", b"\xd0\xcf\x11\xe0")) or b"\x00" in head:
        raise CsvUnreadable(
            "This is not a CSV text file (it looks like a spreadsheet or other binary file). "
            "Export the call log as CSV and upload that."
        )
    nul = content.find(b"\x00")
    if nul != -1:
        # PostgreSQL cannot store a NUL in text: past the sniffed head it would fail the whole
        # batch with a database error instead of telling the uploader what is wrong.
        line = content.count(b"\n", 0, nul) + 1
        raise CsvUnreadable(
            f"Line {line} contains a NUL byte, which a CSV text file never has: export the "
            "call log again as CSV and upload that."
        )
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return content.decode("cp1252")
        except UnicodeDecodeError:
            return content.decode("latin-1")


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon or tab: whichever the first lines are consistently split by."""
    sample = text[:SNIFF_BYTES]
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        # The sniffer gives up on short or irregular samples: count in the header line.
        first_line = sample.splitlines()[0] if sample.splitlines() else ""
        counts = {d: first_line.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def read_csv(content: bytes) -> CsvTable:
    """Header and non-blank rows of a CSV file. Raises ``CsvUnreadable``."""
    text = decode(content)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)
        if header is None:
            raise CsvUnreadable("The file has no header line.")
        table = CsvTable(header=_unique_headers(header), delimiter=delimiter)
        for number, cells in enumerate(reader, start=1):
            if any(cell.strip() for cell in cells):
                table.rows.append((number, cells))
    except csv.Error as exc:
        raise CsvUnreadable(
            f"The file is not readable as CSV (line {reader.line_num}: {exc})."
        ) from None
    if not table.rows:
        raise CsvUnreadable("The file has a header but no rows.")
    return table


def read_header(head: bytes) -> list[str]:
    """The header of a file from its first bytes (which may end mid-character or mid-line)."""
    head = head.removeprefix(b"\xef\xbb\xbf")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Cut inside a multi-byte character at the end, or not UTF-8 at all.
        cut = exc.reason == "unexpected end of data"
        text = head[: exc.start].decode("utf-8") if cut else head.decode("cp1252", "replace")
    for cells in csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text)):
        if any(cell.strip() for cell in cells):
            return _unique_headers(cells)
    return []


def _unique_headers(header: list[str]) -> list[str]:
    # Row data is stored as {header: value}: a repeated header must not hide a column.
    seen: dict[str, int] = {}
    result = []
    for index, name in enumerate(header):
        name = name.strip() or f"column {index + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        result.append(name)
    return result


def header_key(name: str) -> str:
    """How header names are compared: lower-case letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


# --- Column mapping --------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnMap:
    preset: Preset
    #: field -> column indexes, in the preset's priority order.
    indexes: dict[str, tuple[int, ...]]
    width: int


def resolve_columns(header: list[str], preset: Preset) -> ColumnMap:
    """Which column feeds which field. Raises ``MissingColumns`` naming what is missing."""
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        positions.setdefault(header_key(name), index)
    indexes = {}
    for field_name, aliases in preset.columns.items():
        found = tuple(
            positions[header_key(alias)] for alias in aliases if header_key(alias) in positions
        )
        if found:
            indexes[field_name] = found
    missing = [
        label
        for label, alternatives in preset.required
        if not any(all(f in indexes for f in alt) for alt in alternatives)
    ]
    if missing:
        raise MissingColumns(preset, missing, list(header))
    return ColumnMap(preset=preset, indexes=indexes, width=len(header))


# --- Rows -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedCall:
    occurred_at: datetime
    direction: str
    #: The candidate's side, E.164: ``from`` of an inbound call, ``to`` of an outbound one.
    phone_number: str
    #: The team's side as written in the file.
    team_number: str
    duration_seconds: int | None
    external_id: str
    status: str
    notes: str

    @property
    def summary(self) -> str:
        """What the contact's summary says: the status (when not plainly completed), notes."""
        return " · ".join(p for p in (self.status, self.notes) if p)[:MAX_SUMMARY]


@dataclass(frozen=True)
class RowError:
    reason: str


def row_data(header: list[str], cells: list[str]) -> dict[str, str]:
    """The row as read, keyed by header (extra cells kept under ``extra N``)."""
    data = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header)}
    for extra, value in enumerate(cells[len(header) :], start=1):
        data[f"extra {extra}"] = value
    return data


def parse_row(
    cells: list[str],
    *,
    columns: ColumnMap,
    default_region: str | None,
    default_tz: str,
) -> ParsedCall | RowError:
    """One row as a call, or why it cannot be one."""
    preset = columns.preset
    if len(cells) > columns.width and any(c.strip() for c in cells[columns.width :]):
        return RowError(
            f"The row has {len(cells)} cells but the header has {columns.width} columns "
            "(a delimiter inside an unquoted value?)."
        )

    def value(name: str) -> str:
        for index in columns.indexes.get(name, ()):
            if index < len(cells) and cells[index].strip():
                return cells[index].strip()
        return ""

    raw_direction = value("direction")
    direction = preset.directions.get(raw_direction.lower())
    if direction is None:
        expected = ", ".join(preset.directions)
        if not raw_direction:
            return RowError(f"The direction is empty (expected one of: {expected}).")
        return RowError(f"Unknown direction {raw_direction!r} (expected one of: {expected}).")

    zone_name = value("timezone") or preset.time_zone or default_tz
    try:
        zone = parse_zone(zone_name)
    except ValueError as exc:
        return RowError(str(exc))
    try:
        if "datetime" in columns.indexes and value("datetime"):
            occurred_at = parse_datetime(value("datetime"), zone=zone)
        elif "date" in columns.indexes:
            if not value("date"):
                return RowError("The date is empty.")
            if not value("time"):
                return RowError("The time is empty.")
            occurred_at = parse_date_and_time(value("date"), value("time"), zone=zone)
        else:
            return RowError("The call time is empty.")
    except ValueError as exc:
        return RowError(str(exc))

    status_raw = value("status")
    if preset.statuses is not None and status_raw:
        if status_raw.lower() not in preset.statuses:
            return RowError(
                f"Unknown call status {status_raw!r} "
                f"(expected one of: {', '.join(preset.statuses)})."
            )
        status = preset.statuses[status_raw.lower()]
    else:
        status = status_raw

    try:
        duration = parse_duration(value("duration"))
    except ValueError as exc:
        return RowError(str(exc))

    side, other = ("from", "to") if direction == INBOUND else ("to", "from")
    if "external" in columns.indexes:
        # The export names the candidate's side itself (a dialer's "external number").
        side, other = "external", "internal"
    raw_number = value(side)
    if not raw_number:
        return RowError(
            f"The candidate's number is missing (the {side!r} column of an {direction} call)."
        )
    try:
        number = normalize_number(raw_number, region=default_region)
    except ValueError as exc:
        return RowError(f"The {side!r} number {raw_number!r} {exc}")
    team_number = value(other)

    call_id = value("call_id")
    if call_id and preset.id_prefix:
        call_id = preset.id_prefix + call_id
    if len(call_id) > MAX_EXTERNAL_ID:
        return RowError(f"The call id is longer than {MAX_EXTERNAL_ID} characters.")
    external_id = call_id or hash_id(
        occurred_at=occurred_at,
        direction=direction,
        number=number,
        team_number=team_number,
        duration=duration,
        region=default_region,
    )
    return ParsedCall(
        occurred_at=occurred_at,
        direction=direction,
        phone_number=number,
        team_number=team_number,
        duration_seconds=duration,
        external_id=external_id,
        status=status,
        notes=value("notes"),
    )


def hash_id(
    *,
    occurred_at: datetime,
    direction: str,
    number: str,
    team_number: str,
    duration: int | None,
    region: str | None,
) -> str:
    """Deterministic id of a call without one, from its normalised key fields."""
    try:
        team = normalize_number(team_number, region=region)
    except ValueError:
        team = re.sub(r"\D", "", team_number)
    key = "|".join(
        [
            occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            direction,
            number,
            team,
            "" if duration is None else str(duration),
        ]
    )
    return HASH_ID_PREFIX + hashlib.sha256(key.encode()).hexdigest()


def normalize_number(value: str, *, region: str | None) -> str:
    """E.164 of a phone number. Raises ``ValueError`` with the end of a sentence."""
    return _normalize_number(value, region or None)


@functools.lru_cache(maxsize=8192)
def _normalize_number(value: str, region: str | None) -> str:
    # Cached: a call log repeats the same few numbers, and phonenumbers is the parser's
    # slowest step. Failures are not cached (they raise), which only costs time.
    hint = "" if region else " (no default country: numbers need their +country code)"
    try:
        number = phonenumbers.parse(value, region or None)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            raise ValueError(f"is not a phone number{hint}.") from None
        raise ValueError("is not a phone number.") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"is not a valid phone number{hint}.")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not re.fullmatch(E164_REGEX, e164):
        raise ValueError("is not a valid phone number.")
    return e164


# --- Values ---------------------------------------------------------------------------------

_OFFSET_RE = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2}):?(\d{2})?$", re.IGNORECASE)
_UTC_SUFFIX_RE = re.compile(r"\s*(?:Z|UTC|GMT)$", re.IGNORECASE)
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y")
_TIME_FORMATS = ("%H:%M:%S", "%H:%M", "%H:%M:%S.%f", "%I:%M:%S %p", "%I:%M %p", "%I%p", "%I %p")


def parse_zone(value: str) -> zoneinfo.ZoneInfo | timezone:
    """An IANA zone name or a UTC offset (``+02:00``, ``UTC-5``, ``Z``)."""
    text = value.strip()
    if text.upper() in {"Z", "UTC", "GMT"}:
        return UTC
    match = _OFFSET_RE.match(text)
    if match:
        sign, hours, minutes = match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
        if delta > timedelta(hours=14):
            raise ValueError(f"Unknown time zone {value!r}.")
        return timezone(-delta if sign == "-" else delta)
    try:
        return zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"Unknown time zone {value!r} (use a name like Europe/Berlin or an offset like +02:00)."
        ) from None


class AmbiguousDate(ValueError):
    """A slashed date whose day/month order cannot be known."""


def parse_datetime(value: str, *, zone) -> datetime:
    """An aware datetime from ISO 8601 or RFC 2822 text; naive times are read in ``zone``."""
    text = value.strip()
    utc = bool(_UTC_SUFFIX_RE.search(text))
    stripped = _UTC_SUFFIX_RE.sub("", text) if utc else text
    unreadable = ValueError(
        f"Unreadable date/time {value!r} (use e.g. 2025-03-14 09:30 or 2025-03-14T09:30:00+01:00)."
    )
    # Unix time as the dialers' APIs write it: 10 digits of seconds or 13 of milliseconds (no
    # ISO date is all digits of those lengths).
    epoch = re.fullmatch(r"(\d{10})(?:\.\d+)?|(\d{13})", text)
    if epoch:
        seconds = int(epoch.group(1)) if epoch.group(1) else int(epoch.group(2)) / 1000
        return datetime.fromtimestamp(seconds, tz=UTC)
    try:
        parsed = datetime.fromisoformat(stripped)
    except ValueError:
        if "," in text:  # RFC 2822: "Fri, 14 Mar 2025 08:30:00 +0000"
            try:
                parsed = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                raise unreadable from None
        else:
            # "2025-03-14 2:05 PM", "14.03.2025 09:30": a date, a space and a time.
            date_part, _, time_part = stripped.partition(" ")
            if not time_part:
                raise unreadable from None
            try:
                return parse_date_and_time(date_part, time_part, zone=UTC if utc else zone)
            except AmbiguousDate:
                raise
            except ValueError as exc:
                if "does not exist" in str(exc):
                    raise
                raise unreadable from None
    if parsed.tzinfo is not None:
        return parsed
    return localize(parsed, UTC if utc else zone)


def parse_date_and_time(date_text: str, time_text: str, *, zone) -> datetime:
    day = parse_date(date_text)
    clock_text = time_text.strip()
    offset_zone = None
    # A time may carry its own offset or zone suffix: "09:30 +01:00", "09:30Z", "09:30 UTC".
    match = re.match(r"^(.*?)\s*((?:Z|UTC|GMT)?\s*[+-]\d{1,2}:?\d{0,2}|Z|UTC|GMT)$", clock_text)
    if match and re.search(r"\d", match.group(1)):
        clock_text, offset_zone = match.group(1), parse_zone(match.group(2))
    clock = parse_time(clock_text)
    return localize(datetime.combine(day, clock), offset_zone or zone)


def parse_date(value: str) -> date:
    text = value.strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 — a date, no zone
        except ValueError:
            continue
    if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{2,4}", text):
        raise AmbiguousDate(
            f"Ambiguous date {value!r}: the day/month order is unknown. Use YYYY-MM-DD."
        )
    raise ValueError(f"Unreadable date {value!r} (use YYYY-MM-DD).")


def parse_time(value: str) -> time:
    text = value.strip().upper()
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).time()  # noqa: DTZ007 — a clock time
        except ValueError:
            continue
    raise ValueError(f"Unreadable time {value!r} (use e.g. 14:05, 14:05:30 or 2:05 PM).")


def localize(naive: datetime, zone) -> datetime:
    """Attach ``zone``; a wall time skipped by a daylight-saving change is an error."""
    aware = naive.replace(tzinfo=zone)
    round_trip = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != naive:
        raise ValueError(
            f"{naive:%Y-%m-%d %H:%M} does not exist in {zone} (the clocks went forward)."
        )
    return aware


def parse_duration(value: str) -> int | None:
    """Seconds from ``95``, ``95.0``, ``1:35`` or ``0:01:35``; empty is unknown (None)."""
    text = value.strip()
    if not text:
        return None
    seconds = None
    if re.fullmatch(r"\d+(\.\d+)?", text):
        seconds = round(float(text))
    elif re.fullmatch(r"\d+:[0-5]\d", text):
        minutes, secs = text.split(":")
        seconds = int(minutes) * 60 + int(secs)
    elif re.fullmatch(r"\d+:[0-5]\d:[0-5]\d", text):
        hours, minutes, secs = text.split(":")
        seconds = int(hours) * 3600 + int(minutes) * 60 + int(secs)
    if seconds is None:
        raise ValueError(f"Unreadable duration {value!r} (use seconds, mm:ss or hh:mm:ss).")
    if seconds > MAX_DURATION_SECONDS:
        raise ValueError(f"The duration {value!r} is longer than a day.")
    return seconds


def looks_like_number(value: str) -> bool:
    """A phone number or a signed number (``+1 415 555 0100``, ``-12``), not a formula."""
    return bool(re.fullmatch(r"[+-]?[\d\s().-]+", value))
