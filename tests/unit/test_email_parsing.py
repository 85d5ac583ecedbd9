"""Pure tests of inbound email parsing (no database): the fixture corpus, hostile input, fuzzing."""

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from followups import email_parsing
from followups.email_parsing import (
    NotAnEmail,
    ParsedAttachment,
    ParsedEmail,
    html_to_text,
    parse_email,
    reply_token,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "emails"
#: The oversized-attachment fixture carries a 120 000-byte PDF; the corpus test lowers the cap.
TEST_ATTACHMENT_CAP = 100_000


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass(frozen=True)
class Expect:
    message_id: str
    from_address: str
    subject: str
    #: "" (a person wrote it), or any of "auto", "bounce", "receipt" joined by "+".
    automated: str = ""
    reason: str = ""
    text_has: tuple[str, ...] = ()
    text_lacks: tuple[str, ...] = ()
    #: (filename, content type, size, oversized) of every attachment, in order.
    attachments: tuple[tuple[str, str, int, bool], ...] = ()
    had_html_only: bool = False
    from_display: str | None = None
    recipients: tuple[str, ...] | None = None
    in_reply_to: tuple[str, ...] | None = None
    references: tuple[str, ...] | None = None
    sent_at: datetime | None = field(default=None)
    no_date: bool = False


CORPUS: dict[str, Expect] = {
    "01-gmail-plain-text.eml": Expect(
        message_id="CAF3kq9mPx2Y7h1Ln8vR4tQw+JdA0uZ5eG=x@mail.gmail.com",
        from_address="maria.lopez@example.com",
        from_display="Maria Lopez",
        subject="Following up on Tuesday's interview",
        recipients=("dana.whitfield@persist.example", "jobs@persist.example"),
        sent_at=datetime(2025, 3, 7, 14, 14, 3, tzinfo=UTC),
        text_has=("Hi Dana,\n\nYou mentioned", "Q3 territory plan", "+1 (617) 555-0142"),
    ),
    "02-outlook-html-only.eml": Expect(
        message_id="AM9PR02MB72516C1F2D3A4B5E8F9A0B1CD2E3@AM9PR02MB7251.eurprd02.prod.outlook.com",
        from_address="james.porter@example.com",
        subject="Checking in - Account Executive role",
        recipients=("chidi.okafor@persist.example",),
        had_html_only=True,
        # windows-1252 smart quotes and an entity; the <style> content is gone.
        text_has=("Monday\u2019s conversation", "stand \u2013 I\u2019m", "Kind regards,\nJames"),
        text_lacks=("margin-top", "<div", "font-family", "&#8211;"),
    ),
    "03-gmail-multipart-alternative.eml": Expect(
        message_id="CAJx7N0pZ=hQ2k9vT1cW3sD4fG5bN6mL7e8R9tY0u@mail.gmail.com",
        from_address="sofia.rossi@example.org",
        subject="A few thoughts after our call",
        recipients=("hiring@persist.example", "tom.becker@persist.example"),
        text_has=("*two* references", "top 20 logos"),
        text_lacks=("<b>", "dir="),
    ),
    "04-apple-mail-subject-utf8-base64.eml": Expect(
        message_id="6D3F2A91-7C4B-4E0A-9B1D-2F8E5C7A9D10@example.com",
        from_address="juergen.weiss@example.com",
        from_display="Jürgen Weiß",
        subject="Nachfrage \u2013 Vorstellungsgespräch am Dienstag ✅",
        text_has=("Hallo Frau Schäfer", "Über eine Rückmeldung", "Viele Grüße"),
    ),
    "05-thunderbird-subject-latin1-qp.eml": Expect(
        message_id="8a1f3c2e-5b7d-4e9a-b0c1-d2e3f4a5b6c7@example.org",
        from_address="helene.girard@example.org",
        from_display="Hélène Girard",
        # =96 is windows-1252's en dash: ISO-8859-1 labels are read as windows-1252.
        subject="Suivi de l'entretien à Lyon \u2013 Hélène Girard",
        text_has=("suite à notre entretien", "très motivée"),
    ),
    "06-iso-2022-jp.eml": Expect(
        message_id="20250317093000.4F2A.TARO@example.com",
        from_address="taro.yamada@example.com",
        from_display="山田 太郎",
        subject="面接のお礼\uff08営業職\uff09",
        sent_at=datetime(2025, 3, 17, 0, 30, tzinfo=UTC),
        text_has=("先日は面接のお時間をいただき", "山田 太郎"),
        text_lacks=("\x1b",),
    ),
    "07-shift-jis.eml": Expect(
        message_id="202503181402.AB12CD34@mail.example.com",
        from_address="hanako.suzuki@example.com",
        # ① exists only in Microsoft's Shift_JIS (cp932), which is what senders mean.
        subject="選考状況のご確認①",
        text_has=("①選考の進捗", "鈴木 花子"),
    ),
    "08-wrong-charset-ascii-with-utf8.eml": Expect(
        message_id="1742385601.8873.zoe@web.example.net",
        from_address="zoe.martin@example.net",
        subject="Still keen on the SDR opening",
        text_has=("Zoë here again \u2013 I had a café chat", "Naïve question"),
        text_lacks=("\ufffd", "Ã"),
    ),
    "09-wrong-charset-utf8-with-latin1.eml": Expect(
        message_id="20250320174500.GA4711@host.example.com",
        from_address="lukas.mueller@example.com",
        subject="Kurze Nachfrage",
        text_has=("Frau Schäfer", "freundlichen Grüßen", "Lukas Müller"),
        text_lacks=("\ufffd",),
    ),
    "10-missing-charset.eml": Expect(
        message_id="a81c6f0e2b.lukasz@example.org",
        from_address="lukasz.nowak@example.org",
        subject="Application follow-up",
        text_has=("Dzień dobry", "Łukasz Nowak here", "118% of quota"),
        text_lacks=("\ufffd",),
    ),
    "11-forwarded-message-rfc822.eml": Expect(
        message_id="CAOw8Hn2pQ0-Fwd-Ref=Zt9uK4mV@mail.gmail.com",
        from_address="priya.natarajan@example.org",
        subject="Fwd: Reference for Priya",
        text_has=("forwarding the reference",),
        text_lacks=("INNER-BODY-MARKER",),
        attachments=(("Reference for Priya.eml", "message/rfc822", 464, False),),
    ),
    "12-reply-threaded.eml": Expect(
        message_id="CAF3kq9n0Reply2x7Yh1Ln8vR4tQwAbC@mail.gmail.com",
        from_address="maria.lopez@example.com",
        subject="Re: Next steps",
        in_reply_to=("contact.9e8d7c6b@persist.example",),
        references=(
            "contact.4f1a2b3c@persist.example",
            "CAF3kq9mPx2Y7h1Ln8vR4tQw+JdA0uZ5eG=x@mail.gmail.com",
            "contact.9e8d7c6b@persist.example",
        ),
        text_has=("Thursday at 2 pm works for me", "> Hi Maria"),
    ),
    "13-reply-to-token-address.eml": Expect(
        message_id="DM6PR11MB4123A1B2C3D4E5F6A7B8C9D0E1F2@DM6PR11MB4123.namprd11.prod.outlook.com",
        from_address="ben.carter@example.com",
        subject="Re: Your interview on Thursday",
        # To, Delivered-To and X-Original-To name the same address: deduplicated.
        recipients=("reply+abcdef123456@persist.example",),
        in_reply_to=("contact.77aa88bb@persist.example",),
        text_has=("confirmed for Thursday",),
    ),
    "14-gmail-vacation-auto-submitted.eml": Expect(
        message_id="CAHvac4tion7xYzQ1-auto@mail.gmail.com",
        from_address="olivia.brown@example.com",
        subject="Re: Your application - next steps",
        automated="auto",
        reason="Auto-Submitted: auto-replied",
        text_has=("travelling until 31 March",),
    ),
    "15-x-autoreply.eml": Expect(
        message_id="roundcube.1743082267.vacation@example.net",
        from_address="noah.wilson@example.net",
        subject="On leave until 14 April",
        automated="auto",
        reason="X-Autoreply: yes",
    ),
    "16-precedence-bulk-autoresponder.eml": Expect(
        message_id="Z7XK4P1Q9_68e0a1b2c3d4e_sprut@helpdesk.example.com",
        from_address="support@helpdesk.example.com",
        subject="[Request received] Re: Reference check for Ava Thompson",
        automated="auto",
        reason="Precedence: bulk",
    ),
    "17-outlook-automatic-reply.eml": Expect(
        message_id="1f3a5c7e9b2d4f60a8c1e3b5d7f9a2c4@PH0PR11MB5642.namprd11.prod.outlook.com",
        from_address="liam.johnson@example.com",
        subject="Automatic reply: Interview feedback",
        automated="auto",
        reason="Out-of-office subject",
        text_has=("out of the office until Monday 7 April",),
        text_lacks=("<p>",),
    ),
    "18-outlook-abwesenheitsnotiz.eml": Expect(
        message_id="AS8PR04MB8123ABCD5678EF90A1B2C3D4E5F6@AS8PR04MB8.eurprd04.prod.outlook.com",
        from_address="felix.koenig@example.com",
        from_display="Felix König",
        subject="Abwesenheitsnotiz: Rückmeldung zum Gespräch",
        automated="auto",
        reason="Out-of-office subject",
        text_has=("nicht im Büro",),
    ),
    "19-x-autorespond.eml": Expect(
        message_id="autorespond.1743639055.3312@mail.example.org",
        from_address="emma.davis@example.org",
        subject="Thanks for your email",
        automated="auto",
        reason="X-Autorespond: Vacation message",
    ),
    "20-bounce-mailer-daemon-dsn.eml": Expect(
        message_id="20250403091244.4Z9bT02wLzz3xK1@mx.example.net",
        from_address="mailer-daemon@mx.example.net",
        subject="Undelivered Mail Returned to Sender",
        # Postfix also marks its bounces Auto-Submitted.
        automated="auto+bounce",
        reason="Delivery status report",
        text_has=("could not\nbe delivered", "User unknown"),
        text_lacks=("Reporting-MTA", "looking forward to Thursday"),
        attachments=(
            ("", "message/delivery-status", 408, False),
            ("", "message/rfc822", 248, False),
        ),
    ),
    "21-read-receipt-mdn.eml": Expect(
        message_id="7c2d9e41-3b5a-4f8e-a1d2-0b9c8e7f6a54@example.org",
        from_address="ines.alves@example.org",
        subject="Return Receipt (displayed) - Interview schedule",
        automated="receipt",
        reason="Read receipt",
        text_has=("This is a Return Receipt",),
        attachments=(
            ("MDNPart2.txt", "message/disposition-notification", 212, False),
            ("MDNPart3.txt", "text/rfc822-headers", 246, False),
        ),
    ),
    "22-no-message-id.eml": Expect(
        message_id="",
        from_address="carlos.mendez@example.com",
        subject="Checking on my application",
        text_has=("inside sales role",),
    ),
    "23-oversized-attachment.eml": Expect(
        message_id="CAKp0rtf0lio+Big=Attach7x@mail.gmail.com",
        from_address="grace.lee@example.com",
        subject="My sales portfolio",
        text_has=("attached is my portfolio",),
        text_lacks=("quota in 7 of the last 8",),  # the .txt attachment is not the body
        attachments=(
            ("portfolio.pdf", "application/pdf", 120_000, True),
            ("cover-note.txt", "text/plain", 58, False),
        ),
    ),
    "24-display-name-trick.eml": Expect(
        message_id="0a9b8c7d6e5f@evil.example",
        from_address="x@evil.example",
        from_display="boss@corp.example",
        subject="Please fast-track this candidate",
    ),
    "25-from-two-addresses.eml": Expect(
        message_id="two-senders.20250408111111@example.com",
        from_address="",
        from_display="",
        subject="Following up together",
    ),
    "26-from-broken-angle-brackets.eml": Expect(
        message_id="broken-from.20250409030303@example.com",
        from_address="",
        from_display="",
        subject="hello?",
    ),
    "27-hostile-html.eml": Expect(
        message_id="hostile-html.1744294454@example.com",
        from_address="mallory.grant@example.com",
        subject="My updated resume",
        had_html_only=True,
        text_has=("Hello team,", "Account Executive role", "View my portfolio", "Best, Mallory"),
        text_lacks=(
            "<script",
            "onerror",
            "javascript:",
            "alert(",
            "HIDDEN-TITLE",
            "color: red",
            "FRAME-TEXT",
            "COMMENT-TEXT",
            "hunter2",
            "<",
        ),
    ),
    "28-rfc2231-filenames.eml": Expect(
        message_id="9F8E7D6C-5B4A-4392-8170-6F5E4D3C2B1A@example.com",
        from_address="juergen.mueller@example.com",
        subject="Unterlagen",
        text_has=("Anbei meine Unterlagen.",),
        attachments=(
            ("Lebenslauf Jürgen Müller.pdf", "application/pdf", 52, False),
            ("Zeugnis Großhandel 2024.pdf", "application/pdf", 9, False),
            ("Zeugnis Übersicht.jpg", "image/jpeg", 51, False),
        ),
    ),
    "29-date-other-zone.eml": Expect(
        message_id="CAM1xYz-IST-0530-Arjun@mail.gmail.com",
        from_address="arjun.mehta@example.com",
        subject="Availability for the final round",
        sent_at=datetime(2025, 4, 14, 13, 15, 12, tzinfo=UTC),
    ),
    "30-date-garbage.eml": Expect(
        message_id="garbage-date.4e5f@example.org",
        from_address="rosa.delgado@example.org",
        subject="Quick question",
        no_date=True,
    ),
    "31-linkedin-notification-bulk.eml": Expect(
        message_id="1853322.4471.1744734005123@notifications.example.com",
        from_address="messages-noreply@notifications.example.com",
        subject="Maria Lopez sent you a new message",
        automated="auto",
        reason="Precedence: list",
    ),
    "32-sales-tool-list-unsubscribe-only.eml": Expect(
        message_id="seq-step-2.88121.daniel.kim@outreach.example.net",
        from_address="daniel.kim@example.com",
        subject="3 ideas for Persist's mid-market pipeline",
        text_has=("three concrete ideas",),
    ),
    "33-postmaster-plain-ndr.eml": Expect(
        message_id="ndr.20250417123456.0001@mail.example.org",
        from_address="postmaster@mail.example.org",
        subject="Undeliverable: Interview invitation",
        automated="bounce",
        reason="Sender postmaster",
    ),
    "34-apple-mail-inline-image.eml": Expect(
        message_id="A1B2C3D4-E5F6-4708-9A0B-C1D2E3F4A5B6@example.com",
        from_address="chloe.martin@example.com",
        subject="Thank you!",
        text_has=("PLAIN-VERSION",),
        text_lacks=("HTML-VERSION",),
        attachments=(("signature-logo.png", "image/png", 70, False),),
    ),
    "35-outlook-read-receipt-request.eml": Expect(
        message_id="VI1PR07MB6014C0FFEE11223344556677889900AB@VI1PR07MB6014.eurprd07.prod.outlook.com",
        from_address="mia.fischer@example.com",
        subject="Question about the commission plan",
        text_has=("is the commission plan capped?",),
    ),
    "36-human-reply-to-auto-reply.eml": Expect(
        message_id="2a4c6e8f0b1d3f5a7c9e1b3d5f7a9c1e@PH0PR11MB5642.namprd11.prod.outlook.com",
        from_address="liam.johnson@example.com",
        subject="RE: Automatic reply: Interview feedback",
        in_reply_to=("1f3a5c7e9b2d4f60a8c1e3b5d7f9a2c4@PH0PR11MB5642.namprd11.prod.outlook.com",),
        text_has=("Very much still interested",),
    ),
    "37-mbox-from-line.eml": Expect(
        message_id="mbox-export.42@example.com",
        from_address="noah.patel@example.com",
        subject="Exported from my archive",
        text_has=("Resending from my archive",),
    ),
    "38-encoded-display-name-with-comma.eml": Expect(
        message_id="display-comma.7777@example.org",
        from_address="juergen.mueller@example.org",
        from_display="Müller, Jürgen",
        subject="Re: Termin",
        recipients=(
            "jobs@persist.example",
            "kai.weber@persist.example",
            "tom.becker@persist.example",
        ),
    ),
    "39-duplicate-from-fields.eml": Expect(
        message_id="dup-from.1@example.com",
        from_address="",
        subject="Two senders?",
    ),
}


def assert_well_formed(parsed: ParsedEmail) -> None:
    """What every caller may rely on, whatever the input was."""
    strings = [
        parsed.message_id,
        parsed.fingerprint,
        parsed.from_address,
        parsed.from_display,
        parsed.from_header,
        parsed.subject,
        parsed.text,
        parsed.automated_reason,
        *parsed.recipients,
        *parsed.in_reply_to,
        *parsed.references,
        *parsed.defects,
        *(a.filename for a in parsed.attachments),
        *(a.content_type for a in parsed.attachments),
    ]
    for value in strings:
        assert isinstance(value, str)
        assert "\x00" not in value
        value.encode("utf-8")  # no lone surrogates: storable in PostgreSQL
    for value in (parsed.subject, parsed.from_header, parsed.from_display, parsed.message_id):
        assert "\n" not in value
        assert "\r" not in value
    assert len(parsed.fingerprint) == 64
    assert len(parsed.text) <= email_parsing.MAX_TEXT_CHARS
    assert len(parsed.subject) <= email_parsing.MAX_HEADER_CHARS
    assert len(parsed.message_id) <= email_parsing.MAX_MESSAGE_ID_CHARS
    assert parsed.from_address == parsed.from_address.lower()
    assert parsed.from_address == "" or parsed.from_address.count("@") == 1
    assert all(r == r.lower() and "@" in r for r in parsed.recipients)
    assert len(set(parsed.recipients)) == len(parsed.recipients)
    assert parsed.sent_at is None or parsed.sent_at.tzinfo is not None
    assert all(isinstance(a, ParsedAttachment) and a.size >= 0 for a in parsed.attachments)
    assert parsed.is_automated == bool(parsed.automated_reason)
    assert parsed.is_automated == (
        parsed.is_auto_reply or parsed.is_bounce or parsed.is_read_receipt
    )


# --- the corpus ----------------------------------------------------------------------------


def test_every_fixture_has_an_expectation():
    on_disk = {path.name for path in FIXTURES.glob("*.eml")}
    assert len(on_disk) >= 28
    assert on_disk == set(CORPUS), (
        f"without expectation: {sorted(on_disk - set(CORPUS))}; "
        f"missing files: {sorted(set(CORPUS) - on_disk)}"
    )
    assert {path.name for path in FIXTURES.iterdir()} == on_disk  # nothing but .eml files


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_corpus(name, monkeypatch):
    monkeypatch.setattr(email_parsing, "MAX_ATTACHMENT_BYTES_RECORDED", TEST_ATTACHMENT_CAP)
    expect = CORPUS[name]
    raw = load(name)

    parsed = parse_email(raw)

    assert_well_formed(parsed)
    assert parsed.fingerprint == hashlib.sha256(raw).hexdigest()
    assert parsed.message_id == expect.message_id
    assert parsed.from_address == expect.from_address
    assert parsed.subject == expect.subject
    flags = {
        "auto": parsed.is_auto_reply,
        "bounce": parsed.is_bounce,
        "receipt": parsed.is_read_receipt,
    }
    wanted = set(expect.automated.split("+")) - {""}
    assert {flag for flag, on in flags.items() if on} == wanted
    assert parsed.is_automated == bool(wanted)
    assert expect.reason in parsed.automated_reason
    for snippet in expect.text_has:
        assert snippet in parsed.text
    for snippet in expect.text_lacks:
        assert snippet not in parsed.text
    assert parsed.text.strip(), "every fixture has a readable body"
    assert [(a.filename, a.content_type, a.size, a.oversized) for a in parsed.attachments] == list(
        expect.attachments
    )
    assert parsed.had_html_only == expect.had_html_only
    if expect.from_display is not None:
        assert parsed.from_display == expect.from_display
    if expect.recipients is not None:
        assert parsed.recipients == expect.recipients
    if expect.in_reply_to is not None:
        assert parsed.in_reply_to == expect.in_reply_to
    if expect.references is not None:
        assert parsed.references == expect.references
    if expect.sent_at is not None:
        assert parsed.sent_at == expect.sent_at
    if expect.no_date:
        assert parsed.sent_at is None
    else:
        assert parsed.sent_at is not None


def test_oversized_uses_the_cap_at_call_time(monkeypatch):
    raw = load("23-oversized-attachment.eml")
    assert [a.oversized for a in parse_email(raw).attachments] == [False, False]  # 10 MB cap
    monkeypatch.setattr(email_parsing, "MAX_ATTACHMENT_BYTES_RECORDED", 119_999)
    assert [a.oversized for a in parse_email(raw).attachments] == [True, False]
    monkeypatch.setattr(email_parsing, "MAX_ATTACHMENT_BYTES_RECORDED", 120_000)
    assert [a.oversized for a in parse_email(raw).attachments] == [False, False]


def test_the_same_bytes_give_the_same_fingerprint_and_line_endings_matter():
    raw = load("22-no-message-id.eml")
    assert parse_email(raw).fingerprint == parse_email(bytes(raw)).fingerprint
    crlf = raw.replace(b"\n", b"\r\n")
    assert parse_email(crlf).fingerprint != parse_email(raw).fingerprint
    assert parse_email(crlf).text == parse_email(raw).text


def test_date_keeps_the_senders_offset():
    sent_at = parse_email(load("29-date-other-zone.eml")).sent_at
    assert sent_at.utcoffset() == timedelta(hours=5, minutes=30)


def test_minus_zero_zone_is_read_as_utc():
    parsed = parse_email(message(extra="Date: Mon, 14 Apr 2025 10:00:00 -0000\n"))
    assert parsed.sent_at == datetime(2025, 4, 14, 10, tzinfo=UTC)


# --- what is not an email ------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   \r\n\t\n",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
        b"Hello Dana,\nthis is just text someone piped in.\n",
        b"\xff\xfe\x00\x01garbage",
        b"Subject: no sender, no date, no id\n\nbody\n",
        b"X-Spam-Score: 0.1\nContent-Type: text/plain\n\nbody\n",
        b"From: \n\nempty From only\n",
    ],
)
def test_not_an_email(raw):
    with pytest.raises(NotAnEmail) as excinfo:
        parse_email(raw)
    assert excinfo.value.__cause__ is None


