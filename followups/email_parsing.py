"""Turn one inbound RFC 5322 message (raw bytes) into plain, bounded, safe data.

A pure module: no Django, no settings, no clock, no I/O. ``parse_email`` is what the pipe, IMAP
and webhook paths share; it never raises anything but ``NotAnEmail``, and everything it returns
is a ``str``/``tuple``/``datetime`` that is safe to store (no lone surrogates, no NUL or other
control characters, length-capped) and safe to show (the text body is plain text; HTML has been
reduced to text by nh3, so no tag or attribute survives).

Rules decided here (docs/design.md, "Contacts", is the contract):

* **What is not an email** (``NotAnEmail``): input that is not bytes; input that is empty or only
  whitespace; input whose first line is not a header field (binary garbage, a PDF, prose), so the
  parser finds no header fields at all; and a header block without any of the identity fields
  ``From``, ``Sender``, ``Date`` or ``Message-ID`` (with a non-empty value). Leading blank lines
  are skipped and an mbox ``From `` separator line is tolerated. Anything else — however
  malformed — is a message: it is returned with its ``defects`` listed, so it reaches the
  unmatched queue and is never dropped. An unexpected internal error is reported as
  ``NotAnEmail`` chained to its cause (tests assert that never happens).
* **Strict sender**: ``from_address`` is set only when there is exactly one ``From`` field, it
  passes the ``email.utils.getaddresses(..., strict=True)`` checks (balanced parentheses, no
  domain literal, as many addresses as top-level commas + 1), it yields exactly one plausible
  ``local@domain.tld`` address, and ``policy.default``'s own header parser agrees on that same
  address. The strict checks are re-implemented so behaviour does not depend on which Python
  patch release has the ``strict`` flag. The display name is never used as an address.
* **Automated mail** (never persistence): ``Auto-Submitted`` other than ``no``; ``X-Autoreply`` /
  ``X-Autorespond`` (unless ``no``/``false``/``0``/``off``); ``Precedence: auto_reply|bulk|junk|
  list``; an out-of-office subject *at the start* of the subject (so a human "Re: Automatic
  reply: ..." is not one); a null return path (``Return-Path: <>``, which MTAs use only for
  bounces, receipts and auto-responses). ``List-Unsubscribe`` or ``List-Id`` alone do **not** make
  a message automated: sales-engagement tools a candidate may use to follow up add them.
  Bounces: ``multipart/report`` (delivery-status, or any report type other than
  disposition-notification), a ``message/delivery-status`` part, ``X-Failed-Recipients``, or a
  ``MAILER-DAEMON``/``postmaster`` sender. Read receipts: ``multipart/report;
  report-type=disposition-notification``, a ``message/disposition-notification`` part, or a
  receipt-like subject ("Read:", "Gelesen:", "Lu :", ...) together with MDN fields
  (``Original-Message-ID``, ``Disposition``, ``Final-Recipient``, ``Original-Recipient``) in the
  header. ``Disposition-Notification-To`` alone is a *request* for a receipt, sent on ordinary
  mail, and means nothing here.
* **Body**: ``multipart/alternative`` prefers a non-blank ``text/plain`` alternative, else HTML;
  ``multipart/related`` and ``multipart/signed`` use their first part; other multiparts
  concatenate their inline text parts. ``message/*`` parts (forwarded messages, delivery status)
  are attachments and are not read into the text. Charsets: a declared charset that fails (or
  is unknown, or is not a text codec) falls back to UTF-8, then windows-1252, then latin-1, so
  decoding never raises; ``us-ascii``/``iso-8859-1``/missing declarations try UTF-8 first.
* **Attachments**: every non-container part that is ``message/*``, has ``Content-Disposition:
  attachment``, has a file name, or is not ``text/plain``/``text/html`` (inline images included).
  File names are decoded (RFC 2231 and RFC 2047) and reduced to a base name.
* **Message ids** keep their case, lose ``<>`` and whitespace; an id longer than
  ``MAX_MESSAGE_ID_CHARS`` is treated as missing (``message_id == ""``, defect
  ``MessageIdTooLong``) so callers fall back to the ``fingerprint``. The fingerprint hashes the
  raw bytes exactly as given; the ``content_fingerprint`` hashes what survives re-encoding (see
  ``content_fingerprint``), so a message an ESP rebuilds into MIME with new boundaries on each
  delivery is still recognised.
* **Lenient header block** (as mail clients read it): a UTF-8 byte-order mark before the first
  field is ignored, and a line inside the header block that is neither a field nor a folded
  continuation (``quite Delivered-To: ...``) is dropped with the defect ``InvalidHeaderLine``
  instead of ending the header there. "Inside" means before the first blank line *and* followed
  by a header field: a line without a colon after the last field is where a body starts whose
  blank separator line is missing, and stays the body (the stdlib's reading).
* **Hostile structure**: more than ``2 * MAX_MIME_PARTS`` boundary-like lines, or nesting deep
  enough to exhaust the stdlib parser's recursion, is parsed header-only: sender, ids and
  automation markers are kept, body and attachments are empty, and the defect says why
  (``TooManyMimeParts`` / ``MimeNestingTooDeep``). The walk itself stops at ``MAX_MIME_DEPTH``.
* ``recipients`` are lower-cased, so a reply token read from them is lower-case too: store and
  look up tokens case-insensitively. ``Precedence: list`` is also added by mailing-list
  software such as Google Groups: the capture address must be a plain mailbox, not a group.
* **Hostile HTML** (deep nesting, hundreds of thousands of tags): past ``MAX_HTML_TAGS`` per
  message the HTML is reduced to text by a single linear scan instead of nh3 (same rules: every
  tag, comment and attribute removed, script/style/... content dropped, blocks become lines), the
  defect ``HtmlTooComplex`` is listed and the text starts with ``HTML_LIMIT_NOTE``.
* The caps below are module globals read at call time, so tests may monkeypatch them.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import hashlib
import html
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

import nh3

#: Attachments larger than this (decoded bytes) are flagged ``oversized``.
MAX_ATTACHMENT_BYTES_RECORDED = 10 * 1024 * 1024
#: The text body is cut to this many characters.
MAX_TEXT_CHARS = 100_000
#: HTML longer than this (characters) is cut before it is converted to text.
MAX_HTML_INPUT_CHARS = 2_000_000
#: At most this many tags (counted as "<" characters, over all of a message's HTML parts) go
#: through nh3; more take the linear path (see ``html_to_text``). html5ever's tree building
#: costs up to O(tags x open elements): 5 000 tags stay well under a second in the worst case
#: measured (formatting elements with distinct attributes), 400 000 nested divs took minutes.
MAX_HTML_TAGS = 5_000
#: Subject, From header and display names are cut to this many characters.
MAX_HEADER_CHARS = 998
#: The ``external_id`` column is 255 characters; longer Message-IDs are treated as missing.
MAX_MESSAGE_ID_CHARS = 255
#: At most this many ids are kept from In-Reply-To / References (the first and the latest).
MAX_REFERENCES = 100
#: At most this many recipients, attachments and defect names are kept.
MAX_RECIPIENTS = 200
MAX_ATTACHMENTS = 200
MAX_DEFECTS = 50
#: MIME structure is walked no deeper / no wider than this.
MAX_MIME_DEPTH = 25
MAX_MIME_PARTS = 1000
MAX_FILENAME_CHARS = 255

_PARSE_POLICY = policy.default
_SIZE_POLICY = policy.default.clone(refold_source="none", linesep="\r\n")
_IDENTITY_FIELDS = frozenset({"from", "sender", "date", "message-id"})


class _ParsedMessage(EmailMessage):
    """The parser's message class: each header field is parsed once per part.

    ``policy.default`` parses a field with its header registry on every read, and the walk
    reads Content-Type and Content-Disposition of each part many times (type, parameters,
    charset, file name): that was most of the parsing time of an ordinary message. The parsed
    message is never modified, so nothing invalidates the cache but ``__setitem__`` and
    ``__delitem__``, which clear it anyway.
    """

    _MISSING = object()

    def get(self, name, failobj=None):
        cache = self.__dict__.setdefault("_fields", {})
        key = name.lower()
        value = cache.get(key, self._MISSING)
        if value is self._MISSING:
            value = cache[key] = super().get(name, self._MISSING)
        return failobj if value is self._MISSING else value

    def __setitem__(self, name, value):
        self.__dict__.pop("_fields", None)
        self.__dict__.pop("_raw_by_name", None)
        super().__setitem__(name, value)

    def __delitem__(self, name):
        self.__dict__.pop("_fields", None)
        self.__dict__.pop("_raw_by_name", None)
        super().__delitem__(name)


class NotAnEmail(ValueError):
    """The input is not an RFC 5322 message (see the module docstring for the exact rule)."""


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str
    size: int
    oversized: bool
    #: SHA-256 of the decoded content (part of the content fingerprint).
    sha256: str = ""


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str
    fingerprint: str
    from_address: str
    from_display: str
    from_header: str
    recipients: tuple[str, ...]
    subject: str
    sent_at: datetime | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    text: str
    had_html_only: bool
    attachments: tuple[ParsedAttachment, ...]
    is_auto_reply: bool
    is_bounce: bool
    is_read_receipt: bool
    automated_reason: str
    defects: tuple[str, ...]
    #: SHA-256 over normalised identity headers, decoded text and attachment digests: equal for
    #: the same message however it was (re-)encoded (``content_fingerprint``). Empty when the
    #: message has neither a readable Date nor a Message-ID.
    content_fingerprint: str = ""

    @property
    def is_automated(self) -> bool:
        """Auto-reply, bounce/delivery report or read receipt: never persistence."""
        return self.is_auto_reply or self.is_bounce or self.is_read_receipt


# --- strings -------------------------------------------------------------------------------

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")
_FOLD_RE = re.compile(r"\r?\n(?=[ \t])")


def _no_surrogates(value: str) -> str:
    """Replace lone surrogates (unstorable in PostgreSQL, unencodable as UTF-8) by U+FFFD."""
    if _SURROGATE_RE.search(value) is None:
        return value
    return _SURROGATE_RE.sub("\ufffd", value)


def without_control_characters(value: str) -> str:
    """``value`` without NUL and the other control characters (tab and line breaks kept) and
    without lone surrogates: storable in PostgreSQL text, harmless on a page. The rule email
    text follows, for other text from outside (a Twilio message body)."""
    return _CONTROL_RE.sub("", _no_surrogates(value))


def _clean_line(value: str, limit: int) -> str:
    """One-line header text: no controls, whitespace collapsed, capped."""
    value = _CONTROL_RE.sub(" ", _no_surrogates(value).replace("\x00", ""))
    return " ".join(value.split())[:limit]


def _clean_text(value: str, limit: int) -> str:
    """Multi-line body text: LF newlines, no controls but tab/newline, trimmed, capped."""
    value = _no_surrogates(value).replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL_RE.sub("", value).replace("\ufeff", "")
    lines = [line.rstrip() for line in value.split("\n")]
    value = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    return value[:limit].rstrip()


# --- charsets ------------------------------------------------------------------------------

# Declared charsets that are routinely wrong: try UTF-8 first, then windows-1252 (a superset of
# latin-1 for the bytes mail actually contains, as browsers do).
_WEAK_CHARSETS = frozenset(
    {
        "",
        "ascii",
        "us-ascii",
        "ansi_x3.4-1968",
        "iso-8859-1",
        "iso8859-1",
        "iso_8859-1",
        "latin1",
        "latin-1",
        "l1",
        "windows-1252",
        "cp1252",
        "unknown",
        "unknown-8bit",
        "x-unknown",
        "default",
        "8bit",
        "binary",
    }
)
# Supersets that decode what senders actually produce under these labels.
_CHARSET_ALIASES = {
    "shift_jis": ("cp932", "shift_jis"),
    "shift-jis": ("cp932", "shift_jis"),
    "sjis": ("cp932",),
    "x-sjis": ("cp932",),
    "windows-31j": ("cp932",),
    "iso-2022-jp": ("iso2022_jp", "iso2022_jp_ext", "iso2022_jp_2"),
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "x-gbk": ("gb18030",),
    "ks_c_5601-1987": ("cp949",),
    "euc-kr": ("cp949",),
    "tis-620": ("cp874",),
    "iso-8859-11": ("cp874",),
    "iso-8859-9": ("cp1254",),
    "big5": ("big5hkscs",),
}
# Codecs Python knows that are not charsets a mail could sensibly use (or are slow/odd).
_FORBIDDEN_CODECS = frozenset(
    {"punycode", "idna", "raw_unicode_escape", "unicode_escape", "undefined", "mbcs", "oem"}
)


def _codec_name(label: str) -> str | None:
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError, TypeError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _FORBIDDEN_CODECS:
        return None
    return info.name


def _charset_chain(declared: str | None) -> list[str]:
    label = (declared or "").strip().strip("\"'").split("*", 1)[0].strip().lower()
    if label in _WEAK_CHARSETS:
        labels: tuple[str, ...] = ("utf-8", "cp1252")
    else:
        labels = (*_CHARSET_ALIASES.get(label, (label,)), "utf-8", "cp1252")
    chain: list[str] = []
    for candidate in labels:
        name = _codec_name(candidate)
        if name is not None and name not in chain:
            chain.append(name)
    return chain


def decode_bytes(data: bytes, charset: str | None, *, truncated: bool = False) -> str:
    """Decode ``data`` with the declared charset when it works, else fall back; never raises.

    ``truncated`` tolerates an incomplete multibyte sequence at the end (the data was cut).
    """
    for name in _charset_chain(charset):
        try:
            decoder = codecs.getincrementaldecoder(name)("strict")
            return decoder.decode(data, final=not truncated)
        except (UnicodeError, LookupError, ValueError, TypeError):
            continue
    return data.decode("latin-1")


def _desurrogate(value: str) -> str:
    """Header values parsed from bytes keep non-ASCII bytes as surrogate escapes: decode them."""
    if _SURROGATE_RE.search(value) is None:
        return value
    try:
        data = value.encode("utf-8", "surrogateescape")
    except UnicodeError:
        return _no_surrogates(value)
    return decode_bytes(data, None)


# --- headers -------------------------------------------------------------------------------

_ENCODED_WORD_RE = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_QP_HEX_RE = re.compile(rb"=([0-9A-Fa-f]{2})")


def _unfold(value: str) -> str:
    return _FOLD_RE.sub("", value).replace("\r", " ").replace("\n", " ")


def _decode_word(encoding: str, text: str) -> bytes | None:
    data = text.encode("utf-8", "replace")
    if encoding in "qQ":
        data = data.replace(b"_", b" ")
        return _QP_HEX_RE.sub(lambda m: bytes([int(m.group(1), 16)]), data)
    data = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
    data += b"=" * (-len(data) % 4)
    try:
        return base64.b64decode(data)
    except (binascii.Error, ValueError):
        return None


def decode_header_value(value: str) -> str:
    """Unfold and decode RFC 2047 encoded words (adjacent same-charset words are joined first,
    so a multibyte character split across words survives). Unknown charsets fall back; never
    raises. The result is not cleaned or collapsed."""
    value = _desurrogate(_unfold(value))
    pieces: list[str] = []
    pending: list[bytes] = []
    pending_charset: str | None = None
    position = 0

    def flush() -> None:
        nonlocal pending, pending_charset
        if pending:
            pieces.append(decode_bytes(b"".join(pending), pending_charset))
        pending, pending_charset = [], None

    for match in _ENCODED_WORD_RE.finditer(value):
        decoded = _decode_word(match.group(2), match.group(3))
        if decoded is None:  # undecodable: the word stays as literal text
            continue
        gap = value[position : match.start()]
        charset = match.group(1).split("*", 1)[0].lower()
        if gap.strip() or not pending:
            flush()
            pieces.append(gap)
        elif charset != pending_charset:
            flush()  # whitespace between encoded words is dropped (RFC 2047 6.2)
        pending.append(decoded)
        pending_charset = charset
        position = match.end()
    flush()
    pieces.append(value[position:])
    return "".join(pieces)


def _raw_header_values(part: Message, name: str) -> list[str]:
    by_name = getattr(part, "_raw_by_name", None)
    if by_name is None:
        # Read once per part: a message's fields are looked up by some twenty names.
        by_name = {}
        try:
            items = list(part.raw_items())
        except Exception:
            items = []
        for field_name, value in items:
            if isinstance(field_name, str):
                by_name.setdefault(field_name.strip().lower(), []).append(
                    _unfold(value if isinstance(value, str) else str(value))
                )
        if isinstance(part, _ParsedMessage):
            part._raw_by_name = by_name
    return list(by_name.get(name.lower(), ()))


def _first_header(part: Message, name: str) -> str | None:
    values = _raw_header_values(part, name)
    return values[0] if values else None


def _first_token(value: str | None) -> str:
    """``auto-replied; owner=...`` / ``bulk (comment)`` -> ``auto-replied`` / ``bulk``."""
    if value is None:
        return ""
    value = re.sub(r"\([^)]*\)", " ", _clean_line(_desurrogate(value), MAX_HEADER_CHARS))
    tokens = value.replace(";", " ").split()
    return tokens[0].lower() if tokens else ""


# --- addresses -----------------------------------------------------------------------------

_ATEXT = r"[^\s@\"<>()\[\],;:\\]"
_LABEL = r"[^\s@\"<>()\[\],;:\\.]+"
_ADDRESS_RE = re.compile(rf"(?!\.){_ATEXT}+(?<!\.)@(?:{_LABEL}\.)+{_LABEL}")


def _plausible_address(address: str) -> bool:
    return (
        len(address) <= 254
        and ".." not in address.split("@", 1)[0]
        and _ADDRESS_RE.fullmatch(address) is not None
        and _CONTROL_RE.search(address) is None
    )


def _iter_unescaped(value: str) -> Iterator[tuple[int, str]]:
    escape = False
    position = 0
    for position, char in enumerate(value):
        if escape:
            yield position, "\\" + char
            escape = False
        elif char == "\\":
            escape = True
        else:
            yield position, char
    if escape:
        yield position, "\\"


def _strip_quoted_realnames(value: str) -> str:
    if '"' not in value:
        return value
    start, open_at, kept = 0, None, []
    for position, char in _iter_unescaped(value):
        if char == '"':
            if open_at is None:
                open_at = position
            else:
                if start != open_at:
                    kept.append(value[start:open_at])
                start, open_at = position + 1, None
    if start < len(value):
        kept.append(value[start:])
    return "".join(kept)


def _balanced_parentheses(value: str) -> bool:
    depth = 0
    for _, char in _iter_unescaped(_strip_quoted_realnames(value)):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def strict_single_address(value: str) -> tuple[str, str] | None:
    """(display name, lower-cased address) when ``value`` is exactly one clean address.

    ``email.utils.getaddresses(..., strict=True)`` semantics, plus a plausibility check of the
    address itself; the display name is returned still RFC 2047-encoded.
    """
    value = _desurrogate(_unfold(value)).strip()
    if not value or not _balanced_parentheses(value):
        return None
    try:
        pairs = getaddresses([value])
    except Exception:
        return None
    expected = 1 + _strip_quoted_realnames(value).count(",")
    if len(pairs) != 1 or expected != 1:
        return None
    name, address = pairs[0]
    if "[" in address or not _plausible_address(address):
        return None
    return name, address.lower()


def _addresses_lenient(value: str) -> list[str]:
    value = _desurrogate(_unfold(value))
    try:
        pairs = getaddresses([value])
    except Exception:
        return []
    return [address.lower() for _, address in pairs if _plausible_address(address)]


def _policy_default_agrees(msg: Message, address: str) -> bool:
    """policy.default's header parser must find the same single address (no parser
    differential between this module and code that reads ``msg["From"]``)."""
    try:
        header = msg["From"]
        found = [a.addr_spec.lower() for a in header.addresses]
    except Exception:
        return False
    return found == [address]


# --- automated mail --------------------------------------------------------------------------

_OOO_SUBJECT_RE = re.compile(
    r"^(?:out of (?:the )?office|automatic reply|auto(?:matic)?[ -]?(?:reply|response)"
    r"|autoreply|auto:|abwesenheitsnotiz|automatische antwort|abwesend"
    r"|r[ée]ponse automatique|absence du bureau|respuesta autom[áa]tica|fuera de la oficina"
    r"|risposta automatica|fuori sede|automatisch antwoord|afwezig|resposta autom[áa]tica"
    r"|i am out of the office|i'm out of the office|i am currently out of the office"
    r"|vacation reply|away from (?:the )?office)(?![a-z])"
    r"|\bis out of the office\b"
)
_RECEIPT_SUBJECT_RE = re.compile(
    r"^(?:read|gelesen|lu|le[ií]do|letto|gelezen|read receipt|return receipt"
    r"|lesebest[äa]tigung|accus[ée] de lecture)\s*:"
)
_MDN_FIELDS = ("original-message-id", "disposition", "final-recipient", "original-recipient")
_SYSTEM_SENDERS = frozenset({"mailer-daemon", "postmaster"})
_SYSTEM_SENDER_RE = re.compile(r"(?i)(?<![a-z0-9_.+-])(mailer-daemon|postmaster)(?![a-z0-9_-])")
_NEGATIVE_VALUES = frozenset({"no", "false", "0", "off"})


def _fold_for_match(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


# --- message ids -----------------------------------------------------------------------------

_ANGLE_ID_RE = re.compile(r"<([^<>]*)>")


def _clean_id(value: str) -> str:
    return "".join(_CONTROL_RE.sub("", _no_surrogates(value)).split())


def _message_ids(values: Iterable[str]) -> tuple[str, ...]:
    ids: list[str] = []
    for raw in values:
        value = _desurrogate(raw)
        found = [_clean_id(m) for m in _ANGLE_ID_RE.findall(value)]
        if not found and "@" in value and len(value.split()) == 1:
            found = [_clean_id(value.strip("<> \t"))]
        for candidate in found:
            if candidate and len(candidate) <= MAX_MESSAGE_ID_CHARS and candidate not in ids:
                ids.append(candidate)
    if len(ids) > MAX_REFERENCES:
        ids = ids[:1] + ids[-(MAX_REFERENCES - 1) :]
    return tuple(ids)


# --- MIME ----------------------------------------------------------------------------------


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type().lower()
    except Exception:
        return "application/octet-stream"


def _param(part: Message, name: str, header: str = "content-type") -> str:
    try:
        value = part.get_param(name, header=header)
    except Exception:
        return ""
    if isinstance(value, tuple):  # RFC 2231 triple under some policies
        try:
            value = value[2]
        except IndexError:
            return ""
    return _desurrogate(value) if isinstance(value, str) else ""


def _disposition(part: Message) -> str:
    try:
        return (part.get_content_disposition() or "").lower()
    except Exception:
        return ""


def _filename(part: Message) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if not isinstance(name, str) or not name:
        name = _param(part, "filename", "content-disposition") or _param(part, "name")
    if not name:
        return ""
    name = decode_header_value(name) if "=?" in name else _desurrogate(name)
    name = _clean_line(name, 10 * MAX_FILENAME_CHARS)
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "" if name in {".", ".."} else name[:MAX_FILENAME_CHARS]


def _children(part: Message) -> list[Message]:
    try:
        if not part.is_multipart():
            return []
        payload = part.get_payload()
    except Exception:
        return []
    if not isinstance(payload, list):
        return []
    return [child for child in payload if isinstance(child, Message)]


def _is_container(part: Message, ctype: str) -> bool:
    return ctype.startswith("multipart/") and bool(_children(part))


def _is_attachment(part: Message, ctype: str) -> bool:
    if _is_container(part, ctype):
        return False
    if ctype.startswith("message/"):
        return True
    if _disposition(part) == "attachment" or _filename(part):
        return True
    return _body_kind(ctype) is None


def _body_kind(ctype: str) -> str | None:
    if ctype == "text/plain" or (ctype.startswith("multipart/")):
        return "plain"  # a "multipart" part without parts is read as text
    if ctype == "text/html":
        return "html"
    return None


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    try:
        payload = part.get_payload()
    except Exception:
        return b""
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogateescape")
    return b""


def _part_size_and_digest(part: Message, ctype: str) -> tuple[int, str]:
    """Decoded size and SHA-256 of an attachment (a message/* part: of its serialised form)."""
    if not ctype.startswith("message/"):
        data = _payload_bytes(part)
        return len(data), hashlib.sha256(data).hexdigest()
    digest = hashlib.sha256()
    size = 0
    try:
        payload = part.get_payload()
    except Exception:
        return 0, digest.hexdigest()
    if isinstance(payload, str):
        data = payload.encode("utf-8", "surrogateescape")
        return len(data), hashlib.sha256(data).hexdigest()
    for child in payload if isinstance(payload, list) else []:
        try:
            data = child.as_bytes(policy=_SIZE_POLICY)
        except Exception:
            continue
        size += len(data)
        digest.update(data)
    return size, digest.hexdigest()


def _walk(msg: Message) -> Iterator[tuple[Message, str, int]]:
    """(part, content type, depth) depth-first in order, bounded; not into message/*."""
    stack = [(msg, 0)]
    seen = 0
    while stack and seen < MAX_MIME_PARTS:
        part, depth = stack.pop()
        seen += 1
        ctype = _content_type(part)
        yield part, ctype, depth
        if ctype.startswith("multipart/") and depth < MAX_MIME_DEPTH:
            stack.extend((child, depth + 1) for child in reversed(_children(part)))


def _decoded_text(part: Message, kind: str, budget: HtmlBudget) -> str:
    data = _payload_bytes(part)
    limit = MAX_HTML_INPUT_CHARS if kind == "html" else MAX_TEXT_CHARS * 4
    truncated = len(data) > limit
    text = decode_bytes(data[:limit], _param(part, "charset"), truncated=truncated)
    return html_to_text(text, budget=budget) if kind == "html" else text


def _body_pieces(part: Message, budget: HtmlBudget, depth: int = 0) -> list[tuple[str, str]]:
    """[(kind, text)] of the readable body under ``part``; kind is "plain" or "html"."""
    if depth > MAX_MIME_DEPTH:
        return []
    ctype = _content_type(part)
    if _is_container(part, ctype):
        children = _children(part)[:MAX_MIME_PARTS]
        if ctype == "multipart/alternative":
            fallback: list[tuple[str, str]] = []
            for child in children:
                pieces = _body_pieces(child, budget, depth + 1)
                if any(kind == "plain" and text.strip() for kind, text in pieces):
                    return pieces
                if not fallback and any(text.strip() for _, text in pieces):
                    fallback = pieces
            return fallback
        if ctype in {"multipart/related", "multipart/signed"}:
            children = children[:1]
        elif ctype == "multipart/encrypted":
            return []
        pieces, length = [], 0
        for child in children:
            found = _body_pieces(child, budget, depth + 1)
            pieces.extend(found)
            length += sum(len(text) for _, text in found)
            if length > MAX_TEXT_CHARS:  # the rest would be cut anyway
                break
        return pieces
    kind = _body_kind(ctype)
    if kind is None or _is_attachment(part, ctype):
        return []
    return [(kind, _decoded_text(part, kind, budget))]


# --- HTML ----------------------------------------------------------------------------------

_LINE = "\ue000"  # private-use sentinels: a line break / a list bullet
_BULLET = "\ue001"
_BLOCK_TAGS = (
    "address|article|aside|blockquote|caption|dd|div|dl|dt|fieldset|figcaption|figure|footer"
    "|form|h[1-6]|header|hr|main|nav|ol|p|pre|section|table|tbody|td|tfoot|th|thead|tr|ul"
)
# ``[^<>]*`` rather than ``[^>]*``: a tag without its ``>`` must not make every later ``<`` scan to
# the end of the text (quadratic on "<div<div<div...").
_BLOCK_RE = re.compile(rf"<\s*/?\s*(?:{_BLOCK_TAGS})(?![a-z0-9:-])[^<>]*>", re.IGNORECASE)
_BR_RE = re.compile(r"<\s*/?\s*br(?![a-z0-9:-])[^<>]*>", re.IGNORECASE)
_LI_RE = re.compile(r"<\s*li(?![a-z0-9:-])[^<>]*>", re.IGNORECASE)
_BLOCK_NAME_RE = re.compile(rf"(?:{_BLOCK_TAGS})", re.IGNORECASE)
#: Elements removed with their content (raw-text elements would otherwise leak markup as text).
_DROP_CONTENT = {
    "script",
    "style",
    "head",
    "title",
    "template",
    "iframe",
    "frame",
    "frameset",
    "noscript",
    "noembed",
    "noframes",
    "xmp",
    "plaintext",
    "textarea",
    "select",
    "object",
    "embed",
    "applet",
    "svg",
    "math",
}


#: Elements whose content the HTML tokenizer reads as text up to their own end tag.
_RAW_TEXT = frozenset(
    {"script", "style", "xmp", "iframe", "noembed", "noframes", "noscript", "textarea", "title"}
)
_RAW_END_RE = {
    name: re.compile(rf"</{name}(?=[\t\n\f\r />]|$)", re.IGNORECASE) for name in _RAW_TEXT
}
# One markup token: a comment opener (its end is found with str.find), a start or end tag with
# its attributes (quoted values may hold ">"; an unterminated quote or tag runs to the end, as
# in a browser), or a doctype / processing instruction / bogus comment. The alternatives always
# match once they start, so a search never backtracks: one pass over the text.
_MARKUP_RE = re.compile(
    r"<(?:!--|(/?)([A-Za-z][^\t\n\f\r />]*)(?:[^>\"']+|\"[^\"]*\"?|'[^']*'?)*>?|[!?/][^>]*>?)"
)

#: First line of the text of a message whose HTML took the linear path.
HTML_LIMIT_NOTE = (
    "[Persist: this message's HTML is too complex to lay out safely (more than {tags} tags); "
    "its text was extracted without formatting.]"
)


@dataclass
class HtmlBudget:
    """Tags nh3 may still be given for one message, and whether any HTML went past them."""

    remaining: int
    exceeded: bool = False


# A run of one tag written the same way three or more times in a row, whitespace between them
# allowed (no quotes: a quote could open an attribute value that hides what follows). ``<li>``
# is not in it (each is a bullet), nor are elements whose content is dropped or read as raw
# text (their nesting is counted).
_REPEATED_TAG_RE = re.compile(
    r"(</?(?!(?:li|" + "|".join(sorted(_DROP_CONTENT | _RAW_TEXT)) + r")[\t\n\f\r />])"
    r"[A-Za-z][A-Za-z0-9]*(?:[\t\n\f\r /][^<>\"'!?\-]*)?>)(?:[\t\n\f\r ]*\1){2,}",
    re.IGNORECASE | re.ASCII,
)


def _three_copies(match: re.Match) -> str:
    # Three copies say what any number does: no text, the line breaks of two or more block tags
    # (or <br>) collapse to one blank line, and whitespace anywhere in the run to one space
    # (``_text_from_markup``). Three, not two: a tag before the run may swallow the first copy
    # (``<a<br>``).
    space = " " if any(char in match.group(0) for char in "\t\n\f\r ") else ""
    return match.group(1) * 3 + space


def _repeats_cut(source: str) -> str:
    """``source`` with every run of a repeated tag cut to three copies (the same text), in one
    pass of the regular expression engine: 400 000 nested ``<div>`` become three."""
    return _REPEATED_TAG_RE.sub(_three_copies, source)


def _html_markup_text(source: str) -> str:
    """Linear tag stripper: the text of ``source`` with line / bullet sentinels, unescaped later.

    Same output rules as the nh3 path, without building a tree: time and memory are linear in
    the input whatever its nesting (html5ever's tree building is not).
    """
    out: list[str] = []
    pos, end = 0, len(source)
    dropping, drop_depth = "", 0  # inside an element whose content is removed
    while pos < end:
        match = _MARKUP_RE.search(source, pos)
        if match is None:
            if not dropping:
                out.append(source[pos:])
            break
        if not dropping:
            out.append(source[pos : match.start()])
        pos = match.end()
        if match.group(0) == "<!--":
            close = source.find("-->", pos)
            pos = end if close < 0 else close + 3
            continue
        if match.group(2) is None:  # doctype, processing instruction, bogus comment
            continue
        name, closing = match.group(2).lower(), bool(match.group(1))
        if dropping:
            if name == dropping:
                drop_depth += -1 if closing else 1
                if drop_depth <= 0:
                    dropping = ""
            continue
        if not closing and name == "plaintext":
            break  # everything after <plaintext> is its (dropped) content
        if not closing and name in _RAW_TEXT:
            found = _RAW_END_RE[name].search(source, pos)
            pos = end if found is None else found.start()
            continue
        if not closing and name in _DROP_CONTENT:
            dropping, drop_depth = name, 1
            continue
        if name == "li" and not closing:
            out.append(_LINE + _BULLET)
        elif name == "br":
            out.append(_LINE)
        elif _BLOCK_NAME_RE.fullmatch(name):
            out.append(_LINE + _LINE)  # as the nh3 path: one before and one after the tag
    return "".join(out)


def html_to_text(html_source: str, *, budget: HtmlBudget | None = None) -> str:
    """Plain text of an HTML document: nh3 removes every tag and attribute (and the content of
    script, style, iframe and similar elements), block elements become line breaks, list items
    get "- ", entities are unescaped and whitespace is collapsed as a browser would.

    HTML with more tags than the ``budget`` left (``MAX_HTML_TAGS`` when none is given) takes
    the linear path instead, and the budget records that it was exceeded.
    """
    if not html_source:
        return ""
    if budget is None:
        budget = HtmlBudget(MAX_HTML_TAGS)
    source = _no_surrogates(html_source).replace(_LINE, "").replace(_BULLET, "")
    source = source[:MAX_HTML_INPUT_CHARS]
    tags = source.count("<")
    if tags > budget.remaining:
        budget.exceeded = True
        return _text_from_markup(_html_markup_text(_repeats_cut(source)))
    budget.remaining -= tags
    source = _LI_RE.sub(lambda m: _LINE + _BULLET + m.group(0), source)
    source = _BLOCK_RE.sub(lambda m: _LINE + m.group(0) + _LINE, source)
    source = _BR_RE.sub(_LINE, source)
    cleaned = nh3.clean(
        source,
        tags=set(),
        clean_content_tags=_DROP_CONTENT,
        attributes={},
        strip_comments=True,
        link_rel=None,
    )
    return _text_from_markup(cleaned)


def _text_from_markup(cleaned: str) -> str:
    """Tag-free HTML with sentinels -> plain text: entities, whitespace, lines, bullets."""
    text = html.unescape(cleaned).replace("\u200b", "").replace("\ufeff", "")
    text = " ".join(_no_surrogates(text).split())
    lines = []
    for line in text.split(_LINE):
        line = line.replace(_BULLET, " - ")
        lines.append(" ".join(line.split()))
    return _clean_text("\n".join(lines), MAX_TEXT_CHARS)


# --- reply tokens ----------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")


def reply_token(
    addresses: Iterable[str], *, reply_local: str = "reply", reply_domain: str
) -> str | None:
    """Token from the first address 'reply+<token>@<reply_domain>' (case-insensitive domain and
    local part; token returned as given, must match [A-Za-z0-9_-]{8,64}), else None.

    ``ParsedEmail.recipients`` are lower-cased, so tokens read from them are lower-case: token
    lookups must be case-insensitive (or tokens generated in lower case).
    """
    domain = (reply_domain or "").strip().rstrip(".").lower()
    prefix = (reply_local or "").strip().lower() + "+"
    if not domain or prefix == "+":
        return None
    for raw in addresses:
        if not isinstance(raw, str):
            continue
        address = raw.strip().strip("<>").strip()
        local, at, host = address.rpartition("@")
        if not at or host.rstrip(".").lower() != domain:
            continue
        if not local.lower().startswith(prefix):
            continue
        token = local[len(prefix) :]
        if _TOKEN_RE.fullmatch(token):
            return token
    return None


# --- lenient header block ---------------------------------------------------------------------

_BOM = b"\xef\xbb\xbf"
#: A header field line: a name of printable ASCII but ":" (RFC 5322 ftext), then the colon;
#: whitespace before the colon is obsolete syntax that real mail still carries.
_FIELD_LINE_RE = re.compile(rb"[!-9;-~]+[ \t]*:")
_BLANK_LINE_RE = re.compile(rb"\n\r?\n")


def _without_junk_header_lines(raw: bytes) -> tuple[bytes, int]:
    """``raw`` without the junk lines inside its header block, and how many were dropped.

    The stdlib parser ends the header at the first line that is not a field, so one stray
    line (``quite Delivered-To: ...``) pushes From, Date and Message-ID into the body. Mail
    clients read past it; so does this (see the module docstring for where it stops).
    """
    blank = _BLANK_LINE_RE.search(raw)
    if blank is None:
        return raw, 0
    head_end = blank.start() + 1
    lines = raw[:head_end].splitlines(keepends=True)
    kinds = []
    for number, line in enumerate(lines):
        if line[:1] in (b" ", b"\t"):
            kinds.append("fold")
        elif _FIELD_LINE_RE.match(line) or (number == 0 and line.startswith(b"From ")):
            kinds.append("field")
        else:
            kinds.append("junk")
    if "junk" not in kinds:
        return raw, 0
    last_field = max((n for n, kind in enumerate(kinds) if kind == "field"), default=-1)
    kept, dropped, in_junk = [], 0, False
    for number, (line, kind) in enumerate(zip(lines, kinds, strict=True)):
        if number > last_field:
            kept.extend(lines[number:])  # the body starts here (no blank line before it)
            break
        if kind == "junk":
            dropped, in_junk = dropped + 1, True
        elif kind == "field":
            kept.append(line)
            in_junk = False
        elif not in_junk:  # a fold continues the field before it, not a dropped line
            kept.append(line)
    if not dropped:
        return raw, 0
    return b"".join(kept) + raw[head_end:], dropped


# --- content fingerprint ---------------------------------------------------------------------

#: The header fields that identify a message, compared after decoding and normalising.
_FINGERPRINT_FIELDS = ("from", "sender", "to", "cc", "subject", "date", "message-id")


def content_fingerprint(
    *,
    headers: Iterable[tuple[str, str]],
    text: str,
    attachments: Iterable[ParsedAttachment],
) -> str:
    """SHA-256 of what a message says, not how its bytes spell it.

    ESPs that post a parsed message (SendGrid's default format, Postmark's JSON) are rebuilt
    into MIME by anymail with a random boundary, so the byte fingerprint differs on every
    redelivery. These survive: the identity fields (``_FINGERPRINT_FIELDS``: RFC 2047 decoded,
    whitespace collapsed, case-folded, addresses lower-cased, a Date as its instant), the
    decoded text body, and each attachment's name, type and content digest, in order.
    """
    digest = hashlib.sha256(b"persist-content-v1")

    def add(label: str, value: str) -> None:
        data = value.encode("utf-8", "surrogatepass")
        digest.update(f"\n{label}:{len(data)}:".encode())
        digest.update(data)

    for name, value in headers:
        add(name, value)
    add("text", text)
    for attachment in attachments:
        add("attachment", f"{attachment.filename}\x1f{attachment.content_type}")
        add("sha256", attachment.sha256)
    return digest.hexdigest()


def _identity_headers(msg: Message, sent_at: datetime | None) -> list[tuple[str, str]]:
    found = []
    for name in _FINGERPRINT_FIELDS:
        values = _raw_header_values(msg, name)
        if not values:
            continue
        if name == "date" and sent_at is not None:
            value = sent_at.astimezone(UTC).isoformat()
        elif name in {"from", "sender", "to", "cc"}:
            value = ",".join(sorted(a for v in values for a in _addresses_lenient(v)))
            value = value or _fold_for_match(" ".join(decode_header_value(v) for v in values))
        elif name == "message-id":
            value = " ".join(_clean_id(v) for v in values)
        else:
            value = _fold_for_match(" ".join(decode_header_value(v) for v in values))
        found.append((name, value))
    return found


# --- the parser ----------------------------------------------------------------------------


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse one message. Raises ``NotAnEmail`` (and nothing else) for input that is not one."""
    try:
        return _parse(raw)
    except NotAnEmail:
        raise
    except MemoryError:
        raise
    except Exception as exc:  # a parser bug must not crash the pipe: report, keep the cause
        raise NotAnEmail(f"unparseable message ({type(exc).__name__})") from exc


def _parse_structure(raw: bytes) -> tuple[Message, str]:
    """The parsed message, and the defect name when only its header could be parsed.

    The stdlib parser re-parses each part's Content-Type several times (slow for tens of
    thousands of parts) and recurses per nesting level (RecursionError for hundreds): such
    messages keep their header fields (sender, ids, automation markers) but lose the body.
    """
    parser = BytesParser(_ParsedMessage, policy=_PARSE_POLICY)
    if raw.count(b"\n--") > 2 * MAX_MIME_PARTS:
        return parser.parsebytes(raw, headersonly=True), "TooManyMimeParts"
    try:
        return parser.parsebytes(raw), ""
    except RecursionError:
        return parser.parsebytes(raw, headersonly=True), "MimeNestingTooDeep"


def _parse(raw: bytes) -> ParsedEmail:
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise NotAnEmail("expected the message as bytes")
    raw = bytes(raw)
    if not raw.strip():
        raise NotAnEmail("empty input")
    # A byte-order mark (editors and some Windows tools write one) is not part of a field name.
    source = raw.lstrip(b"\r\n")
    if source.startswith(_BOM):
        source = source[len(_BOM) :].lstrip(b"\r\n")
    source, junk_lines = _without_junk_header_lines(source)
    msg, structure_defect = _parse_structure(source)
    try:
        names = [(name.strip().lower(), value) for name, value in msg.raw_items()]
    except Exception:
        names = []
    if not names:
        raise NotAnEmail("no header fields (binary data or plain text, not a message)")
    if not any(name in _IDENTITY_FIELDS and str(value).strip() for name, value in names):
        raise NotAnEmail("no From, Sender, Date or Message-ID header field")

    defects: list[str] = []

    def defect(name: str) -> None:
        if name not in defects and len(defects) < MAX_DEFECTS:
            defects.append(name)

    if structure_defect:
        defect(structure_defect)
    if junk_lines:
        defect("InvalidHeaderLine")

    # Identity and threading.
    message_id = ""
    raw_id = _first_header(msg, "Message-ID")
    if raw_id is not None:
        ids = _ANGLE_ID_RE.findall(_desurrogate(raw_id))
        message_id = _clean_id(ids[0] if ids else _desurrogate(raw_id).strip())
        if len(message_id) > MAX_MESSAGE_ID_CHARS:
            message_id = ""
            defect("MessageIdTooLong")
    in_reply_to = _message_ids(_raw_header_values(msg, "In-Reply-To"))
    references = _message_ids(_raw_header_values(msg, "References"))

    # Sender.
    from_values = _raw_header_values(msg, "From")
    from_header = _clean_line(
        ", ".join(decode_header_value(v) for v in from_values), MAX_HEADER_CHARS
    )
    from_address = from_display = ""
    if len(from_values) == 1:
        parsed = strict_single_address(from_values[0])
        if parsed is not None and _policy_default_agrees(msg, parsed[1]):
            from_address = parsed[1]
            from_display = _clean_line(decode_header_value(parsed[0]), MAX_HEADER_CHARS)
    elif len(from_values) > 1:
        defect("MultipleFromFields")

    recipients: list[str] = []
    for name in ("To", "Cc", "Delivered-To", "X-Original-To"):
        for value in _raw_header_values(msg, name):
            for address in _addresses_lenient(value):
                if address not in recipients and len(recipients) < MAX_RECIPIENTS:
                    recipients.append(address)

    subject_raw = _first_header(msg, "Subject")
    subject = _clean_line(decode_header_value(subject_raw or ""), MAX_HEADER_CHARS)

    sent_at = _parse_date(_first_header(msg, "Date"))

    # Body and attachments (not when only the header could be parsed).
    budget = HtmlBudget(MAX_HTML_TAGS)
    pieces = [] if structure_defect else [(k, t) for k, t in _body_pieces(msg, budget) if t.strip()]
    text = _clean_text("\n\n".join(text for _, text in pieces), MAX_TEXT_CHARS)
    if budget.exceeded:
        # Shown on the timeline with the message: the text lost its layout, not its words.
        defect("HtmlTooComplex")
        note = HTML_LIMIT_NOTE.format(tags=MAX_HTML_TAGS)
        text = _clean_text(f"{note}\n\n{text}", MAX_TEXT_CHARS)
    had_html_only = bool(pieces) and all(kind == "html" for kind, _ in pieces)

    attachments: list[ParsedAttachment] = []
    part_types: set[str] = set()
    walked = 0
    for part, ctype, depth in () if structure_defect else _walk(msg):
        walked += 1
        part_types.add(ctype)
        try:
            for item in part.defects:
                defect(type(item).__name__)
        except Exception:
            pass
        if depth == MAX_MIME_DEPTH and _children(part):
            defect("MimeNestingTooDeep")
        if _is_attachment(part, ctype) and len(attachments) < MAX_ATTACHMENTS:
            size, sha256 = _part_size_and_digest(part, ctype)
            attachments.append(
                ParsedAttachment(
                    filename=_filename(part),
                    content_type=_clean_line(ctype, 255),
                    size=size,
                    oversized=size > MAX_ATTACHMENT_BYTES_RECORDED,
                    sha256=sha256,
                )
            )
    if walked >= MAX_MIME_PARTS:
        defect("TooManyMimeParts")

    # Automated mail.
    auto_reasons: list[str] = []
    bounce_reasons: list[str] = []
    receipt_reasons: list[str] = []

    auto_submitted = _first_token(_first_header(msg, "Auto-Submitted"))
    if auto_submitted and auto_submitted != "no":
        auto_reasons.append(f"Auto-Submitted: {auto_submitted[:40]}")
    for name in ("X-Autoreply", "X-Autorespond"):
        value = _first_header(msg, name)
        if value is not None and _first_token(value) not in _NEGATIVE_VALUES:
            shown = _clean_line(_desurrogate(value), 40) or "(empty)"
            auto_reasons.append(f"{name}: {shown}")
    precedence = _first_token(_first_header(msg, "Precedence"))
    if precedence in {"auto_reply", "bulk", "junk", "list"}:
        auto_reasons.append(f"Precedence: {precedence}")
    folded_subject = _fold_for_match(subject)
    if _OOO_SUBJECT_RE.search(folded_subject):
        auto_reasons.append("Out-of-office subject")

    top_type = _content_type(msg)
    if top_type == "multipart/report":
        report_type = _param(msg, "report-type").strip().lower()
        if report_type == "disposition-notification":
            receipt_reasons.append("Read receipt (disposition notification)")
        elif report_type == "delivery-status":
            bounce_reasons.append("Delivery status report")
        else:
            shown = _clean_line(report_type, 40) or "none"
            bounce_reasons.append(f"Report (multipart/report; report-type={shown})")
    if "message/delivery-status" in part_types and not bounce_reasons:
        bounce_reasons.append("Delivery status report")
    if "message/disposition-notification" in part_types and not receipt_reasons:
        receipt_reasons.append("Read receipt (disposition notification)")
    if _raw_header_values(msg, "X-Failed-Recipients"):
        bounce_reasons.append("X-Failed-Recipients")
    if from_address:
        sender_local = from_address.rsplit("@", 1)[0].split("+", 1)[0]
        system_sender = sender_local if sender_local in _SYSTEM_SENDERS else ""
    else:
        found = _SYSTEM_SENDER_RE.search(from_header)
        system_sender = found.group(1).lower() if found else ""
    if system_sender:
        shown = "MAILER-DAEMON" if system_sender == "mailer-daemon" else "postmaster"
        bounce_reasons.append(f"Sender {shown}")
    if _RECEIPT_SUBJECT_RE.search(folded_subject) and any(
        _raw_header_values(msg, field) for field in _MDN_FIELDS
    ):
        receipt_reasons.append("Read receipt (receipt subject with MDN fields)")
    return_path = _first_header(msg, "Return-Path")
    if (
        return_path is not None
        and "".join(return_path.split()) == "<>"
        and not (auto_reasons or bounce_reasons or receipt_reasons)
    ):
        auto_reasons.append("Null return path (Return-Path: <>)")

    return ParsedEmail(
        message_id=message_id,
        fingerprint=hashlib.sha256(raw).hexdigest(),
        from_address=from_address,
        from_display=from_display,
        from_header=from_header,
        recipients=tuple(recipients),
        subject=subject,
        sent_at=sent_at,
        in_reply_to=in_reply_to,
        references=references,
        text=text,
        had_html_only=had_html_only,
        attachments=tuple(attachments),
        is_auto_reply=bool(auto_reasons),
        is_bounce=bool(bounce_reasons),
        is_read_receipt=bool(receipt_reasons),
        automated_reason=_clean_line(
            "; ".join(bounce_reasons + receipt_reasons + auto_reasons), 500
        ),
        defects=tuple(defects),
        # Without a Date or Message-ID nothing tells two short identical notes ("Any news?")
        # from the same sender apart: they must not collapse into one, so no content fingerprint.
        content_fingerprint=content_fingerprint(
            headers=_identity_headers(msg, sent_at), text=text, attachments=attachments
        )
        if sent_at is not None or message_id
        else "",
    )


def _parse_date(value: str | None) -> datetime | None:
    if value is None:
        return None
    value = _clean_line(_desurrogate(value), 200)
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, IndexError, AttributeError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:  # "-0000": time in UTC, zone unknown (RFC 5322 3.3)
        parsed = parsed.replace(tzinfo=UTC)
    return parsed
