"""``python -m bench.profile_ingest [--messages N] [--top N] [--queries]``: where email ingest's
time goes. cProfile over N distinct messages from scale candidates' addresses through
``email_ingest`` in one process (what ``ingest_email`` and the webhook call per message; with
``--batch`` the score refreshes are deferred as ``ingest_email FILE …`` does), in the
database of ``DATABASE_URL`` (a copy of the scale database: it writes); prints the time and SQL
queries per message and the top functions. ``--queries`` lists one message's SQL.
"""

import argparse
import cProfile
import os
import pstats
import sys
import time
from collections import Counter


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--queries", action="store_true")
    parser.add_argument(
        "--batch", action="store_true", help="defer score refreshes as ingest_email FILE … does"
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bench.ingest import messages, scale_addresses
    from candidates.freshness import stale_scores_drain_now
    from followups.models import Contact, ContactSource
    from followups.services import email_ingest

    raws = messages(scale_addresses(args.messages + 1), args.messages + 1, f"prof{time.time_ns()}")
    # The first message pays one-off costs (imports, connection): not part of the per-message cost.
    with CaptureQueriesContext(connection) as first:
        email_ingest(raw=raws[0], source=ContactSource.PIPE, now=timezone.now())
    if args.queries:
        for query in first.captured_queries:
            print(query["sql"][:300])
    profiler = cProfile.Profile()
    outcomes: Counter = Counter()
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        profiler.enable()
        # --batch: as `ingest_email FILE...` does, mark scores stale per message and drain once.
        stored = []
        for raw in raws[1:]:
            outcome = email_ingest(
                raw=raw, source=ContactSource.PIPE, now=timezone.now(), drain_scores=not args.batch
            )
            outcomes[outcome.status] += 1
            if outcome.contact_id:
                stored.append(outcome.contact_id)
        if args.batch:
            stale_scores_drain_now(
                Contact.objects.filter(pk__in=stored).values_list("application_id", flat=True)
            )
        profiler.disable()
    seconds = time.perf_counter() - started
    count = args.messages
    sql = sum(float(q["time"]) for q in queries.captured_queries)
    print(
        f"{count} messages {dict(outcomes)}: {seconds / count * 1000:.2f} ms per message "
        f"(profiled), SQL {sql / count * 1000:.2f} ms in {len(queries) / count:.1f} queries"
    )
    shapes: Counter = Counter()
    for query in queries.captured_queries:
        shapes[" ".join(query["sql"].split())[:90]] += float(query["time"])
    for shape, total in shapes.most_common(12):
        print(f"{total / count * 1000:7.2f} ms/message  {shape}")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
