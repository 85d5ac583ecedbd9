"""Finding and replacing an erased candidate's identifiers inside free text that is kept.

Records that must outlive the candidate (the audit trail, failed sign-ins, import file names,
interview round titles, the erasure's own reference note) may quote the candidate. They are
not deleted; the identifiers in them are replaced with ``PLACEHOLDER``.

Two strengths of pattern, because a first name alone is not an identifier everywhere:

* ``strong``: every address, every phone number in any common spelling (E.164, national,
  with spaces, dots, dashes or brackets, with or without the country code or trunk ``0``),
  and the full name (first and last, either order, any separator). Safe to search for in
  rows that belong to no one in particular (failed sign-ins, orphan raw messages, task rows).
* ``full``: ``strong`` plus each part of the first and last names on its own. Only applied
  to rows that belong to the candidate (their rounds, their objects' audit events): there
  "Dana" means them, while in a staff account's failed sign-in it may not.

Each pattern exists in two dialects with the same meaning: PostgreSQL's (for set-based
``~*`` / ``regexp_replace`` in SQL) and Python's (for JSON values and bytes, walked in Python).
They differ only in how a word boundary is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers

PLACEHOLDER = "[erased]"
# Between the digits of a phone number as people type it: spaces, dots, dashes, brackets.
_PHONE_SEPARATORS = r"[\s.()/-]*"
_NAME_SEPARATORS = r"[\s_.,-]+"
# Name parts shorter than this are not sought on their own (initials would match everywhere).
MIN_NAME_PART = 2


@dataclass(frozen=True)
class _Dialect:
    before: str  # not preceded by a letter or digit
    after: str  # not followed by a letter or digit


_SQL = _Dialect(before="(?<![[:alnum:]])", after="(?![[:alnum:]])")
_PY = _Dialect(before=r"(?<![^\W_])", after=r"(?![^\W_])")


def _phone(e164: str) -> str:
    """A regex for the number with any separators between its digits (the same in both
    dialects: both read ``\\d``, ``\\s`` and look-arounds alike)."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return re.escape(e164)
    digits = _PHONE_SEPARATORS.join(phonenumbers.national_significant_number(parsed))
    sep = _PHONE_SEPARATORS
    prefix = rf"(?:(?:\+|00)?{sep}{parsed.country_code}{sep}(?:\(0\){sep})?|0{sep})?"
    return rf"(?<!\d){prefix}\(?{digits}(?!\d)"


def _words(value: str) -> list[str]:
    return [w for w in re.split(r"[\s,-]+", value or "") if w]


def _digits(e164: str) -> str:
    try:
        return phonenumbers.national_significant_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return re.sub(r"\D", "", e164)


_SEPARATORS = re.compile(r"[\s.()/-]+")


class Matcher:
    """A Python pattern with a cheap pre-check: a text can only match if it contains one of
    the tokens (lower-cased), or, once separators are removed, one of the numbers' digits.
    Plain substring tests are fast; a regex of hundreds of alternatives (a retention batch)
    over every row is not."""

    def __init__(self, pattern: re.Pattern, words: Iterable[str], digits: Iterable[str]):
        self.pattern = pattern
        self.words = tuple(sorted(set(words)))
        self.digits = tuple(sorted(set(digits)))

    def _may_match(self, text: str) -> bool:
        lowered = text.lower()
        if any(word in lowered for word in self.words):
            return True
        if self.digits:
            bare = _SEPARATORS.sub("", lowered)
            return any(number in bare for number in self.digits)
        return False

    def search(self, text: str) -> bool:
        return self._may_match(text) and self.pattern.search(text) is not None

    def sub(self, text: str) -> str:
        return self.pattern.sub(PLACEHOLDER, text) if self._may_match(text) else text


