"""Call-log CSV parsing: presets, per-row reasons, time zones, delimiters, encodings."""

import datetime as dt
import zoneinfo

import pytest

from followups.call_import import (
    HASH_ID_PREFIX,
    INBOUND,
    OUTBOUND,
    PRESETS,
    CsvUnreadable,
    MissingColumns,
    ParsedCall,
    RowError,
    parse_duration,
    parse_row,
    read_csv,
    read_header,
    resolve_columns,
    row_data,
    sniff_delimiter,
)

UTC = dt.UTC
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")

GENERIC = (
    "date,time,direction,from,to,duration,call_id,notes\n"
    "2025-03-14,09:30,inbound,(415) 555-0100,+1 212 555 0199,1:35,pbx-1,Asked about next steps\n"
    "2025-03-14,10:00:05,out,+1 212 555 0199,415-555-0101,95,pbx-2,\n"
    "2025-03-14,2:05 PM,incoming,+44 20 7946 0958,+1 212 555 0199,0:01:02,,\n"
)

TWILIO = (
    "Call Sid,Date Created,Start Time,End Time,From,To,Direction,Status,Duration,Price\n"
    "CA0001,2025-03-14 08:29:58 UTC,2025-03-14 08:30:00 UTC,2025-03-14 08:31:00 UTC,"
    "+14155550100,+12125550199,inbound,completed,60,-0.0085\n"
    'CA0002,"Fri, 14 Mar 2025 09:00:00 +0000",,,+12125550199,+14155550101,outbound-api,'
    "no-answer,,\n"
    "CA0003,2025-03-14T10:00:00Z,2025-03-14T10:00:02Z,,+12125550199,+14155550102,"
    "outbound-dial,busy,0,\n"
)


def parse(text: str, preset: str = "generic", *, region="US", tz="UTC", encoding="utf-8"):
    table = read_csv(text.encode(encoding))
    columns = resolve_columns(table.header, PRESETS[preset])
    return [
        parse_row(cells, columns=columns, default_region=region, default_tz=tz)
        for _number, cells in table.rows
    ]


# --- Generic preset ------------------------------------------------------------------------


def test_generic_good_rows():
    first, second, third = parse(GENERIC, tz="America/New_York")
    assert first == ParsedCall(
        occurred_at=dt.datetime(2025, 3, 14, 9, 30, tzinfo=NEW_YORK),
        direction=INBOUND,
        phone_number="+14155550100",
        team_number="+1 212 555 0199",
        duration_seconds=95,
        external_id="pbx-1",
        status="",
        notes="Asked about next steps",
    )
    assert first.summary == "Asked about next steps"
    # Outbound: the candidate is the called number, read in the default region.
    assert second.direction == OUTBOUND
    assert second.phone_number == "+14155550101"
    assert second.duration_seconds == 95
    assert second.occurred_at == dt.datetime(2025, 3, 14, 14, 0, 5, tzinfo=UTC)
    # No call id: a deterministic hash of the normalised fields.
    assert third.external_id.startswith(HASH_ID_PREFIX)
    assert third.phone_number == "+442079460958"
    assert third.duration_seconds == 62
    assert third.occurred_at.astimezone(UTC) == dt.datetime(2025, 3, 14, 18, 5, tzinfo=UTC)


def test_generic_datetime_column_and_header_spelling():
    (call,) = parse(
        "Date Time;Direction;FROM;To;Call ID;Status\n"
        "2025-03-14T09:30:00+01:00;Outgoing;+12125550199;+14155550100;x-1;answered\n"
    )
    assert call.occurred_at == dt.datetime(2025, 3, 14, 8, 30, tzinfo=UTC)
    assert call.direction == OUTBOUND
    assert call.summary == "answered"