@pytest.mark.parametrize("raw", ["From: a@example.com\n\nhi", None, 42])
def test_not_bytes_is_not_an_email(raw):
    with pytest.raises(NotAnEmail):
        parse_email(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b"From: a@example.com\n\nhi",
        b"Date: Mon, 14 Apr 2025 10:00:00 +0000\n\n",
        b"Message-ID: <x@example.com>\n",
        b"\r\n\r\nFrom: a@example.com\r\n\r\nleading blank lines are skipped",
        bytearray(b"Sender: a@example.com\n\nbytearray"),
        memoryview(b"From: a@example.com\n\nmemoryview"),
    ],
)
def test_minimal_messages_are_emails(raw):
    assert_well_formed(parse_email(raw))


def test_not_an_email_is_a_value_error():
    assert issubclass(NotAnEmail, ValueError)


# --- sender --------------------------------------------------------------------------------


def message(from_value: str = "Candidate <c@example.com>", *, extra: str = "", body: str = "Hi"):
    return (
        f"From: {from_value}\nTo: jobs@persist.example\nMessage-ID: <m1@example.com>\n"
        f"Subject: Hello\n{extra}\n{body}\n"
    ).encode()


def test_display_name_trick_gives_the_real_address():
    parsed = parse_email(load("24-display-name-trick.eml"))
    assert parsed.from_address == "x@evil.example"
    assert parsed.from_display == "boss@corp.example"
    assert "boss@corp.example" not in parsed.from_address
    assert parsed.from_header == '"boss@corp.example" <x@evil.example>'


