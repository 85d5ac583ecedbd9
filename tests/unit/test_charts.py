"""The SVG chart builders: well-formed, escaped, proportional, and fine with no data."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from dashboards import charts

NS = {"svg": charts.SVG_NS}
D = charts.EN_DASH
HOSTILE = '<script>alert("x")</script> & "quotes"'


def _parse(markup: str) -> ET.Element:
    root = ET.fromstring(markup)
    assert root.tag == f"{{{charts.SVG_NS}}}svg"
    assert root.get("role") == "img"
    assert root.find("svg:title", NS).text
    assert root.find("svg:desc", NS).text
    return root


def _bars(root: ET.Element) -> list[ET.Element]:
    return [rect for rect in root.iter(f"{{{charts.SVG_NS}}}rect") if rect.get("class") == "bar"]


def _all_text(root: ET.Element) -> str:
    return " ".join("".join(el.itertext()) for el in root)


ALL_CHARTS = [
    lambda: charts.funnel_svg([("Applied", 10), ("Screen", 5)]),
    lambda: charts.histogram_svg([5, 15, 15, 99, 100]),
    lambda: charts.latency_svg([1.5, 30, 50, 100]),
    lambda: charts.outcomes_by_week_svg([(dt.date(2025, 1, 6), 2, 3)]),
]


@pytest.mark.parametrize("build", ALL_CHARTS)
def test_every_chart_is_well_formed_svg_with_text_alternatives(build):
    _parse(build())


@pytest.mark.parametrize(
    "markup",
    [
        charts.funnel_svg([]),
        charts.funnel_svg([("Applied", 0), ("Screen", 0)]),
        charts.histogram_svg([]),
        charts.latency_svg([]),
        charts.outcomes_by_week_svg([]),
    ],
)
def test_empty_data_renders_a_no_data_chart(markup):
    root = _parse(markup)
    assert charts.EMPTY_TEXT in _all_text(root)
    assert _bars(root) == []


def test_hostile_stage_names_are_escaped():
    markup = charts.funnel_svg([(HOSTILE, 3), ("Screen", 1)])
    assert "<script>" not in markup
    assert "&lt;script&gt;" in markup
    root = _parse(markup)  # still well-formed: the payload is text, not markup
    assert HOSTILE in _all_text(root)
    assert root.find(".//svg:script", NS) is None


def test_hostile_histogram_label_is_escaped():
    markup = charts.histogram_svg([1, 2], label=HOSTILE)
    assert "<script>" not in markup
    assert HOSTILE in _parse(markup).find("svg:title", NS).text


def test_funnel_bar_widths_are_proportional_to_counts():
    root = _parse(charts.funnel_svg([("Applied", 40), ("Screen", 20), ("Offer", 10)]))
    widths = [float(bar.get("width")) for bar in _bars(root)]
    assert [int(bar.get("data-value")) for bar in _bars(root)] == [40, 20, 10]
    assert widths[1] == pytest.approx(widths[0] / 2)
    assert widths[2] == pytest.approx(widths[0] / 4)


def test_funnel_conversion_math():
    stages = [("Applied", 40), ("Screen", 10), ("Interview", 0), ("Offer", 0)]
    assert charts.conversions(stages) == [None, 25.0, 0.0, None]
    table = charts.funnel_table(stages)
    assert table.rows[1] == ("Screen", "10", "25%", "25%")
    assert table.rows[2] == ("Interview", "0", "0%", "0%")
    assert table.rows[3][2] == "—"
    assert "25%" in charts.funnel_svg(stages)


def test_funnel_conversion_rounds_to_one_decimal():
    assert charts.funnel_table([("A", 3), ("B", 1)]).rows[1][2] == "33.3%"


def test_histogram_bins_include_the_upper_bound_and_clamp():
    bins = charts.histogram_bins([0, 9, 10, 100, 150, -5], bins=10, lo=0, hi=100)
    assert bins[0] == (f"0{D}10", 3)
    assert bins[1] == (f"10{D}20", 1)
    assert bins[-1] == (f"90{D}100", 2)
    assert sum(n for _label, n in bins) == 6


def test_histogram_bar_heights_are_proportional():
    root = _parse(charts.histogram_svg([5, 5, 5, 5, 15, 15], bins=2, lo=0, hi=20))
    heights = [float(bar.get("height")) for bar in _bars(root)]
    assert heights[1] == pytest.approx(heights[0] / 2)


def test_latency_buckets_boundaries():
    assert charts.latency_buckets([0, 23.9, 24, 47.99, 48, 72, 500]) == [
        ("<24h", 2),
        (f"24{D}48h", 2),
        (f"48{D}72h", 1),
        (">72h", 2),
    ]
    assert charts.latency_table([30]).rows == (
        ("<24h", "0"),
        (f"24{D}48h", "1"),
        (f"48{D}72h", "0"),
        (">72h", "0"),
    )


def test_outcomes_by_week_stacks_and_labels_weeks_by_their_monday():
    rows = [(dt.date(2025, 1, 13), 1, 1), (dt.date(2024, 12, 30), 3, 1)]
    root = _parse(charts.outcomes_by_week_svg(rows))
    text = _all_text(root)
    assert "W01" not in text
    # The weeks span two years, so the year is said.
    assert "week of 30 Dec 2024" in text
    assert text.index("week of 30 Dec 2024") < text.index("week of 13 Jan 2025")  # sorted
    bars = _bars(root)
    assert [int(bar.get("data-value")) for bar in bars] == [3, 1, 1, 1]
    # Stacked: the silent bar sits right on top of the reached-out bar.
    reached, silent = bars[0], bars[1]
    assert float(silent.get("y")) + float(silent.get("height")) == pytest.approx(
        float(reached.get("y"))
    )
    assert float(reached.get("height")) == pytest.approx(3 * float(silent.get("height")))
    assert charts.outcomes_by_week_table(rows).rows[0] == ("week of 30 Dec 2024", "3", "1")


def test_weeks_of_one_year_read_week_of_day_month():
    rows = [(dt.date(2026, 11, 16), 2, 1)]  # ISO 2026-W47
    assert charts.outcomes_by_week_table(rows).rows == (("week of 16 Nov", "2", "1"),)
    assert "week of 16 Nov: 2 reached out" in _all_text(_parse(charts.outcomes_by_week_svg(rows)))