def test_hash_id_is_stable_across_formatting_and_changes_with_the_call():
    a, b, c = parse(
        "datetime,direction,from,to,duration\n"
        "2025-03-14 09:30:00,in,(415) 555-0100,212-555-0199,60\n"
        "2025-03-14T09:30:00Z,inbound,+1 415 555 0100,+12125550199,1:00\n"
        "2025-03-14 09:31:00,in,(415) 555-0100,212-555-0199,60\n"
    )
    assert a.external_id == b.external_id
    assert a.external_id != c.external_id


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("2025-02-30,09:30,in,+14155550100,+12125550199,60", "Unreadable date '2025-02-30'"),
        ("03/04/2025,09:30,in,+14155550100,+12125550199,60", "Ambiguous date '03/04/2025'"),
        ("2025-03-14,25:99,in,+14155550100,+12125550199,60", "Unreadable time '25:99'"),
        ("2025-03-14,09:30,sideways,+14155550100,+12125550199,60", "Unknown direction 'sideways'"),
        ("2025-03-14,09:30,,+14155550100,+12125550199,60", "The direction is empty"),
        ("2025-03-14,09:30,in,,+12125550199,60", "The candidate's number is missing"),
        ("2025-03-14,09:30,out,+14155550100,,60", "The candidate's number is missing"),
        ("2025-03-14,09:30,in,anonymous,+12125550199,60", "'anonymous' is not a phone number"),
        ("2025-03-14,09:30,in,+1 415 555,+12125550199,60", "is not a valid phone number"),
        ("2025-03-14,09:30,in,+14155550100,+12125550199,ten", "Unreadable duration 'ten'"),
        ("2025-03-14,09:30,in,+14155550100,+12125550199,1:75", "Unreadable duration '1:75'"),
        ("2025-03-14,09:30,in,+14155550100,+12125550199,-5", "Unreadable duration '-5'"),
        ("2025-03-14,,in,+14155550100,+12125550199,60", "The time is empty"),
        ("2025-03-14,09:30,in,+14155550100,+12125550199,60,surplus", "has 7 cells"),
    ],
)
def test_generic_malformed_rows_have_reasons(row, reason):
    (result,) = parse("date,time,direction,from,to,duration\n" + row + "\n")
    assert isinstance(result, RowError)
    assert reason in result.reason


def test_national_number_without_region_is_refused_with_a_hint():
    (result,) = parse(
        "datetime,direction,from,to\n2025-03-14 09:30,in,(415) 555-0100,+12125550199\n",
        region=None,
    )
    assert isinstance(result, RowError)
    assert "+country code" in result.reason


def test_region_decides_national_numbers():
    (call,) = parse(
        "datetime,direction,from,to\n2025-03-14 09:30,in,030 1234567,+4930987654\n", region="DE"
    )
    assert call.phone_number == "+49301234567"


# --- Time zones ----------------------------------------------------------------------------


def test_naive_times_are_read_in_the_default_zone():
    text = "datetime,direction,from,to\n2025-07-01 09:00,in,+14155550100,+12125550199\n"
    (berlin,) = parse(text, tz="Europe/Berlin")
    (utc,) = parse(text, tz="UTC")
    assert berlin.occurred_at == dt.datetime(2025, 7, 1, 7, 0, tzinfo=UTC)
    assert utc.occurred_at == dt.datetime(2025, 7, 1, 9, 0, tzinfo=UTC)


def test_timezone_column_overrides_default_and_explicit_offsets_win():
    a, b, c, d = parse(
        "datetime,direction,from,to,timezone\n"
        "2025-07-01 09:00,in,+14155550100,+12125550199,America/New_York\n"
        "2025-07-01 09:00,in,+14155550100,+12125550199,+05:30\n"
        "2025-07-01T09:00:00+02:00,in,+14155550100,+12125550199,America/New_York\n"
        "2025-07-01 09:00,in,+14155550100,+12125550199,Mars/Olympus\n",
        tz="Europe/Berlin",
    )
    assert a.occurred_at == dt.datetime(2025, 7, 1, 13, 0, tzinfo=UTC)
    assert b.occurred_at == dt.datetime(2025, 7, 1, 3, 30, tzinfo=UTC)
    assert c.occurred_at == dt.datetime(2025, 7, 1, 7, 0, tzinfo=UTC)
    assert isinstance(d, RowError)
    assert "Unknown time zone 'Mars/Olympus'" in d.reason


def test_daylight_saving_gap_is_an_error_and_overlap_takes_the_first():
    gap, overlap = parse(
        "date,time,direction,from,to\n"
        "2025-03-30,02:30,in,+14155550100,+12125550199\n"
        "2025-10-26,02:30,in,+14155550100,+12125550199\n",
        tz="Europe/Berlin",
    )
    assert isinstance(gap, RowError)
    assert "does not exist in Europe/Berlin" in gap.reason
    # 02:30 happens twice: the first one (still summer time, UTC+2).
    assert overlap.occurred_at.astimezone(UTC) == dt.datetime(2025, 10, 26, 0, 30, tzinfo=UTC)


# --- Twilio preset -------------------------------------------------------------------------


