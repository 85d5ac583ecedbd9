"""``python -m bench`` (``make bench``): every issue-8 figure in one run, one markdown table.

Needs PostgreSQL (``DATABASE_URL``'s server, default postgres@127.0.0.1:5432) and Debian's
``wrk``. Creates its own databases: ``persist_scale`` (``seed_scale`` defaults, reused when
already seeded), ``persist_bench_queries`` and a throwaway copy ``persist_bench_work`` for the
parts that write. Prints the table and writes it to ``var/bench-results/`` (``latest.md``,
a timestamped copy, and the raw figures as JSON).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import common
from bench.report import Row, constant_and_at_most, not_measured, parse_wrk, render_table
from bench.scale_db import ensure_scale

QUERY_SIZES = (10, 1_000, 10_000)
#: Contacts per application in the query-count databases (the scale ratio: 1M / 20k = 50).
QUERY_CONTACTS_PER_APPLICATION = 10
QUERY_LIMIT = 10
RATIO_GOAL = 0.5
#: The application page does several times the board's work (issue #22): its own goal.
APPLICATION_PAGE_RATIO_GOAL = 0.3
SWEEP_TESTS = 100_000
#: The sweep against one set-based UPDATE deciding the same outcomes (bench.sweep).
SWEEP_GOAL_OF_FLOOR = 3.0
#: ``ingest_email`` of a batch of files against parse + one bare INSERT per message.
INGEST_BATCH_GOAL_OF_FLOOR = 0.5
#: The Postmark webhook per worker against /healthz per worker, same client and server.
WEBHOOK_GOAL_OF_CEILING = 0.5
#: 400 000 nested <div> against a plain text message of the same size.
HOSTILE_GOAL = 5.0
HOSTILE_NESTING = 400_000
#: The first ranking page of a 10 000-application requisition against the scale one's, p95.
BIG_RANKING_APPLICATIONS = 10_000
BIG_RANKING_GOAL = 2.0
BIG_DB = f"{common.DB_PREFIX}_big"
#: Per-row cost at ``--scale N`` against the same figure at 1x.
GROWTH_GOAL = 1.3
LOAD_GOAL_P95_MS = 150.0
#: The LMTP listener adds only the protocol to email_ingest: it keeps most of the floor's rate.
LMTP_GOAL_OF_FLOOR = 0.8
#: One process per message costs Django's start-up each time: a few are enough to measure it.
PIPE_EACH_MESSAGES = 20
RESCORE_GOAL = 2.0
WORK_DB = f"{common.DB_PREFIX}_work"
QUERIES_DB = f"{common.DB_PREFIX}_queries"
#: wrk: 2 threads, 8 connections (2 per sync worker keeps every worker busy).
WRK_THREADS, WRK_CONNECTIONS = 2, 8


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def part_queries() -> list[Row]:
    common.create_database(QUERIES_DB)
    common.manage(QUERIES_DB, "migrate", "--no-input")
    counts: dict[str, list[int]] = {}
    for size in QUERY_SIZES:
        common.manage(
            QUERIES_DB,
            "seed_scale",
            "--force",
            "--requisitions=1",
            f"--applications={size}",
            f"--contacts={size * QUERY_CONTACTS_PER_APPLICATION}",
        )
        result = common.run_part("bench.queries", QUERIES_DB)
        for view, count in result["counts"].items():
            counts.setdefault(view, []).append(count)
    common.drop_database(QUERIES_DB)
    sizes = " / ".join(f"{s:,}" for s in QUERY_SIZES)
    return [
        Row(
            f"SQL queries: {view} ({sizes} applications)",
            " / ".join(str(c) for c in values),
            f"constant, ≤ {QUERY_LIMIT}",
            constant_and_at_most(values, QUERY_LIMIT),
        )
        for view, values in counts.items()
    ]


def wrk(base: str, path: str, session: str, seconds: int) -> dict:
    out = subprocess.run(
        [
            common.ensure_wrk(),
            f"-t{WRK_THREADS}",
            f"-c{WRK_CONNECTIONS}",
            f"-d{seconds}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            str(Path(__file__).with_name("wrk_p95.lua")),
            "-H",
            f"Cookie: sessionid={session}",
            base + path,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return parse_wrk(out).__dict__


def _check_page(base: str, path: str, session: str) -> None:
    """The page answers 200 to the benchmark session (not a redirect to the login page)."""
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(base + path, headers={"Cookie": f"sessionid={session}"})
    with opener.open(request, timeout=30) as response:
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}")


#: The web rows, by the name ``--web-page`` selects them with (/healthz is always measured:
#: every other row is its ratio to it, in the same run).
WEB_PAGES = ("ranking", "home", "board", "application-median", "application-p95")


def web_pages(fixtures: dict, selected: list[str]) -> dict[str, str]:
    """Label → path of the pages to measure, /healthz first."""
    median = fixtures["median_contacts_application"]
    p95 = fixtures["p95_contacts_application"]
    applications = fixtures["requisition_applications"]
    pages = {
        "ranking": (
            f"ranking ({applications} applications)",
            f"/requisitions/{fixtures['requisition']}/ranking/",
        ),
        "home": ("hiring-manager home", "/"),
        "board": (
            f"board ({applications} applications)",
            f"/requisitions/{fixtures['requisition']}/",
        ),
        "application-median": (
            f"application page, median contacts ({median['contacts']})",
            f"/applications/{median['pk']}/",
        ),
        "application-p95": (
            f"application page, 95th-percentile contacts ({p95['contacts']})",
            f"/applications/{p95['pk']}/",
        ),
    }
    chosen = {"trivial view (/healthz, same middleware)": "/healthz"}
    for name in WEB_PAGES:
        if not selected or name in selected:
            label, path = pages[name]
            chosen[label] = path
    return chosen


def goal_for(label: str) -> float:
    return APPLICATION_PAGE_RATIO_GOAL if label.startswith("application page") else RATIO_GOAL


def part_web(seconds: int, raw: dict, selected: list[str]) -> list[Row]:
    fixtures = common.run_part("bench.fixtures", common.SCALE_DB)
    session = fixtures["manager_sessions"][0]
    pages = web_pages(fixtures, selected)
    results = {}
    cache = "Redis cache + sessions" if common.shared_cache_url() else "per-process cache"
    with common.gunicorn(common.SCALE_DB) as base:
        for label, path in pages.items():
            _check_page(base, path, session)
            wrk(base, path, session, 2)  # warm every worker (imports, connections)
            results[label] = wrk(base, path, session, seconds)
            log(f"  {label}: {results[label]}")
    raw["web"] = results
    ceiling = next(iter(results.values()))
    rows = []
    for label, r in results.items():
        ratio = r["requests_per_second"] / ceiling["requests_per_second"]
        is_ceiling = r is ceiling
        errors = r["non_2xx"] + r["socket_errors"]
        rows.append(
            Row(
                f"web, gunicorn {common.WEB_WORKERS} sync workers ({cache}), wrk "
                f"{WRK_CONNECTIONS} connections {seconds} s: {label}",
                f"{r['requests_per_second']:.0f} req/s, p50/p95/p99 {r['p50_ms']:.0f}/"
                f"{r['p95_ms']:.0f}/{r['p99_ms']:.0f} ms"
                + ("" if is_ceiling else f", ratio {ratio:.2f}")
                + (f", {errors} errors" if errors else ""),
                "ceiling" if is_ceiling else f"ratio ≥ {goal_for(label)}",
                (errors == 0) if is_ceiling else (ratio >= goal_for(label) and errors == 0),
            )
        )
    return rows


def part_rescore(raw: dict) -> list[Row]:
    what = "bulk rescore / set-based floor (bench.rescore)"
    goal = f"≤ {RESCORE_GOAL:g}x"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rescore.json"
        done = subprocess.run(
            [common.PYTHON, "-m", "bench.rescore", "--json", str(out)],
            cwd=common.ROOT,
            env=common.app_env(common.SCALE_DB),
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if done.returncode or not out.exists():
            return [not_measured(what, f"exit {done.returncode}: {done.stderr}", goal)]
        data = json.loads(out.read_text())
    keys = ("rescore_seconds", "floor_seconds", "ratio", "applications", "contacts")
    missing = [k for k in keys if k not in data]
    if missing:
        return [not_measured(what, f"result lacks {', '.join(missing)}", goal)]
    raw["rescore"] = data
    return [
        Row(
            f"{what}: {data['applications']:,} applications, {data['contacts']:,} contacts",
            f"{data['rescore_seconds']:.1f} s / {data['floor_seconds']:.2f} s = "
            f"{data['ratio']:.1f}x",
            goal,
            data["ratio"] <= RESCORE_GOAL,
        )
    ]


def part_sweep(raw: dict) -> list[Row]:
    data = common.run_part("bench.sweep", WORK_DB, f"--tests={SWEEP_TESTS}", timeout=1800)
    raw["sweep"] = data
    same = data["floor_outcomes"] == data["outcomes"]
    return [
        Row(
            f"silence sweep: {data['tests']:,} overdue tests (waiting → closed) / floor: one "
            "set-based UPDATE … FROM deciding the same outcomes on a copy of the rows with the "
            "table's indexes",
            f"{data['seconds']:.1f} s / {data['floor_seconds']:.2f} s = {data['ratio']:.1f}x "
            f"({data['seconds'] / data['bare_floor_seconds']:.1f}x a copy without indexes, "
            f"{data['bare_floor_seconds']:.2f} s) "
            f"({data['started']:,} started, {data['closed']:,} closed, {data['digests']} "
            f"digests, {data['remaining_due']} left due; outcomes "
            f"{'as the floor' if same else 'DIFFER from the floor'})",
            f"≤ {SWEEP_GOAL_OF_FLOOR:g}x",
            data["ratio"] <= SWEEP_GOAL_OF_FLOOR and data["remaining_due"] == 0 and same,
        ),
        Row(
            "contacts present during the sweep",
            f"{data['contacts']:,} ({data['contacts_before']:,} scale + the tests' own)",
            f"≥ {common.SCALE_CONTACTS:,}",
            data["contacts_before"] >= common.SCALE_CONTACTS,
        ),
    ]


def _of_floor(rate: float, floor: float) -> str:
    return f"{rate / floor:.0%} of the floor" if floor else "no floor"


def part_ingest(messages: int, raw: dict) -> list[Row]:
    rows = []
    # The floors: email_ingest in one warm process (parse, match, insert, score refresh), per
    # message as LMTP and a pipe per message run it, and batched as `ingest_email FILE …` is.
    floors = {}
    for via in ("floor", "floor-batch"):
        floor = common.run_part("bench.ingest", WORK_DB, f"--via={via}", f"--messages={messages}")
        raw[f"ingest_{via.replace('-', '_')}"] = floor
        floors[via] = floor["messages_per_second"]
        how = "scores refreshed together" if via == "floor-batch" else "each scored"
        rows.append(
            Row(
                f"email ingest floor, `email_ingest` in one process, {messages:,} messages, {how}",
                f"{floors[via]:.0f} messages/s ({floor['stored']:,} stored)",
            )
        )
    floor_rate = floors["floor"]
    bare = common.run_part("bench.ingest", WORK_DB, "--via=raw-floor", f"--messages={messages}")
    raw["ingest_raw_floor"] = bare
    pipe = common.run_part("bench.ingest", WORK_DB, "--via=pipe", f"--messages={messages}")
    raw["ingest_pipe"] = pipe
    ratio = pipe["messages_per_second"] / bare["messages_per_second"]
    rows.append(
        Row(
            f"email ingest, `manage.py ingest_email` {messages:,} files, 1 process / floor: "
            "the same messages through `email.message_from_bytes` + one bare INSERT each",
            f"{pipe['messages_per_second']:.0f} / {bare['messages_per_second']:.0f} messages/s "
            f"= {ratio:.2f}x ({pipe['stored']:,} stored)",
            f"≥ {INGEST_BATCH_GOAL_OF_FLOOR:g}x",
            ratio >= INGEST_BATCH_GOAL_OF_FLOOR and pipe["stored"] == messages,
        )
    )
    each = common.run_part(
        "bench.ingest", WORK_DB, "--via=pipe-each", f"--messages={PIPE_EACH_MESSAGES}"
    )
    raw["ingest_pipe_each"] = each
    rows.append(
        Row(
            f"email ingest, MTA pipe: one `ingest_email` per message, {PIPE_EACH_MESSAGES}",
            f"{each['messages_per_second']:.1f} messages/s ({each['stored']:,} stored, "
            f"{_of_floor(each['messages_per_second'], floor_rate)})",
        )
    )
    lmtp = common.run_part("bench.ingest", WORK_DB, "--via=lmtp", f"--messages={messages}")
    raw["ingest_lmtp"] = lmtp
    rows.append(
        Row(
            f"email ingest, `manage.py lmtp_server`, {messages:,} messages over 1 LMTP connection",
            f"{lmtp['messages_per_second']:.0f} messages/s ({lmtp['stored']:,} stored, "
            f"{_of_floor(lmtp['messages_per_second'], floor_rate)}; replies {lmtp['statuses']})",
            f"≥ {LMTP_GOAL_OF_FLOOR:.0%} of the floor",
            lmtp["messages_per_second"] >= LMTP_GOAL_OF_FLOOR * floor_rate
            and lmtp["stored"] == messages,
        )
    )
    client = (f"--messages={messages}", f"--concurrency={2 * common.WEB_WORKERS}")
    with common.gunicorn(WORK_DB) as base:
        # The ceiling first, through the same client, concurrency and server.
        ceiling = common.run_part(
            "bench.ingest", WORK_DB, "--via=healthz", *client, f"--base-url={base}"
        )
        hook = common.run_part(
            "bench.ingest", WORK_DB, "--via=webhook", *client, f"--base-url={base}"
        )
    raw["ingest_webhook"] = hook
    raw["ingest_webhook_ceiling"] = ceiling
    per_worker = hook["messages_per_second"] / common.WEB_WORKERS
    ceiling_per_worker = ceiling["requests_per_second"] / common.WEB_WORKERS
    ratio = per_worker / ceiling_per_worker
    rows.append(
        Row(
            f"email ingest, anymail (Postmark) webhook, {messages:,} POSTs, gunicorn "
            f"{common.WEB_WORKERS} workers / ceiling: as many GETs of /healthz, same client",
            f"{per_worker:.0f} / {ceiling_per_worker:.0f} per worker = {ratio:.2f}x "
            f"(HTTP {hook['statuses']})",
            f"≥ {WEBHOOK_GOAL_OF_CEILING:g}x",
            ratio >= WEBHOOK_GOAL_OF_CEILING and hook["stored"] == messages,
        )
    )
    hostile = common.run_part(
        "bench.ingest", WORK_DB, "--via=hostile", f"--nesting={HOSTILE_NESTING}"
    )
    raw["ingest_hostile"] = hostile
    rows.append(
        Row(
            f"hostile ingest: {HOSTILE_NESTING:,} nested <div> ({hostile['bytes'] / 1e6:.1f} MB) "
            "/ a plain text message of the same size",
            f"{hostile['hostile']:.2f} s / {hostile['plain']:.2f} s = {hostile['ratio']:.1f}x",
            f"≤ {HOSTILE_GOAL:g}x",
            hostile["ratio"] <= HOSTILE_GOAL,
        )
    )
    return rows


_IMPORT_LINE = re.compile(
    r"^(first import|same file again): (\d+) rows in ([\d.]+) s = (\d+) rows/s", re.MULTILINE
)


def part_call_import(raw: dict) -> list[Row]:
    done = subprocess.run(
        [common.PYTHON, "-m", "bench.call_import"],
        cwd=common.ROOT,
        env=common.app_env(WORK_DB),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    found = {m[0]: m for m in _IMPORT_LINE.findall(done.stdout)}
    if done.returncode or len(found) != 2:
        return [not_measured("call-CSV import", done.stderr or done.stdout)]
    raw["call_import"] = done.stdout
    return [
        Row(
            f"call-CSV import, {label} ({rows} rows)",
            f"{int(rate):,} rows/s ({float(seconds):.1f} s)",
        )
        for label, rows, seconds, rate in found.values()
    ]


def _ranking_p95(db: str, seconds: int) -> tuple[dict, int]:
    fixtures = common.run_part("bench.fixtures", db)
    path = f"/requisitions/{fixtures['requisition']}/ranking/"
    session = fixtures["manager_sessions"][0]
    with common.gunicorn(db) as base:
        _check_page(base, path, session)
        wrk(base, path, session, 2)
        return wrk(base, path, session, seconds), fixtures["requisition_applications"]


def part_big_ranking(seconds: int, raw: dict) -> list[Row]:
    """The first ranking page of one 10 000-application requisition (50 contacts each, as in
    the scale data) against the scale requisition's, measured back to back."""
    common.create_database(BIG_DB)
    try:
        common.manage(BIG_DB, "migrate", "--no-input")
        common.manage(
            BIG_DB,
            "seed_scale",
            "--requisitions=1",
            f"--applications={BIG_RANKING_APPLICATIONS}",
            f"--contacts={BIG_RANKING_APPLICATIONS * 50}",
            timeout=1800,
        )
        common.vacuum_analyze(BIG_DB)
        small, small_n = _ranking_p95(common.SCALE_DB, seconds)
        big, big_n = _ranking_p95(BIG_DB, seconds)
    finally:
        common.drop_database(BIG_DB)
    raw["big_ranking"] = {"small": small, "big": big}
    ratio = big["p95_ms"] / small["p95_ms"]
    return [
        Row(
            f"ranking, first page of a {big_n:,}-application requisition / the "
            f"{small_n}-application one (p95, same stack, back to back)",
            f"{big['p95_ms']:.0f} ms / {small['p95_ms']:.0f} ms = {ratio:.2f}x",
            f"p95 ≤ {BIG_RANKING_GOAL:g}x",
            ratio <= BIG_RANKING_GOAL and big["non_2xx"] == 0,
        )
    ]