@pytest.mark.parametrize(
    ("from_value", "address", "display"),
    [
        ("Candidate <C@Example.COM>", "c@example.com", "Candidate"),
        ("c@example.com", "c@example.com", ""),
        ("c@example.com (Casey C)", "c@example.com", "Casey C"),
        ('"Casey, C." <c@example.com>', "c@example.com", "Casey, C."),
        ("=?utf-8?Q?Ren=C3=A9e_=22The_Closer=22?= <renee@example.org>", "renee@example.org", ""),
        ('"boss@corp.example" <x@evil.example>', "x@evil.example", "boss@corp.example"),
        ("<c@example.com>", "c@example.com", ""),
        # Not exactly one clean address: never matches a candidate.
        ("a@example.com, b@example.com", "", ""),
        ("boss@corp.example <x@evil.example>", "", ""),
        ("Smith, John <john@example.com>", "", ""),
        ("<<broken@@example.com>>", "", ""),
        ("a@b@example.com", "", ""),
        ("Alice <alice@example.com> trailing garbage", "", ""),
        ("Alice (unclosed <alice@example.com>", "", ""),
        ("Alice) <alice@example.com>", "", ""),
        ("alice@[192.0.2.1]", "", ""),
        ("MAILER-DAEMON", "", ""),
        ("alice@localhost", "", ""),
        ("alice..x@example.com", "", ""),
        ("undisclosed-recipients:;", "", ""),
        ("Team: a@example.com, b@example.com;", "", ""),
        ("", "", ""),
    ],
)
def test_strict_from_parsing(from_value, address, display):
    parsed = parse_email(message(from_value))
    assert parsed.from_address == address
    if address:
        assert parsed.from_display == (display or parsed.from_display)
    else:
        assert parsed.from_display == ""


