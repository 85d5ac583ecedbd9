"""Benchmark the retention selector and candidate erasure on a large dataset.

Not part of the test suite. Runs against the database in DATABASE_URL (migrated, seeded with
``manage.py seed_scale``). Everything it changes is rolled back:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/persist_bench \\
        .venv/bin/python -m bench.erasure [--months 6] [--batch 100]

Measures, best of three: the set-based retention selector (one SQL query, how many candidates
it finds), one ``candidate_erase`` of the candidate with the most contacts, and one
``candidates_erase`` of a retention batch.
"""

import argparse
import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from candidates.models import Candidate  # noqa: E402
from privacy.retention import months_before  # noqa: E402
from privacy.selectors import candidates_without_activity_since  # noqa: E402
from privacy.services import candidate_erase, candidates_erase  # noqa: E402

ROUNDS = 3


class _Rollback(Exception):
    pass


def _timed_in_rollback(fn):
    best, outcome = None, None
    for _ in range(ROUNDS):
        try:
            with transaction.atomic():
                started = time.perf_counter()
                with CaptureQueriesContext(connection) as queries:
                    outcome = fn()
                elapsed = time.perf_counter() - started
                raise _Rollback
        except _Rollback:
            pass
        best = elapsed if best is None else min(best, elapsed)
    return best, outcome, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    now = timezone.now()
    cutoff = months_before(now, args.months)
    print(f"candidates: {Candidate.objects.count()}, cutoff {cutoff:%Y-%m-%d}")

    seconds, due, queries = _timed_in_rollback(
        lambda: list(candidates_without_activity_since(cutoff=cutoff).values_list("pk", flat=True))
    )
    print(f"retention selector: {seconds:.3f} s, {queries} query, {len(due)} candidates due")

    busiest = (
        Candidate.objects.annotate(n=Count("contacts")).order_by("-n").values_list("pk", "n")[:1]
    )
    for pk, contacts in busiest:
        seconds, result, queries = _timed_in_rollback(
            lambda pk=pk: candidate_erase(
                candidate=Candidate.objects.get(pk=pk), actor=None, reason="request"
            )
        )
        print(f"erase one candidate ({contacts} contacts): {seconds:.3f} s, {queries} queries")
        print(f"  {result}")

    batch = (due or list(Candidate.objects.values_list("pk", flat=True)))[: args.batch]
    seconds, result, queries = _timed_in_rollback(
        lambda: candidates_erase(candidate_ids=batch, actor=None, reason="retention")
    )
    print(f"erase a batch of {len(batch)}: {seconds:.3f} s, {queries} queries")


if __name__ == "__main__":
    main()