def part_load(raw: dict) -> list[Row]:
    from bench import load

    result = load.run()
    raw["load"] = result
    # locust counts a 5xx as a failure too: failures are all errors, server errors among them.
    errors = max(result["failures"], result["server_errors"])
    return [
        Row(
            f"load test: {load.USERS} users, {load.SECONDS} s, dashboards, contact logging and "
            f"signed webhooks, gunicorn {common.WEB_WORKERS} workers",
            f"{result['requests']:,} requests, {errors} errors, p50/p95/p99 "
            f"{result['p50_ms']:.0f}/{result['p95_ms']:.0f}/{result['p99_ms']:.0f} ms",
            f"0 errors, p95 ≤ {LOAD_GOAL_P95_MS:g} ms",
            errors == 0 and result["requests"] > 0 and result["p95_ms"] <= LOAD_GOAL_P95_MS,
        )
    ]


def _sweep_at(db: str, work: str) -> dict:
    """``bench.sweep`` in a throwaway file-level copy ``work`` of ``db``."""
    common.create_database(work, template=db)
    try:
        return common.run_part("bench.sweep", work, f"--tests={SWEEP_TESTS}", timeout=3600)
    finally:
        common.drop_database(work)


def part_growth(scale: int, raw: dict) -> list[Row]:
    """Sweep and rescore per row at ``scale`` times the data against the 1x figures of this
    run: those of the rescore and sweep parts when they ran, else measured here first (so
    ``--only growth --scale N`` gives the growth rows alone)."""
    big_db = common.scale_db(scale)
    raw[f"scale_{scale}"] = ensure_scale(scale=scale)
    if "rescore" not in raw:
        raw["rescore"] = common.run_part("bench.rescore", common.SCALE_DB, timeout=1800)
    if "sweep" not in raw:
        raw["sweep"] = _sweep_at(common.SCALE_DB, WORK_DB)
    rescore = common.run_part("bench.rescore", big_db, timeout=3600 * scale)
    sweep = _sweep_at(big_db, f"{WORK_DB}_{scale}")
    raw[f"growth_{scale}"] = {"rescore": rescore, "sweep": sweep}
    one_rescore, one_sweep = raw.get("rescore"), raw.get("sweep")
    rows = []
    if one_rescore:
        per_one = one_rescore["rescore_seconds"] / one_rescore["applications"]
        per_big = rescore["rescore_seconds"] / rescore["applications"]
        rows.append(
            Row(
                f"growth: bulk rescore per application at {scale}x "
                f"({rescore['applications']:,} applications, {rescore['contacts']:,} contacts) "
                "/ at 1x",
                f"{per_big * 1e6:.0f} µs / {per_one * 1e6:.0f} µs = {per_big / per_one:.2f}x",
                f"≤ {GROWTH_GOAL:g}x",
                per_big / per_one <= GROWTH_GOAL,
            )
        )
    if one_sweep:
        per_one = one_sweep["seconds"] / one_sweep["tests"]
        per_big = sweep["seconds"] / sweep["tests"]
        rows.append(
            Row(
                f"growth: sweep per overdue test at {scale}x data ({sweep['tests']:,} tests, "
                f"{sweep['contacts']:,} contacts) / at 1x",
                f"{per_big * 1e6:.0f} µs / {per_one * 1e6:.0f} µs = {per_big / per_one:.2f}x",
                f"≤ {GROWTH_GOAL:g}x",
                per_big / per_one <= GROWTH_GOAL,
            )
        )
    return rows


