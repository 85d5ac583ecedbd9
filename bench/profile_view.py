"""``python -m bench.profile_view PATH [--requests N] [--as manager|recruiter]``: where a page's
time goes. cProfile over N requests through the test client (full middleware stack) as the
benchmark user, in the database of ``DATABASE_URL``; prints SQL time and the top functions.
"""

import argparse
import cProfile
import os
import pstats
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--as", dest="role", choices=["manager", "recruiter"], default="manager")
    parser.add_argument("--top", type=int, default=30)
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
    response = client.get(args.path)
    print(f"{args.path}: HTTP {response.status_code}, {len(response.content):,} bytes")
    profiler = cProfile.Profile()
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        profiler.enable()
        for _ in range(args.requests):
            client.get(args.path)
        profiler.disable()
    seconds = time.perf_counter() - started
    sql = sum(float(q["time"]) for q in queries.captured_queries)
    print(
        f"{seconds / args.requests * 1000:.1f} ms per request (profiled), of which SQL "
        f"{sql / args.requests * 1000:.1f} ms in {len(queries) // args.requests} queries"
    )
    stats = pstats.Stats(profiler)
    stats.sort_stats(os.environ.get("PROFILE_SORT", "tottime")).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
