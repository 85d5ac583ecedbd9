"""``python -m bench.profile_ingest [--messages N] [--top N] [--queries] [--batch | --webhook]``:
where email ingest's time goes. cProfile over N distinct messages from scale candidates'
addresses, in the database of ``DATABASE_URL`` (a copy of the scale database: it writes);
prints the time and SQL queries per message and the top functions. ``--queries`` lists one
message's SQL. The paths:

* default: ``email_ingest`` per message, each scored (what LMTP and one pipe per message do);
* ``--batch``: ``emails_ingest`` per ``EMAIL_CHUNK`` and one score drain per chunk, as
  ``ingest_email FILE …`` does;
* ``--webhook``: each message POSTed as Postmark inbound JSON (``RawEmail``) to the email
  webhook through Django's test client (basic auth from ``ANYMAIL_WEBHOOK_SECRET``), so the
  view, anymail's checks and the ingest are all in the profile.
"""

import argparse
import base64
import cProfile
import json
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
    path = parser.add_mutually_exclusive_group()
    path.add_argument("--batch", action="store_true", help="as ingest_email FILE … stores them")
    path.add_argument("--webhook", action="store_true", help="POSTed to the Postmark webhook")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()

    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bench.ingest import messages, scale_addresses
    from candidates.freshness import stale_scores_drain_now
    from followups.models import Contact, ContactSource
    from followups.services import EMAIL_CHUNK, email_ingest, emails_ingest

    raws = messages(scale_addresses(args.messages + 1), args.messages + 1, f"prof{time.time_ns()}")
    client = Client()
    secret = settings.ANYMAIL.get("WEBHOOK_SECRET", "")
    auth = "Basic " + base64.b64encode(secret.encode()).decode()

    def post(raw: bytes) -> str:
        response = client.post(
            "/webhooks/email/postmark/",
            json.dumps({"RecordType": "Inbound", "RawEmail": raw.decode()}),
            content_type="application/json",
            HTTP_AUTHORIZATION=auth,
        )
        return f"HTTP {response.status_code}"

    def one(raw: bytes) -> str:
        if args.webhook:
            return post(raw)
        return email_ingest(raw=raw, source=ContactSource.PIPE, now=timezone.now()).status

    # The first message pays one-off costs (imports, connection): not part of the per-message cost.
    with CaptureQueriesContext(connection) as first:
        one(raws[0])
    if args.queries:
        for query in first.captured_queries:
            print(query["sql"][:300])
    profiler = cProfile.Profile()
    outcomes: Counter = Counter()
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        profiler.enable()
        if args.batch:
            for start in range(0, len(raws) - 1, EMAIL_CHUNK):
                chunk = emails_ingest(
                    raws=raws[1 + start : 1 + start + EMAIL_CHUNK],
                    source=ContactSource.PIPE,
                    now=timezone.now(),
                )
                outcomes.update(o.status for o in chunk)
                stale_scores_drain_now(
                    Contact.objects.filter(
                        pk__in=[o.contact_id for o in chunk if o.contact_id]
                    ).values_list("application_id", flat=True)
                )
        else:
            outcomes.update(one(raw) for raw in raws[1:])
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
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
