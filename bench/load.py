"""``python -m bench.load`` (``make loadtest``): 50 concurrent users for 60 s on loopback.

Hiring managers reading dashboards, recruiters logging calls (CSRF POSTs) and webhook deliveries
(signed Twilio SMS, basic-auth anymail email) against gunicorn (``common.WEB_WORKERS`` sync
workers, production settings) serving a throwaway copy of the scale database. Passes when the
server answered no request with a 5xx; prints p50/p95/p99 overall and p95 per request, and writes
them to ``var/bench-results/loadtest-latest.md``.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import common
from bench.report import Row, render_table
from bench.scale_db import ensure_scale

LOAD_DB = f"{common.DB_PREFIX}_load"
USERS = 50
SPAWN_RATE = 25
SECONDS = 60


def run(users: int = USERS, seconds: int = SECONDS) -> dict:
    """The load test against a copy of the (already seeded) scale database: locust's figures."""
    common.create_database(LOAD_DB, template=common.SCALE_DB)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            fixtures = Path(tmp) / "fixtures.json"
            fixtures.write_text(
                json.dumps(common.run_part("bench.fixtures", LOAD_DB, "--sessions=5"))
            )
            result_file = Path(tmp) / "result.json"
            with common.gunicorn(LOAD_DB) as base:
                env = common.app_env(
                    LOAD_DB, BENCH_FIXTURES=str(fixtures), BENCH_LOAD_RESULT=str(result_file)
                )
                subprocess.run(
                    [
                        str(Path(common.PYTHON).with_name("locust")),
                        "-f",
                        str(Path(__file__).with_name("locustfile.py")),
                        "--headless",
                        f"--users={users}",
                        f"--spawn-rate={SPAWN_RATE}",
                        f"--run-time={seconds}s",
                        f"--host={base}",
                        "--only-summary",
                        "--loglevel=WARNING",
                    ],
                    cwd=common.ROOT,
                    env=env,
                    check=False,  # locust exits 1 on any failure; judged below instead
                    timeout=seconds + 120,
                )
            return json.loads(result_file.read_text())
    finally:
        common.drop_database(LOAD_DB)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--seconds", type=int, default=SECONDS)
    args = parser.parse_args(argv)
    print(f"scale database: {ensure_scale()}", flush=True)
    common.collectstatic()
    result = run(args.users, args.seconds)
    rows = [
        Row(
            f"load test: {args.users} users, {args.seconds} s, gunicorn "
            f"{common.WEB_WORKERS} workers",
            f"{result['requests']:,} requests ({result['requests_per_second']:.0f}/s), "
            f"p50/p95/p99 {result['p50_ms']:.0f}/{result['p95_ms']:.0f}/{result['p99_ms']:.0f} ms, "
            f"{result['failures']} failures",
            "0 server errors",
            result["server_errors"] == 0 and result["requests"] > 0,
        ),
        *(
            Row(f"  {name}", f"{r['requests']:,} requests, p95 {r['p95_ms']:.0f} ms")
            for name, r in sorted(result["by_name"].items())
        ),
    ]
    if result["server_errors"]:
        rows.append(Row("server errors by request", json.dumps(result["server_errors_by_name"])))
    table = render_table(rows)
    header = f"Load test, {common.cpu_summary()}.\n\n"
    print("\n" + header + table)
    common.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (common.RESULTS_DIR / "loadtest-latest.md").write_text(header + table)
    return 0 if rows[0].met else 1


if __name__ == "__main__":
    sys.exit(main())
