"""Impact-ratio bars as server-rendered SVG (like ``hiring.charts``): pure, escaped, with a
title and description for screen readers; the page puts the same numbers in a table under it."""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import blake2b
from xml.sax.saxutils import escape

from evidence.stats import FOUR_FIFTHS, ImpactRow

SVG_NS = "http://www.w3.org/2000/svg"
WIDTH = 640
LABEL_W, BAR_W, ROW_H = 250, 300, 26
OK_COLOR, FLAG_COLOR, MUTED_COLOR = "#2f7d4f", "#b8483a", "#9aa3ad"


def _esc(value: object) -> str:
    return escape(str(value), {'"': "&quot;", "'": "&#x27;"})


def _describe(row: ImpactRow) -> str:
    if row.excluded:
        text = "excluded (under 2 % of the data)"
    elif row.impact_ratio is None:
        text = "no ratio"
    else:
        text = f"{row.impact_ratio:.2f}" + (", below four-fifths" if row.flagged else "")
    return text + (", fewer than 5 people" if row.small else "")


def impact_svg(title: str, rows: Sequence[ImpactRow]) -> str:
    """One bar per category with people in it: its impact ratio (0 to 1), red below the
    four-fifths line, grey when excluded from the ratios or without one."""
    shown = [row for row in rows if row.n > 0]
    summary = "; ".join(f"{row.category}: {_describe(row)}" for row in shown) or "no data yet"
    height = 40 + ROW_H * max(1, len(shown))
    uid = blake2b(f"{title}\n{summary}".encode(), digest_size=4).hexdigest()
    parts = [
        f'<svg xmlns="{SVG_NS}" class="chart impact" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" aria-labelledby="chart-{uid}-title chart-{uid}-desc">',
        f'<title id="chart-{uid}-title">{_esc(title)}</title>',
        f'<desc id="chart-{uid}-desc">{_esc("Impact ratios. " + summary + ".")}</desc>',
    ]
    if not shown:
        parts.append(f'<text x="{WIDTH // 2}" y="30" text-anchor="middle">No data yet</text>')
    for i, row in enumerate(shown):
        y = 10 + i * ROW_H
        ratio = row.impact_ratio
        color = MUTED_COLOR if ratio is None else FLAG_COLOR if row.flagged else OK_COLOR
        width = 0 if ratio is None else BAR_W * min(ratio, 1.0)
        label = row.category + (" *" if row.small else "")
        value = "excluded" if row.excluded else "—" if ratio is None else f"{ratio:.2f}"
        parts.append(
            f'<text x="{LABEL_W - 8}" y="{y + 17}" text-anchor="end">{_esc(label)}</text>'
            f'<rect class="bar" x="{LABEL_W}" y="{y + 4}" width="{width:.1f}" height="{ROW_H - 8}"'
            f' fill="{color}"><title>{_esc(f"{row.category}: {value}")}</title></rect>'
            f'<text x="{LABEL_W + BAR_W + 8}" y="{y + 17}">{_esc(value)}</text>'
        )
    line_x = LABEL_W + BAR_W * FOUR_FIFTHS
    bottom = 10 + ROW_H * max(1, len(shown))
    parts.append(
        f'<line x1="{line_x:.1f}" y1="6" x2="{line_x:.1f}" y2="{bottom}" stroke="#333" '
        'stroke-dasharray="4 3"/>'
        f'<text x="{line_x:.1f}" y="{bottom + 16}" text-anchor="middle" class="small">'
        "four-fifths (0.8)</text>"
    )
    parts.append("</svg>")
    return "".join(parts)
