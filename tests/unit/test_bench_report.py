"""The benchmark harness's pure parts: wrk output, goals, the markdown table."""

import pytest

from bench.report import (
    Row,
    WrkResult,
    constant_and_at_most,
    duration_ms,
    not_measured,
    parse_wrk,
    render_table,
    verdict,
)

WRK_OUTPUT = """\
Running 5s test @ http://127.0.0.1:39807/requisitions/108/ranking/
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   305.83ms   81.52ms 479.26ms   65.08%
    Req/Sec    13.93      7.46    40.00     84.00%
  Latency Distribution
     50%  305.70ms
     75%  374.83ms
     90%  415.78ms
     99%     1.20s
  126 requests in 5.02s, 9.61MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:     25.11
Transfer/sec:      1.92MB
p95_us 439732
"""


def test_wrk_output_gives_rate_percentiles_and_errors():
    assert parse_wrk(WRK_OUTPUT) == WrkResult(
        requests=126,
        requests_per_second=25.11,
        p50_ms=305.70,
        p95_ms=439.732,
        p99_ms=1200.0,
        non_2xx=4,
        socket_errors=3,
    )


def test_wrk_output_without_errors_counts_zero():
    clean = "\n".join(
        line for line in WRK_OUTPUT.splitlines() if "errors" not in line and "Non-2xx" not in line
    )
    result = parse_wrk(clean)
    assert (result.non_2xx, result.socket_errors) == (0, 0)


def test_wrk_output_without_the_p95_hook_is_refused():
    without = WRK_OUTPUT.replace("p95_us 439732\n", "")
    with pytest.raises(ValueError, match="unexpected wrk output"):
        parse_wrk(without)


@pytest.mark.parametrize(
    ("text", "ms"),
    [("412.00us", 0.412), ("3.51ms", 3.51), ("1.20s", 1200.0), ("1.00m", 60_000.0)],
)
def test_wrk_durations_in_milliseconds(text, ms):
    assert duration_ms(text) == pytest.approx(ms)


def test_unknown_duration_unit_is_refused():
    with pytest.raises(ValueError, match="not a wrk duration"):
        duration_ms("3h")


@pytest.mark.parametrize(
    ("counts", "met"),
    [([7, 7, 7], True), ([7, 7, 8], False), ([11, 11, 11], False), ([], False)],
)
def test_query_goal_is_constant_and_at_most_the_limit(counts, met):
    assert constant_and_at_most(counts, 10) is met


def test_table_states_met_gap_and_not_measured_and_escapes_pipes():
    table = render_table(
        [
            Row("sweep", "3.1 s", "≤ 5 s", True),
            Row("ranking", "ratio 0.31", "ratio ≥ 0.5", False),
            not_measured("rescore", "Traceback …\nKeyError: 'ratio'", "≤ 3x"),
            Row("a | b", "1"),
        ]
    )
    lines = table.splitlines()
    assert lines[0] == "| what | figure | goal | verdict |"
    assert lines[2] == "| sweep | 3.1 s | ≤ 5 s | met |"
    assert lines[3] == "| ranking | ratio 0.31 | ratio ≥ 0.5 | **gap** |"
    assert lines[4] == "| rescore | not measured: KeyError: 'ratio' | ≤ 3x | gap: not measured |"
    assert lines[5] == "| a \\| b | 1 |  | — |"


def test_row_without_goal_has_no_verdict():
    assert verdict(Row("call import", "1 378 rows/s")) == "—"


def test_runner_recognises_the_scale_dataset_by_the_seed_prefix():
    from bench.scale_db import SCALE_PREFIX
    from devdata.scale import SCALE_PREFIX as seeded

    assert seeded == SCALE_PREFIX


def test_the_runners_scale_shape_is_seed_scales_default():
    from bench.common import SCALE_SHAPE, scale_seed_args
    from devdata import scale

    assert SCALE_SHAPE == {
        "requisitions": scale.DEFAULT_REQUISITIONS,
        "applications": scale.DEFAULT_APPLICATIONS,
        "contacts": scale.DEFAULT_CONTACTS,
    }
    assert scale_seed_args(10) == [
        "--requisitions=2000",
        "--applications=200000",
        "--contacts=10000000",
    ]