def test_encoded_display_name_is_decoded_after_strict_parsing():
    parsed = parse_email(message("=?utf-8?Q?Ren=C3=A9e_=22The_Closer=22?= <renee@example.org>"))
    assert parsed.from_display == 'Renée "The Closer"'
    assert parsed.from_header == 'Renée "The Closer" <renee@example.org>'


def test_two_from_fields_never_match():
    parsed = parse_email(load("39-duplicate-from-fields.eml"))
    assert parsed.from_address == ""
    assert "MultipleFromFields" in parsed.defects
    assert "ceo@corp.example" in parsed.from_header


# --- HTML ----------------------------------------------------------------------------------


HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "<style>@import 'javascript:alert(1)';</style>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<iframe><script>alert(1)</script></iframe>",
    "<noscript><p title='</noscript><img src=x onerror=alert(1)>'></noscript>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<body onload=alert(1)>",
    "<scr<script>ipt>alert(1)</script>",
    "<textarea><script>alert(1)</script></textarea>",
    "<title><script>alert(1)</script></title>",
    "<xmp><script>alert(1)</script></xmp>",
    "<!--<script>alert(1)</script>-->",
    "<object data=javascript:alert(1)></object>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
]


def test_hostile_html_fixture_is_reduced_to_text():
    text = parse_email(load("27-hostile-html.eml")).text
    for needle in ("<script", "onerror", "javascript:", "<iframe", "<style", "alert("):
        assert needle not in text.lower()