def guarded(name: str, rows: list[Row], function, *args) -> None:
    log(f"{name}…")
    started = time.perf_counter()
    try:
        rows.extend(function(*args))
    except Exception as exc:  # one failing part is reported, the others still run
        rows.append(not_measured(name, f"{type(exc).__name__}: {exc}"))
    log(f"{name} done in {time.perf_counter() - started:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reseed", action="store_true", help="re-seed persist_scale")
    parser.add_argument("--web-seconds", type=int, default=15)
    parser.add_argument("--messages", type=int, default=2000, help="emails per ingest path")
    parser.add_argument("--skip", action="append", default=[], help="part to skip (repeatable)")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        choices=[
            "queries",
            "web",
            "big-ranking",
            "rescore",
            "sweep",
            "ingest",
            "call-import",
            "load",
            "growth",
        ],
        help="run only this part (repeatable); the others are skipped",
    )
    parser.add_argument(
        "--web-page",
        action="append",
        default=[],
        choices=WEB_PAGES,
        help="measure only this page besides /healthz (repeatable; default all)",
    )
    parser.add_argument(
        "--scale",
        type=int,
        default=1,
        help="also measure sweep and rescore per row at this many times the data (growth)",
    )
    args = parser.parse_args(argv)
    started_at = datetime.now(UTC)
    raw: dict = {"started": started_at.isoformat(), "web_workers": common.WEB_WORKERS}
    rows: list[Row] = []
    log("scale database…")
    raw["scale"] = ensure_scale(args.reseed)
    log(f"scale database {raw['scale']}")
    common.collectstatic()
    parts = {
        "queries": (part_queries,),
        "web": (part_web, args.web_seconds, raw, args.web_page),
        "big-ranking": (part_big_ranking, args.web_seconds, raw),
        "rescore": (part_rescore, raw),
    }
    writing = {
        "sweep": (part_sweep, raw),
        "ingest": (part_ingest, args.messages, raw),
        "call-import": (part_call_import, raw),
    }

    def wanted(name: str) -> bool:
        return name not in args.skip and (not args.only or name in args.only)

    for name, (function, *rest) in parts.items():
        if wanted(name):
            guarded(name, rows, function, *rest)
    if any(wanted(name) for name in writing):
        # The parts that write work in a file-level copy of the scale database, dropped after.
        common.create_database(WORK_DB, template=common.SCALE_DB)
        try:
            for name, (function, *rest) in writing.items():
                if wanted(name):
                    guarded(name, rows, function, *rest)
        finally:
            common.drop_database(WORK_DB)
    if wanted("load"):
        guarded("load", rows, part_load, raw)
    if args.scale > 1 and wanted("growth"):
        guarded("growth", rows, part_growth, args.scale, raw)
    table = render_table(rows)
    header = (
        f"Benchmark run {started_at:%Y-%m-%d %H:%M} UTC, {common.cpu_summary()}; "
        f"scale database {raw['scale']}.\n\n"
    )
    print("\n" + header + table)
    common.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = f"{started_at:%Y%m%dT%H%M%S}"
    for name in ("latest.md", f"bench-{stamp}.md"):
        (common.RESULTS_DIR / name).write_text(header + table)
    raw["rows"] = [row.__dict__ for row in rows]
    (common.RESULTS_DIR / f"bench-{stamp}.json").write_text(json.dumps(raw, indent=2))
    log(f"written to {common.RESULTS_DIR / 'latest.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
