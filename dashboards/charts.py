"""Server-side SVG charts: pure functions from plain data to markup, no ORM and no JavaScript.

Every piece of text that reaches the markup goes through :func:`_esc` (``xml.sax.saxutils``),
so templates may render the result with ``|safe``. Each chart carries ``role="img"`` with a
``<title>`` and ``<desc>``; the ``*_table`` companions return the same numbers as a plain table
for the ``<details>`` under the chart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from hashlib import blake2b
from xml.sax.saxutils import escape

from hiring.wording import week_of

SVG_NS = "http://www.w3.org/2000/svg"
WIDTH = 640
EMPTY_TEXT = "No data yet"
EN_DASH = "\u2013"
LATENCY_BUCKETS = ("<24h", f"24{EN_DASH}48h", f"48{EN_DASH}72h", ">72h")
REACHED_COLOR = "#2f7d4f"
SILENT_COLOR = "#b8483a"
BAR_COLOR = "#3b6ea8"


@dataclass(frozen=True)
class Table:
    """The chart's numbers as a plain table (rendered as text by the template, autoescaped)."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def _esc(value: object) -> str:
    """Escape text for element content and double-quoted attributes."""
    return escape(str(value), {'"': "&quot;", "'": "&#x27;"})


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _open(title: str, desc: str, height: int, css_class: str) -> list[str]:
    # Deterministic ids (no module state): unique per chart content on a page.
    uid = blake2b(f"{title}\n{desc}".encode(), digest_size=4).hexdigest()
    return [
        f'<svg xmlns="{SVG_NS}" class="chart {_esc(css_class)}" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'aria-labelledby="chart-{uid}-title chart-{uid}-desc">',
        f'<title id="chart-{uid}-title">{_esc(title)}</title>',
        f'<desc id="chart-{uid}-desc">{_esc(desc)}</desc>',
    ]


def _empty(title: str, css_class: str) -> str:
    parts = _open(title, f"{title}: {EMPTY_TEXT.lower()}.", 80, css_class)
    parts.append(
        f'<text x="{WIDTH // 2}" y="45" text-anchor="middle" class="empty">{EMPTY_TEXT}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _text(x: float, y: float, value: object, *, anchor: str = "start", css: str = "") -> str:
    klass = f' class="{css}"' if css else ""
    return f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}"{klass}>{_esc(value)}</text>'


def _rect(x: float, y: float, w: float, h: float, *, fill: str, label: str, value: int) -> str:
    return (
        f'<rect class="bar" x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}" '
        f'fill="{fill}" data-value="{value}"><title>{_esc(label)}</title></rect>'
    )


# --- Funnel -------------------------------------------------------------------------------


def conversions(stages: Sequence[tuple[str, int]]) -> list[float | None]:
    """Stage-to-stage conversion in percent; ``None`` for the first stage or after zero."""
    result: list[float | None] = []
    previous: int | None = None
    for _name, value in stages:
        result.append(None if not previous else value * 100 / previous)
        previous = value
    return result


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{_num(value)}%"


def funnel_svg(stages: list[tuple[str, int]]) -> str:
    """Horizontal bars, one per stage in pipeline order, with counts and conversion rates."""
    title = "Stage funnel"
    if not stages or not any(value for _name, value in stages):
        return _empty(title, "funnel")
    label_w, bar_w, row_h = 170, 330, 30
    top = max(value for _name, value in stages)
    rates = conversions(stages)
    summary = "; ".join(
        f"{name}: {value}" + ("" if rate is None else f" ({_pct(rate)} of previous)")
        for (name, value), rate in zip(stages, rates, strict=True)
    )
    parts = _open(
        title,
        f"Applications that reached each stage. {summary}.",
        20 + row_h * len(stages),
        "funnel",
    )
    for i, ((name, value), rate) in enumerate(zip(stages, rates, strict=True)):
        y = 10 + i * row_h
        width = bar_w * value / top
        parts.append(_text(label_w - 8, y + 18, name, anchor="end"))
        parts.append(
            _rect(
                label_w,
                y + 4,
                width,
                row_h - 8,
                fill=BAR_COLOR,
                label=f"{name}: {value}",
                value=value,
            )
        )
        note = f"{value}" if rate is None else f"{value} · {_pct(rate)}"
        parts.append(_text(label_w + width + 6, y + 18, note, css="value"))
    parts.append("</svg>")
    return "".join(parts)