@pytest.mark.parametrize("fragment", HOSTILE)
def test_hostile_html_fragments(fragment):
    text = html_to_text(f"<p>before</p>{fragment}<p>after</p>").lower()
    assert "<script" not in text
    assert "onerror" not in text
    assert "javascript:" not in text
    assert "<" not in text  # no markup survives, whatever the nesting tricks
    assert "before" in text


def test_html_to_text_structure():
    source = (
        "<html><head><title>T</title></head><body>"
        "<h1>Hello&nbsp;Dana</h1><p>First   paragraph\n spans\n lines.</p>"
        "<div>Line one<br>Line two<BR/>Line three</div>"
        "<ul><li>alpha</li><li>beta</li></ul>"
        "<table><tr><td>cell 1</td><td>cell 2</td></tr></table>"
        "<p>Fish &amp; chips &lt;3 &eacute;t&eacute; &#8212; done</p>"
        "</body></html>"
    )
    assert html_to_text(source) == (
        "Hello Dana\n\nFirst paragraph spans lines.\n\nLine one\nLine two\nLine three\n\n"
        "- alpha\n- beta\n\ncell 1\n\ncell 2\n\nFish & chips <3 été — done"
    )


@pytest.mark.parametrize("source", ["", "   ", "<p></p>", "<script>x</script>", "<!-- -->"])
def test_html_to_text_empty(source):
    assert html_to_text(source) == ""


