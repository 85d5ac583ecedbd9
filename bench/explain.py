"""``python -m bench.explain [--as manager|recruiter] PATH …``: EXPLAIN ANALYZE every query a
page runs (as the benchmark user, in the database of ``DATABASE_URL``), with its execution time
and any sequential scan — how the dashboards' hot queries were checked for missing indexes.
"""

import argparse
import os
import re
import sys

#: Sequential scans of tables smaller than this many rows are cheaper than an index: not flagged.
SMALL_TABLE_ROWS = 10_000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--as", dest="role", choices=["manager", "recruiter"], default="manager")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(get_user_model().objects.get(username=f"bench-{args.role}"))
    flagged = 0
    for path in args.paths:
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            status = client.get(path).status_code
        print(f"\n== {path} (HTTP {status}, {len(captured)} queries)")
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN ANALYZE " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            took = re.search(r"Execution Time: ([\d.]+) ms", plan).group(1)
            scans = []
            for table in sorted(set(re.findall(r"Seq Scan on (\w+)", plan))):
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table]
                    )
                    size = cursor.fetchone()[0]
                if size >= SMALL_TABLE_ROWS:
                    scans.append(f"{table} ({size:,} rows)")
            flagged += bool(scans)
            note = f"  SEQ SCAN: {', '.join(scans)}" if scans else ""
            print(f"{float(took):8.2f} ms  {sql[:110]}{note}")
    print(f"\n{flagged} queries scan a large table sequentially")
    return 0


if __name__ == "__main__":
    sys.exit(main())