def funnel_table(stages: list[tuple[str, int]]) -> Table:
    first = stages[0][1] if stages else 0
    rows = tuple(
        (name, str(value), _pct(rate), _pct(value * 100 / first if first else None))
        for (name, value), rate in zip(stages, conversions(stages), strict=True)
    )
    return Table(("Stage", "Applications", "From previous stage", "From first stage"), rows)


# --- Histogram ----------------------------------------------------------------------------


def histogram_bins(
    values: Sequence[float], *, bins: int = 10, lo: float = 0, hi: float = 100
) -> list[tuple[str, int]]:
    """Counts per equal-width bin; values outside [lo, hi] are clamped into the end bins."""
    if bins < 1 or hi <= lo:
        raise ValueError("Need at least one bin and hi > lo.")
    step = (hi - lo) / bins
    counts = [0] * bins
    for value in values:
        index = int((value - lo) // step)
        counts[min(max(index, 0), bins - 1)] += 1
    labels = [f"{_num(lo + i * step)}{EN_DASH}{_num(lo + (i + 1) * step)}" for i in range(bins)]
    return list(zip(labels, counts, strict=True))


def _columns(title: str, desc: str, columns: list[tuple[str, int]], css_class: str) -> str:
    """Vertical bars with the label under each and the count above."""
    height, base, plot_h, left = 240, 200, 170, 20
    slot = (WIDTH - 2 * left) / len(columns)
    top = max(value for _label, value in columns) or 1
    parts = _open(title, desc, height, css_class)
    parts.append(
        f'<line x1="{left}" y1="{base}" x2="{WIDTH - left}" y2="{base}" stroke="currentColor"/>'
    )
    for i, (label, value) in enumerate(columns):
        x = left + i * slot
        h = plot_h * value / top
        parts.append(
            _rect(
                x + 3, base - h, slot - 6, h, fill=BAR_COLOR, label=f"{label}: {value}", value=value
            )
        )
        parts.append(_text(x + slot / 2, base - h - 4, value, anchor="middle", css="value"))
        parts.append(_text(x + slot / 2, base + 18, label, anchor="middle", css="axis"))
    parts.append("</svg>")
    return "".join(parts)


def histogram_svg(
    values: list[int], *, bins: int = 10, lo: int = 0, hi: int = 100, label: str = "Score"
) -> str:
    """Distribution of ``values`` (e.g. persistence scores) over ``bins`` equal ranges."""
    title = f"{label} distribution"
    if not values:
        return _empty(title, "histogram")
    columns = histogram_bins(values, bins=bins, lo=lo, hi=hi)
    summary = "; ".join(f"{name}: {value}" for name, value in columns if value)
    desc = f"{len(values)} values between {lo} and {hi}. {summary}."
    return _columns(title, desc, columns, "histogram")


def histogram_table(
    values: list[int], *, bins: int = 10, lo: int = 0, hi: int = 100, label: str = "Score"
) -> Table:
    columns = histogram_bins(values, bins=bins, lo=lo, hi=hi) if values else []
    return Table((f"{label} range", "Count"), tuple((n, str(v)) for n, v in columns))


# --- Time to follow-up --------------------------------------------------------------------


def latency_buckets(hours: Sequence[float]) -> list[tuple[str, int]]:
    """Hours after the deadline into <24h, 24-48h, 48-72h and >72h (lower bound inclusive)."""
    counts = [0, 0, 0, 0]
    for value in hours:
        counts[0 if value < 24 else 1 if value < 48 else 2 if value < 72 else 3] += 1
    return list(zip(LATENCY_BUCKETS, counts, strict=True))


def latency_svg(hours: list[float]) -> str:
    """How long after the silence-test deadline candidates first followed up."""
    title = "Time to follow-up after the deadline"
    if not hours:
        return _empty(title, "latency")
    columns = latency_buckets(hours)
    summary = "; ".join(f"{name}: {value}" for name, value in columns)
    return _columns(title, f"{len(hours)} candidates followed up. {summary}.", columns, "latency")


def latency_table(hours: list[float]) -> Table:
    columns = latency_buckets(hours) if hours else []
    return Table(("After the deadline", "Candidates"), tuple((n, str(v)) for n, v in columns))


# --- Outcomes per week --------------------------------------------------------------------


def week_label(day: dt.date, days: list[dt.date]) -> str:
    """ "week of 16 Nov" (the Monday the rows carry), with the year when the weeks shown span
    more than one: people name a week by its Monday, nobody by "2026-W47"."""
    return week_of(day, with_year=len({d.year for d in days}) > 1)


def outcomes_by_week_svg(rows: list[tuple[dt.date, int, int]]) -> str:
    """Stacked bars per ISO week of the deadline: reached out (bottom) and no follow-up (top:
    silent, or contacted before the deadline only; withdrawals are not counted)."""
    title = "Reached out vs no follow-up per week"
    if not rows or not any(reached + silent for _day, reached, silent in rows):
        return _empty(title, "outcomes")
    rows = sorted(rows)
    height, base, plot_h, left = 260, 200, 160, 20
    slot = (WIDTH - 2 * left) / len(rows)
    top = max(reached + silent for _day, reached, silent in rows)
    days = [d for d, _r, _s in rows]
    summary = "; ".join(
        f"{week_label(d, days)}: {r} reached out, {s} no follow-up" for d, r, s in rows
    )
    parts = _open(title, f"Closed silence tests by deadline week. {summary}.", height, "outcomes")
    parts.append(
        f'<line x1="{left}" y1="{base}" x2="{WIDTH - left}" y2="{base}" stroke="currentColor"/>'
    )
    for i, (day, reached, silent) in enumerate(rows):
        week = week_label(day, days)
        x, w = left + i * slot + 3, slot - 6
        h_reached, h_silent = plot_h * reached / top, plot_h * silent / top
        parts.append(
            _rect(
                x,
                base - h_reached,
                w,
                h_reached,
                fill=REACHED_COLOR,
                label=f"{week}: {reached} reached out",
                value=reached,
            )
        )
        parts.append(
            _rect(
                x,
                base - h_reached - h_silent,
                w,
                h_silent,
                fill=SILENT_COLOR,
                label=f"{week}: {silent} no follow-up",
                value=silent,
            )
        )
        # The axis has little room: the Monday alone ("16 Nov"); the bars' labels say "week of".
        axis = week.removeprefix("week of ")
        parts.append(_text(x + w / 2, base + 18, axis, anchor="middle", css="axis"))
    legend_y = height - 20
    parts.append(
        f'<rect x="{left}" y="{legend_y - 10}" width="12" height="12" fill="{REACHED_COLOR}"/>'
    )
    parts.append(_text(left + 18, legend_y, "Reached out"))
    parts.append(
        f'<rect x="{left + 130}" y="{legend_y - 10}" width="12" height="12" fill="{SILENT_COLOR}"/>'
    )
    parts.append(_text(left + 148, legend_y, "No follow-up"))
    parts.append("</svg>")
    return "".join(parts)


def outcomes_by_week_table(rows: list[tuple[dt.date, int, int]]) -> Table:
    days = [d for d, _r, _s in rows]
    return Table(
        ("Week", "Reached out", "No follow-up"),
        tuple((week_label(d, days), str(r), str(s)) for d, r, s in sorted(rows)),
    )