def test_html_to_text_tolerates_surrogates_and_sentinels():
    assert html_to_text("a\ud800b\ue000c\x00d") == "a\ufffdbcd"


def test_text_is_capped(monkeypatch):
    monkeypatch.setattr(email_parsing, "MAX_TEXT_CHARS", 50)
    parsed = parse_email(message(body="word " * 1000))
    assert len(parsed.text) <= 50
    assert parsed.text.startswith("word word")


def test_html_alternative_used_when_plain_is_blank():
    raw = (
        b"From: a@example.com\nContent-Type: multipart/alternative; boundary=b\n\n"
        b"--b\nContent-Type: text/plain\n\n \n--b\nContent-Type: text/html\n\n"
        b"<p>only html</p>\n--b--\n"
    )
    parsed = parse_email(raw)
    assert parsed.text == "only html"
    assert parsed.had_html_only


# --- charsets and headers ------------------------------------------------------------------


@pytest.mark.parametrize(
    "charset", ["zlib", "rot13", "base64", "x-bogus", "utf-7", "punycode", "idna", "utf-16", '""']
)
def test_odd_declared_charsets_never_raise(charset):
    raw = (
        f"From: a@example.com\nContent-Type: text/plain; charset={charset}\n\n".encode()
        + "Grüße aus Köln\n".encode()
    )
    parsed = parse_email(raw)
    assert_well_formed(parsed)
    assert parsed.text


def test_multibyte_character_split_across_encoded_words():
    euro = "€".encode()
    first = "=?utf-8?B?" + __import__("base64").b64encode(b"Price " + euro[:2]).decode() + "?="
    second = "=?utf-8?B?" + __import__("base64").b64encode(euro[2:] + b"100").decode() + "?="
    parsed = parse_email(
        message(extra=f"Subject: {first}\n {second}\n").replace(b"Subject: Hello\n", b"")
    )
    assert parsed.subject == "Price €100"


def test_raw_utf8_in_headers_is_decoded():
    raw = "From: Zoë <zoe@example.com>\nSubject: Café ☕ again\n\nhi\n".encode()
    parsed = parse_email(raw)
    assert parsed.subject == "Café ☕ again"
    assert parsed.from_display == "Zoë"


def test_overlong_message_id_is_treated_as_missing():
    long_id = "x" * 300 + "@example.com"
    parsed = parse_email(
        message(extra=f"Message-ID: <{long_id}>\n").replace(b"Message-ID: <m1@example.com>\n", b"")
    )
    assert parsed.message_id == ""
    assert "MessageIdTooLong" in parsed.defects


def test_message_ids_lose_brackets_and_whitespace():
    raw = message().replace(b"<m1@example.com>", b" <  folded\n  .id@example.com >")
    assert parse_email(raw).message_id == "folded.id@example.com"


def test_deep_nesting_is_bounded():
    depth = 60
    head = b"From: a@example.com\nContent-Type: multipart/mixed; boundary=b0\n\n"
    parts = b""
    for level in range(1, depth):
        parts += f"--b{level - 1}\nContent-Type: multipart/mixed; boundary=b{level}\n\n".encode()
    parts += f"--b{depth - 1}\nContent-Type: text/plain\n\ndeep\n".encode()
    for level in reversed(range(depth)):
        parts += f"--b{level}--\n".encode()
    parsed = parse_email(head + parts)
    assert_well_formed(parsed)
    assert "MimeNestingTooDeep" in parsed.defects


def nested_message(depth: int) -> bytes:
    head = b"From: a@example.com\nAuto-Submitted: auto-replied\n"
    head += b"Content-Type: multipart/mixed; boundary=b0\n\n"
    parts = b"".join(
        f"--b{level - 1}\nContent-Type: multipart/mixed; boundary=b{level}\n\n".encode()
        for level in range(1, depth)
    )
    return head + parts + f"--b{depth - 1}\nContent-Type: text/plain\n\ndeep\n".encode()


def test_nesting_beyond_the_stdlib_parser_keeps_the_header():
    parsed = parse_email(nested_message(1000))  # RecursionError inside the stdlib parser
    assert_well_formed(parsed)
    assert parsed.from_address == "a@example.com"
    assert parsed.is_auto_reply
    assert parsed.text == ""
    assert "MimeNestingTooDeep" in parsed.defects


def test_too_many_parts_keeps_the_header(monkeypatch):
    monkeypatch.setattr(email_parsing, "MAX_MIME_PARTS", 5)
    raw = b"From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n"
    raw += b"--b\nContent-Type: text/plain\n\nx\n" * 20 + b"--b--\n"
    parsed = parse_email(raw)
    assert parsed.from_address == "a@example.com"
    assert parsed.text == ""
    assert parsed.attachments == ()
    assert "TooManyMimeParts" in parsed.defects


