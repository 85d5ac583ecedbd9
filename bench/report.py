"""Pure parts of the benchmark harness: wrk output parsing, goals and the markdown table."""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_DURATION = re.compile(r"^([\d.]+)(us|ms|s|m)$")


def duration_ms(text: str) -> float:
    """wrk's ``412.00us`` / ``3.51ms`` / ``1.20s`` as milliseconds."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


@dataclass(frozen=True)
class WrkResult:
    requests: int
    requests_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int


def parse_wrk(output: str) -> WrkResult:
    """Read ``wrk --latency`` output (with ``-s bench/wrk_p95.lua`` printing ``p95 <us>``).

    wrk's own latency distribution lists 50/75/90/99 %; the Lua ``done`` hook adds the 95th.
    """
    percentiles = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    total = re.search(r"^\s+(\d+) requests in ", output, re.MULTILINE)
    p95 = re.search(r"^p95_us\s+([\d.]+)", output, re.MULTILINE)
    if not (rps and total and p95 and "50" in percentiles and "99" in percentiles):
        raise ValueError(f"unexpected wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return WrkResult(
        requests=int(total.group(1)),
        requests_per_second=float(rps.group(1)),
        p50_ms=duration_ms(percentiles["50"]),
        p95_ms=float(p95.group(1)) / 1000,
        p99_ms=duration_ms(percentiles["99"]),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(g) for g in errors.groups()) if errors else 0,
    )


@dataclass(frozen=True)
class Row:
    """One line of the results table. ``met`` None: no goal, or not measured."""

    what: str
    figure: str
    goal: str = ""
    met: bool | None = None


def not_measured(what: str, reason: str, goal: str = "") -> Row:
    first_line = (reason.strip().splitlines() or ["unknown error"])[-1][:200]
    return Row(what, f"not measured: {first_line}", goal, None)


def verdict(row: Row) -> str:
    if row.met is None:
        return "—" if not row.goal else "gap: not measured"
    return "met" if row.met else "**gap**"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_table(rows: list[Row]) -> str:
    lines = ["| what | figure | goal | verdict |", "| --- | --- | --- | --- |"]
    lines += [
        f"| {_cell(r.what)} | {_cell(r.figure)} | {_cell(r.goal)} | {verdict(r)} |" for r in rows
    ]
    return "\n".join(lines) + "\n"


def constant_and_at_most(counts: list[int], limit: int) -> bool:
    """Query counts goal: the same at every size and no more than ``limit``."""
    return bool(counts) and len(set(counts)) == 1 and counts[0] <= limit