def test_twilio_good_rows():
    inbound, missed, busy = parse(TWILIO, "twilio", tz="Europe/Berlin")
    # Twilio times are UTC whatever the import's default zone.
    assert inbound.occurred_at == dt.datetime(2025, 3, 14, 8, 30, tzinfo=UTC)
    assert inbound.external_id == "CA0001"
    assert inbound.direction == INBOUND
    assert inbound.phone_number == "+14155550100"
    assert inbound.duration_seconds == 60
    assert inbound.summary == ""
    # No start time (never connected): Date Created, RFC 2822; outbound-api is outbound.
    assert missed.occurred_at == dt.datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
    assert missed.direction == OUTBOUND
    assert missed.phone_number == "+14155550101"
    assert missed.duration_seconds is None
    assert missed.summary == "Missed call (no-answer)"
    assert busy.direction == OUTBOUND
    assert busy.occurred_at == dt.datetime(2025, 3, 14, 10, 0, 2, tzinfo=UTC)
    assert busy.summary == "Missed call (busy)"


def test_twilio_missed_inbound_call_is_still_a_call():
    (call,) = parse(
        "Call Sid,Start Time,From,To,Direction,Status,Duration\n"
        "CA9,2025-03-14 08:30:00,+14155550100,+12125550199,inbound,no-answer,0\n",
        "twilio",
    )
    assert isinstance(call, ParsedCall)
    assert call.direction == INBOUND
    assert call.summary == "Missed call (no-answer)"


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("CA1,yesterday,+14155550100,+12125550199,inbound,completed,5", "Unreadable date/time"),
        ("CA1,,+14155550100,+12125550199,inbound,completed,5", "The call time is empty"),
        ("CA1,2025-03-14 08:30,+14155550100,+12125550199,trunking,completed,5", "Unknown direc"),
        ("CA1,2025-03-14 08:30,client:alice,+12125550199,inbound,completed,5", "not a phone"),
        ("CA1,2025-03-14 08:30,+14155550100,+12125550199,inbound,exploded,5", "Unknown call st"),
        ("CA1,2025-03-14 08:30,+14155550100,+12125550199,inbound,completed,5s", "duration"),
    ],
)
def test_twilio_malformed_rows_have_reasons(row, reason):
    (result,) = parse(
        "Call Sid,Start Time,From,To,Direction,Status,Duration\n" + row + "\n", "twilio"
    )
    assert isinstance(result, RowError)
    assert reason in result.reason


def test_missing_columns_are_named():
    table = read_csv(b"Sid,From,To,Status\nCA1,+1,+2,completed\n")
    with pytest.raises(MissingColumns) as excinfo:
        resolve_columns(table.header, PRESETS["twilio"])
    message = str(excinfo.value)
    assert "Start Time (or Date Created)" in message
    assert "Direction" in message
    assert "Call Sid" not in message.split("Columns found")[0]  # "Sid" is an alias
    table = read_csv(b"date,direction,from\n2025-01-01,in,+1\n")
    with pytest.raises(MissingColumns, match=r"datetime \(or date and time\), to"):
        resolve_columns(table.header, PRESETS["generic"])


# --- Reading the file ----------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiter_is_sniffed(delimiter):
    text = GENERIC.replace(",", delimiter)
    assert sniff_delimiter(text) == delimiter
    results = parse(text)
    assert [r.external_id for r in results[:2]] == ["pbx-1", "pbx-2"]


def test_semicolon_file_with_commas_in_quoted_notes():
    (call,) = parse(
        "datetime;direction;from;to;notes\n"
        '2025-03-14 09:30;in;+14155550100;+12125550199;"Hi, it\'s me; again"\n'
    )
    assert call.notes == "Hi, it's me; again"


def test_byte_order_mark_and_windows_1252_are_tolerated():
    text = "datetime,direction,from,to,notes\n2025-03-14 09:30,in,+14155550100,+12125550199,Café\n"
    (with_bom,) = parse("\ufeff" + text)
    assert with_bom.notes == "Café"
    table = read_csv(text.encode("cp1252"))
    assert table.header[0] == "datetime"
    assert table.rows[0][1][-1] == "Café"


def test_blank_lines_are_skipped_and_rows_keep_their_numbers():
    table = read_csv(b"datetime,direction,from,to\r\n\r\na,b,c,d\r\n,,,\r\ne,f,g,h\r\n")
    assert [number for number, _cells in table.rows] == [2, 4]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"datetime,direction,from,to\n", "no rows"),
        (b"PK\x03\x04\x14\x00\x06\x00", "not a CSV"),
        (b'a,b\n"unterminated,1\n', "not readable as CSV"),
    ],
)
def test_unreadable_files(content, message):
    with pytest.raises(CsvUnreadable, match=message):
        read_csv(content)


def test_row_data_keeps_every_cell():
    assert row_data(["a", "b"], ["1"]) == {"a": "1", "b": ""}
    assert row_data(["a"], ["1", "2"]) == {"a": "1", "extra 1": "2"}