# --- automated mail ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "subject", "reason"),
    [
        ("Auto-Submitted: auto-generated\n", "Hello", "Auto-Submitted: auto-generated"),
        ("Auto-Submitted: auto-replied; owner-email=x@example.com\n", "Hello", "auto-replied"),
        ("X-Autoreply: yes\n", "Hello", "X-Autoreply"),
        ("X-Autorespond: Vacation\n", "Hello", "X-Autorespond"),
        ("Precedence: junk\n", "Hello", "Precedence: junk"),
        ("Precedence: auto_reply\n", "Hello", "Precedence: auto_reply"),
        ("Precedence: BULK\n", "Hello", "Precedence: bulk"),
        ("", "Out of Office: back Monday", "Out-of-office subject"),
        ("", "Automatische Antwort: Ihre Nachricht", "Out-of-office subject"),
        ("", "Réponse automatique : Candidature", "Out-of-office subject"),
        ("", "Autoreply: Hello", "Out-of-office subject"),
        ("", "I am out of the office until 12/05/2025", "Out-of-office subject"),
        ("", "Jane Doe is out of the office.", "Out-of-office subject"),
        ("Return-Path: <>\n", "Hello", "Null return path"),
        ("X-Failed-Recipients: a@example.net\n", "Hello", "X-Failed-Recipients"),
        (
            "Original-Message-ID: <contact.1@persist.example>\n",
            "Read: Interview schedule",
            "Read receipt",
        ),
    ],
)
def test_automated_markers(extra, subject, reason):
    raw = message(extra=extra).replace(b"Subject: Hello\n", f"Subject: {subject}\n".encode())
    parsed = parse_email(raw)
    assert parsed.is_automated
    assert reason in parsed.automated_reason


@pytest.mark.parametrize(
    ("extra", "subject"),
    [
        ("Auto-Submitted: no\n", "Hello"),
        ("X-Autoreply: no\n", "Hello"),
        ("Precedence: first-class\n", "Hello"),
        ("List-Unsubscribe: <https://tool.example.com/u/1>\n", "Hello"),
        ("List-Id: <sales.example.com>\n", "Hello"),
        ("X-Auto-Response-Suppress: All\n", "Hello"),
        ("Disposition-Notification-To: c@example.com\n", "Hello"),
        ("", "Re: Automatic reply: Interview feedback"),
        ("", "Read: my plan for your territory"),  # no MDN fields: a person's subject
        ("", "Following up while you're out of office"),
        ("", "Postmaster question from a candidate"),
    ],
)
def test_not_automated(extra, subject):
    raw = message(extra=extra).replace(b"Subject: Hello\n", f"Subject: {subject}\n".encode())
    parsed = parse_email(raw)
    assert not parsed.is_automated, parsed.automated_reason
    assert parsed.automated_reason == ""


@pytest.mark.parametrize(
    "from_value",
    [
        "MAILER-DAEMON@mx.example.net",
        "Mail Delivery Subsystem <postmaster@example.org>",
        "MAILER-DAEMON",
    ],
)
def test_system_senders_are_bounces(from_value):
    parsed = parse_email(message(from_value))
    assert parsed.is_bounce
    assert "Sender" in parsed.automated_reason


# --- reply tokens --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("addresses", "expected"),
    [
        (["reply+AbCdEf123456@persist.example"], "AbCdEf123456"),
        (["REPLY+AbCdEf123456@PERSIST.EXAMPLE"], "AbCdEf123456"),
        (["<reply+tok_en-1234@persist.example>"], "tok_en-1234"),
        (
            [
                "dana@persist.example",
                "reply+first1234@persist.example",
                "reply+second12@persist.example",
            ],
            "first1234",
        ),
        (["reply+short@persist.example"], None),
        (["reply+" + "a" * 65 + "@persist.example"], None),
        (["reply+" + "a" * 64 + "@persist.example"], "a" * 64),
        (["reply+AbCdEf123456@persist.example.evil.example"], None),
        (["reply+AbCdEf123456@evil.example"], None),
        (["reply+Ab.CdEf123456@persist.example"], None),
        (["reply+AbCdEf123456+x@persist.example"], None),
        (["replyAbCdEf123456@persist.example"], None),
        (["noreply+AbCdEf123456@persist.example"], None),
        (["reply+@persist.example"], None),
        ([], None),
        (["", "not an address"], None),
    ],
)
def test_reply_token(addresses, expected):
    assert reply_token(addresses, reply_domain="persist.example") == expected


def test_reply_token_custom_local_part_and_generator():
    addresses = (a for a in ["Answers+Token_1234@Mail.Persist.Example"])
    assert (
        reply_token(addresses, reply_local="answers", reply_domain="mail.persist.example")
        == "Token_1234"
    )
    assert reply_token(["reply+Token_1234@persist.example"], reply_domain="") is None


def test_reply_token_from_the_fixture_recipients():
    parsed = parse_email(load("13-reply-to-token-address.eml"))
    # Recipients are lower-cased, so the token comes back lower-cased: look tokens up
    # case-insensitively.
    assert reply_token(parsed.recipients, reply_domain="persist.example") == "abcdef123456"
    assert reply_token(parsed.recipients, reply_domain="other.example") is None


# --- fuzzing -------------------------------------------------------------------------------


def parse_or_reject(raw: bytes) -> None:
    try:
        parsed = parse_email(raw)
    except NotAnEmail as exc:
        cause = exc.__cause__
    else:
        assert_well_formed(parsed)
        return
    assert cause is None, f"internal error reported as NotAnEmail: {cause!r}"


HEADERISH = st.sampled_from(
    [
        b"",
        b"From: a@example.com\r\n",
        b"From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n--b\n",
        b"Message-ID: <x@y>\nContent-Type: multipart/report; report-type=delivery-status;"
        b" boundary=b\n\n--b\nContent-Type: message/rfc822\n\n",
        b"Date: Mon, 14 Apr 2025 10:00:00 +0000\nContent-Type: text/html; charset=utf-7\n"
        b"Content-Transfer-Encoding: base64\n\n",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=4096), st.tuples(HEADERISH, st.binary(max_size=4096)).map(b"".join)
    )
)
@example(b"From: =?utf-8?B?====?= <a@b.example>\n\n")
@example(b"From: a@example.com\nContent-Type: text/plain; charset*=''\n\n\xff")
@example(b"From: a@example.com\nSubject: =?iso-2022-jp?B?GyRC?=\n\n")
@example(b"From: a@example.com\nContent-Type: multipart/mixed\n\nno boundary\n")
@example(b"From: a@example.com\nDate: Mon, 14 Apr 99999 10:00:00 +9999\n\n")
def test_fuzz_arbitrary_bytes(raw):
    parse_or_reject(raw)


