"""Rejection and acknowledgement emails: placeholder substitution and the send time. Pure.

Admins write the templates; candidates choose their own names. So the substitution is not a
template language: ``{first_name}`` and a handful of other names are replaced by plain text and
nothing else is evaluated (no attribute access, no filters, no tags: the Django template engine
on admin input would let an admin read any context object). Values are flattened to one line
and bounded, so a hostile name cannot add header fields to the subject or flood the body; the
email is plain text and every page shows it escaped.

The send time is calendar arithmetic like ``hiring.deadlines``: ``now``, the delay and the
calendar come in as arguments, nothing reads the clock or the database.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hiring.deadlines import DEFAULT_WEEKEND, MAX_SEARCH_DAYS, is_business_day, local_instant

#: The names a template may use, with what each stands for (shown in the admin).
PLACEHOLDERS: dict[str, str] = {
    "first_name": "the candidate's first name",
    "requisition_title": "the role (the requisition's title)",
    "company": "the company name set on the template",
    "hiring_manager_name": "the hiring manager's full name",
    "hiring_manager_first_name": "the hiring manager's first name",
}
#: Sample values for the admin's preview.
SAMPLE_VALUES: dict[str, str] = {
    "first_name": "Dana",
    "requisition_title": "Account Executive",
    "company": "Acme",
    "hiring_manager_name": "Morgan Lee",
    "hiring_manager_first_name": "Morgan",
}
#: A substituted value never exceeds this many characters.
MAX_VALUE_CHARS = 120

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Control characters (line breaks, NUL, tabs, the C1 range, Unicode line separators): any of
# them in a value would break a header line or a layout.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def placeholders_unknown(text: str) -> list[str]:
    """The ``{names}`` in ``text`` that are not placeholders, in order, once each."""
    return list(dict.fromkeys(n for n in _PLACEHOLDER.findall(text) if n not in PLACEHOLDERS))


def value_clean(value: str) -> str:
    """One line of at most ``MAX_VALUE_CHARS`` characters, control characters made spaces."""
    return " ".join(_CONTROL.sub(" ", value or "").split())[:MAX_VALUE_CHARS].strip()


def text_render(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each known ``{name}`` replaced by its cleaned value. Unknown names stay as
    written (the admin form refuses them; this keeps an old template sendable). A value is
    inserted once and never scanned again, so ``{first_name}`` in a name stays literal."""

    def substitute(match: re.Match) -> str:
        name = match.group(1)
        if name not in PLACEHOLDERS:
            return match.group(0)
        return value_clean(values.get(name, ""))

    return _PLACEHOLDER.sub(substitute, text)


def subject_render(text: str, values: Mapping[str, str]) -> str:
    """The subject: rendered, then flattened to one header line."""
    return value_clean(text_render(text, values).replace("\n", " "))[:200] or "(no subject)"


# --- When the email goes -------------------------------------------------------------------


class DelayKind:
    AFTER = "after"
    NEXT_BUSINESS_MORNING = "next_business_morning"


@dataclass(frozen=True)
class SendDelay:
    """When an email scheduled at ``now`` goes out.

    ``minutes`` is the least time it waits: the window in which the sender can cancel it.
    ``after``: exactly then. ``next_business_morning``: the first business day's ``morning`` in
    the recipient's zone at or after that.
    """

    kind: str = DelayKind.NEXT_BUSINESS_MORNING
    minutes: int = 60
    morning: time = time(9, 0)

    def __post_init__(self) -> None:
        if self.kind not in (DelayKind.AFTER, DelayKind.NEXT_BUSINESS_MORNING):
            raise ValueError(f"Unknown delay kind {self.kind!r}.")
        if self.minutes < 0:
            raise ValueError(f"minutes must not be negative, got {self.minutes}.")
        if self.morning.tzinfo is not None:
            raise ValueError("morning must be a naive wall-clock time.")


def send_at(
    *,
    now: datetime,
    delay: SendDelay,
    tz: ZoneInfo,
    weekend: Container[int] = DEFAULT_WEEKEND,
    holidays: Container[date] = frozenset(),
) -> datetime:
    """The instant (UTC) an email scheduled at ``now`` is sent.

    The cancel window is absolute time (60 minutes across a DST change are 60 real minutes);
    the morning is wall-clock time in ``tz``, resolved like deadlines (``local_instant``: a
    time in the spring-forward gap moves forward by the gap, an ambiguous one is its first
    occurrence). Raises ``ValueError`` for a naive ``now`` or a calendar without business days.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be an aware datetime, got naive {now!r}.")
    earliest = now.astimezone(UTC) + timedelta(minutes=delay.minutes)
    if delay.kind == DelayKind.AFTER:
        return earliest
    # Start a day early: a morning pushed forward through a gap could cross midnight.
    day = earliest.astimezone(tz).date() - timedelta(days=1)
    for _ in range(MAX_SEARCH_DAYS + 2):
        if is_business_day(day, weekend=weekend, holidays=holidays):
            at = local_instant(day, delay.morning, tz)
            if at >= earliest:
                return at
        day += timedelta(days=1)
    raise ValueError(
        f"No business morning within {MAX_SEARCH_DAYS} days of {earliest.isoformat()}: "
        "check the weekend and holidays."
    )