@dataclass(frozen=True)
class Identifiers:
    """The identifiers of the candidates being erased, as regexes (see the module docstring)."""

    addresses: tuple[str, ...]
    numbers: tuple[str, ...]
    names: tuple[tuple[str, str], ...]  # (first, last)

    @classmethod
    def of(
        cls, *, addresses: Iterable[str], numbers: Iterable[str], names: Iterable
    ) -> Identifiers:
        return cls(
            addresses=tuple(sorted({a for a in addresses if a})),
            numbers=tuple(sorted({n for n in numbers if n})),
            names=tuple(sorted({(first or "", last or "") for first, last in names})),
        )

    def _alternatives(self, dialect: _Dialect, *, parts: bool) -> list[str]:
        found = [re.escape(a) for a in self.addresses]
        found += [_phone(n) for n in self.numbers]
        bounded = set()
        for first, last in self.names:
            first_words, last_words = _words(first), _words(last)
            if first_words and last_words:
                for order in (first_words + last_words, last_words + first_words):
                    bounded.add(_NAME_SEPARATORS.join(re.escape(w) for w in order))
            if parts:
                bounded |= {
                    re.escape(w) for w in first_words + last_words if len(w) >= MIN_NAME_PART
                }
                for whole in (first, last):
                    if whole.strip():
                        bounded.add(re.escape(whole.strip()))
        found += [f"{dialect.before}{b}{dialect.after}" for b in bounded]
        # Longest first: Python takes the first alternative that matches, and a full name must
        # be replaced whole rather than word by word.
        return sorted(set(found), key=lambda a: (-len(a), a))

    def sql(self, *, parts: bool = False) -> str | None:
        """PostgreSQL regex (for ``~*`` and ``regexp_replace(..., 'gi')``); None if nothing."""
        alternatives = self._alternatives(_SQL, parts=parts)
        return "|".join(f"(?:{a})" for a in alternatives) if alternatives else None

    def python(self, *, parts: bool = False) -> Matcher | None:
        alternatives = self._alternatives(_PY, parts=parts)
        if not alternatives:
            return None
        pattern = re.compile("|".join(f"(?:{a})" for a in alternatives), re.IGNORECASE)
        return Matcher(pattern, self.words(), [_digits(n) for n in self.numbers])

    def words(self) -> list[str]:
        """Lower-cased strings one of which any match contains, numbers aside: the addresses,
        and the first word of each name (a full name or a name part starts with one)."""
        found = [a.lower() for a in self.addresses]
        for first, last in self.names:
            found += [w.lower() for w in _words(first) + _words(last)]
        return found

    def prefilter_sql(self, *, escaped_bytes: bool = False) -> str | None:
        """A PostgreSQL regex, for ``lower(column) ~ …``, that every text quoting one of the
        identifiers matches (a word of ``words``, or a number's digits with any separators),
        and that PostgreSQL runs in one pass: a cheap pre-filter before the exact match.

        With ``escaped_bytes`` the words are written as ``encode(bytea, 'escape')`` writes
        them (non-ASCII bytes as ``\\ooo``), to search raw bytes decoded that way."""

        def escape_encoded(value: str) -> str:
            return "".join(
                "\\\\" if b == 0x5C else chr(b) if 0 < b < 0x80 else f"\\{b:03o}"
                for b in value.encode("utf-8")
            )

        words = [escape_encoded(w) if escaped_bytes else w for w in self.words()]
        alternatives = [re.escape(w) for w in sorted(set(words))]
        alternatives += [_PHONE_SEPARATORS.join(_digits(n)) for n in self.numbers]
        return "|".join(alternatives) or None

    def exact(self) -> list[str]:
        """Lower-cased whole values a typed field may equal: addresses, numbers, full names."""
        found = [a.lower() for a in self.addresses] + list(self.numbers)
        for first, last in self.names:
            if first.strip() and last.strip():
                found += [f"{first} {last}".lower(), f"{last} {first}".lower()]
        return found


def scrub_text(value: str, pattern: Matcher | None, *, max_length: int | None = None) -> str:
    if not value or pattern is None:
        return value
    scrubbed = pattern.sub(value)
    return scrubbed[:max_length] if max_length else scrubbed


def scrub_json(value, pattern: Matcher | None):
    """The JSON value with identifiers replaced in every string (keys included); the structure
    and the numbers are left as they are, so the result is still valid JSON of the same shape."""
    if pattern is None:
        return value
    if isinstance(value, str):
        return pattern.sub(value)
    if isinstance(value, list):
        return [scrub_json(item, pattern) for item in value]
    if isinstance(value, dict):
        return {scrub_json(k, pattern): scrub_json(v, pattern) for k, v in value.items()}
    return value