def test_repeated_headers_are_kept_apart():
    table = read_csv(b"to,to,from\n1,2,3\n")
    assert table.header == ["to", "to (2)", "from"]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("", None), ("0", 0), ("95", 95), ("95.4", 95), ("1:35", 95), ("01:01:05", 3665)],
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


def test_header_from_the_first_bytes_only():
    content = "\ufeffDatum;Richtung;Von;An;Notiz über\n2025-03-14;in;+1;+2;x\n".encode()
    cut = content.index("ü".encode()) + 1  # inside the two-byte ü
    assert read_header(content[:cut]) == ["Datum", "Richtung", "Von", "An", "Notiz"]
    assert read_header(content) == ["Datum", "Richtung", "Von", "An", "Notiz über"]
    assert read_header("a,b,Café\n".encode("cp1252")) == ["a", "b", "Café"]


# --- Dialer presets: Aircall, Dialpad, RingCentral -------------------------------------------


def test_aircall_export_reads_the_external_number_whatever_the_direction():
    inbound, outbound = parse(
        "ID,Started at,Direction,Raw digits,Number digits,Duration,Missed call reason,Comments\n"
        "812345678,1772441700,inbound,+1 650-253-0000,+1 415-555-0199,300,,Keen\n"
        "812345690,2026-03-02 10:00:00,outbound,+1 650-253-0000,+1 415-555-0199,0,,\n",
        "aircall",
        tz="Europe/Berlin",
    )
    # Stored under the id the call.ended webhook uses: a call delivered and imported is one.
    assert inbound.external_id == "aircall:812345678"
    assert inbound.phone_number == outbound.phone_number == "+16502530000"
    assert inbound.occurred_at == dt.datetime(2026, 3, 2, 8, 55, tzinfo=UTC)  # Unix seconds
    # Aircall writes UTC, whatever the uploader's zone.
    assert outbound.occurred_at == dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert (inbound.direction, outbound.direction) == (INBOUND, OUTBOUND)
    assert inbound.duration_seconds == 300
    assert inbound.summary == "Keen"


def test_aircall_missed_and_voicemail_rows_keep_their_status_in_the_summary():
    (missed,) = parse(
        "ID,Started at,Direction,Raw digits,Number digits,Duration,Status\n"
        "9,1772441700,inbound,+16502530000,+14155550199,,voicemail\n",
        "aircall",
    )
    assert missed.summary == "voicemail"
    assert missed.duration_seconds is None


def test_dialpad_export_uses_milliseconds_and_the_external_number():
    (call,) = parse(
        "call_id,date_started,direction,external_number,internal_number,categories\n"
        "6342343299792896,1772442000000,outbound,+16502530000,+14155550199,outbound\n",
        "dialpad",
    )
    assert call.external_id == "dialpad:6342343299792896"
    assert call.occurred_at == dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert call.phone_number == "+16502530000"
    assert call.team_number == "+14155550199"
    assert call.duration_seconds is None


def test_ringcentral_export_reads_local_date_time_and_length():
    inbound, outbound = parse(
        "Type,Phone Number From,Phone Number To,Name,Date,Time,Action,Result,Length,Direction\n"
        "Voice,(650) 253-0000,(415) 555-0199,,2025-03-14,9:30 AM,Phone Call,Missed,0:00:00,"
        "Inbound\n"
        "Voice,(415) 555-0199,(650) 253-0000,,2025-03-14,10:00 AM,Phone Call,Call connected,"
        "0:02:05,Outbound\n",
        "ringcentral",
        tz="America/New_York",
    )
    assert inbound.occurred_at == dt.datetime(2025, 3, 14, 9, 30, tzinfo=NEW_YORK)
    assert inbound.phone_number == outbound.phone_number == "+16502530000"
    assert inbound.summary == "Missed"
    assert outbound.duration_seconds == 125
    # No call id in this export: the hashed key makes a re-import recognisable.
    assert outbound.external_id.startswith(HASH_ID_PREFIX)


@pytest.mark.parametrize(
    ("preset", "header"),
    [
        ("aircall", "ID,Started at,Direction,Number digits"),
        ("dialpad", "call_id,date_started,direction,internal_number"),
        ("ringcentral", "Date,Time,From,To"),
    ],
)
def test_dialer_presets_name_the_missing_column(preset, header):
    table = read_csv((header + "\n" + ",".join("x" * len(header.split(","))) + "\n").encode())
    with pytest.raises(MissingColumns):
        resolve_columns(table.header, PRESETS[preset])