CORPUS_BYTES = [load(name) for name in sorted(CORPUS) if name != "23-oversized-attachment.eml"]
CORPUS_BYTES.append(load("23-oversized-attachment.eml")[:8192])


@st.composite
def mutated_message(draw):
    data = bytearray(draw(st.sampled_from(CORPUS_BYTES)))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        operation = draw(st.sampled_from(["flip", "truncate", "duplicate", "insert", "delete"]))
        if not data:
            data = bytearray(draw(st.binary(min_size=1, max_size=64)))
        position = draw(st.integers(min_value=0, max_value=len(data) - 1))
        if operation == "flip":
            data[position] ^= 1 << draw(st.integers(min_value=0, max_value=7))
        elif operation == "truncate":
            del data[position:]
        elif operation == "duplicate":  # repeat one line (usually a header field)
            lines = bytes(data).split(b"\n")
            index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            lines.insert(index, lines[index])
            data = bytearray(b"\n".join(lines))
        elif operation == "insert":
            data[position:position] = draw(
                st.one_of(
                    st.binary(min_size=1, max_size=32),
                    st.sampled_from(
                        [
                            b"\n",
                            b"\r\n\r\n",
                            b"=?",
                            b"?=",
                            b"<",
                            b">",
                            b'"',
                            b"(",
                            b",",
                            b"\x00",
                            b"\n--",
                            b"; charset=x-unknown",
                            b"=?utf-8?b?",
                            b"\xed\xa0\x80",
                        ]
                    ),
                )
            )
        else:
            end = position + draw(st.integers(min_value=1, max_value=64))
            del data[position:end]
    return bytes(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_message())
def test_fuzz_mutated_corpus(raw):
    parse_or_reject(raw)


# Structured fuzzing: random MIME trees whose header values are built from the characters and
# words the parser treats specially, to reach the decoding and classification paths.
ATOMS = [
    b"a@example.com", b"<", b">", b'"', b"(", b")", b",", b";", b":", b"=?utf-8?B?",
    b"=?iso-2022-jp?Q?", b"?=", b"=E9", b"\\", b"[", b"]", b"@", b" ", b"\t", b"\r\n ",
    b"\xff", b"\xc3\xa9", b"\x00", b"<>", b"auto-replied", b"no", b"bulk", b"Automatic reply:",
    b"Read:", b"MAILER-DAEMON", b"reply+AbCdEf123456@persist.example", b"%", b"'", b"*",
    b"*0*=utf-8''%E9", b"x",
]  # fmt: skip
HEADER_VALUES = st.lists(st.sampled_from(ATOMS), max_size=12).map(b"".join)
HEADER_NAMES = st.sampled_from(
    [
        b"From", b"To", b"Cc", b"Subject", b"Date", b"Message-ID", b"In-Reply-To",
        b"References", b"Auto-Submitted", b"X-Autoreply", b"Precedence", b"Return-Path",
        b"Content-Type", b"Content-Disposition", b"Content-Transfer-Encoding", b"Delivered-To",
        b"X-Failed-Recipients", b"Original-Message-ID",
    ]
)  # fmt: skip
CONTENT_TYPES = st.sampled_from(
    [
        b"text/plain", b"text/html", b"multipart/mixed", b"multipart/alternative",
        b"multipart/related", b"multipart/report; report-type=delivery-status",
        b"multipart/report; report-type=disposition-notification", b"message/rfc822",
        b"message/delivery-status", b"application/pdf", b"multipart/signed",
        b"multipart/encrypted", b"text/plain; charset=utf-16", b"text/html; charset=x-bogus",
        b"text/plain; charset=iso-2022-jp", b"multipart/digest",
    ]
)  # fmt: skip
ENCODINGS = st.sampled_from([b"", b"base64", b"quoted-printable", b"8bit", b"x-uuencode", b"?"])
BODIES = st.one_of(
    st.binary(max_size=200),
    st.sampled_from(
        [b"<p>hi<script>x</script></p>", b"aGVsbG8=", b"=E9=\n", b"begin 644 f\n#86)C\n`\nend\n"]
    ),
)


def mime_part(depth: int):
    @st.composite
    def part(draw):
        content_type = draw(CONTENT_TYPES)
        headers = [(b"Content-Type", content_type + b"; boundary=B%d" % depth)]
        headers += draw(st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=3))
        encoding = draw(ENCODINGS)
        if encoding:
            headers.append((b"Content-Transfer-Encoding", encoding))
        head = b"".join(name + b": " + value + b"\n" for name, value in headers) + b"\n"
        if content_type.startswith(b"multipart") and depth < 4:
            children = draw(st.lists(mime_part(depth + 1), max_size=3))
            body = b"".join(b"--B%d\n" % depth + child + b"\n" for child in children)
            if draw(st.booleans()):
                body += b"--B%d--\n" % depth
        elif content_type == b"message/rfc822" and depth < 4:
            body = draw(mime_part(depth + 1))
        else:
            body = draw(BODIES)
        return head + body

    return part()


@st.composite
def mime_message(draw):
    top = draw(st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), min_size=1, max_size=8))
    head = b"From: " + draw(HEADER_VALUES) + b"\n"
    head += b"".join(name + b": " + value + b"\n" for name, value in top)
    return head + draw(mime_part(0))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mime_message())
@example(b"From: a@example.com\nFrom: \nContent-Type: text/plain\nAuto-Submitted: \x00\n\n")
def test_fuzz_structured_mime(raw):
    parse_or_reject(raw)
