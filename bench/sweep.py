"""``python -m bench.sweep --json FILE [--tests 100000]``: the silence-test sweep at scale.

Run in a throwaway copy of the scale database (1M contacts present). Adds ``--tests`` silence
tests that are all overdue — waiting although their deadline passed ten days ago and their
window closed three days ago, as after a long outage — for as many new applications in the
scale pipeline's silence-test stage, spread over the first 200 scale requisitions (all of them
at 1x; the same digest groups at every scale); a third of them have an inbound follow-up inside
their window (they reached out), a few only before the deadline.
Then times ``silence_tests_sweep`` (each test, overdue for both transitions, goes from waiting
to closed in one write, with its outcome and digest) and checks that nothing due remains.
Prints EXPLAIN ANALYZE of the batch claim queries.
"""

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from datetime import timedelta
from pathlib import Path

#: Share of the added tests whose candidate followed up inside the window.
REACHED_OUT_EVERY = 3
#: The tests go to this many scale requisitions (all of them at 1x), at every scale: the same
#: tests in the same digest groups, so that ``--scale N`` changes the data around them only.
SWEEP_REQUISITIONS = 200


def _explain(sql_and_params) -> str:
    from django.db import connection

    sql, params = sql_and_params
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def seed_due_tests(count: int, now) -> None:
    from django.db import transaction

    from candidates.models import Application, Candidate
    from devdata.scale import SCALE_PIPELINE_NAME, SCALE_PREFIX, bulk_insert, reserve_ids
    from followups.models import Channel, Contact, Direction
    from hiring.models import Pipeline, Requisition, SilenceTest, StageKind

    pipeline = Pipeline.objects.get(name=SCALE_PIPELINE_NAME)
    stage = pipeline.stages.get(kind=StageKind.SILENCE_TEST)
    requisitions = list(
        Requisition.objects.filter(title__startswith=SCALE_PREFIX)
        .order_by("pk")
        .values_list("pk", "time_zone")[:SWEEP_REQUISITIONS]
    )
    announced, deadline, closes = (now - timedelta(days=d) for d in (14, 10, 3))
    with transaction.atomic():
        first_candidate = reserve_ids(Candidate, count)
        first_app = reserve_ids(Application, count)
        first_test = reserve_ids(SilenceTest, count)
        insert = {"now": now, "batch_size": 5000}
        bulk_insert(
            Candidate,
            ("id", "first_name", "last_name"),
            ((first_candidate + i, "Sweep", f"Bench {i}") for i in range(count)),
            **insert,
        )
        bulk_insert(
            Application,
            ("id", "candidate_id", "requisition_id", "stage_id", "stage_entered_at", "updated_at"),
            (
                (
                    first_app + i,
                    first_candidate + i,
                    requisitions[i % len(requisitions)][0],
                    stage.pk,
                    announced,
                    now,
                )
                for i in range(count)
            ),
            **insert,
        )
        bulk_insert(
            SilenceTest,
            (
                "id",
                "application_id",
                "stage_id",
                "announced_at",
                "time_zone",
                "deadline_at",
                "window_closes_at",
                "updated_at",
            ),
            (
                (
                    first_test + i,
                    first_app + i,
                    stage.pk,
                    announced,
                    requisitions[i % len(requisitions)][1],
                    deadline,
                    closes,
                    now,
                )
                for i in range(count)
            ),
            **insert,
        )
        contacts = [
            (first_candidate + i, first_app + i, deadline + timedelta(hours=30))
            for i in range(0, count, REACHED_OUT_EVERY)
        ] + [  # before the deadline: does not count
            (first_candidate + i, first_app + i, deadline - timedelta(hours=2))
            for i in range(1, count, REACHED_OUT_EVERY * 5)
        ]
        first_contact = reserve_ids(Contact, len(contacts))
        bulk_insert(
            Contact,
            ("id", "candidate_id", "application_id", "occurred_at", "channel", "direction"),
            (
                (first_contact + i, cand, app, at, Channel.EMAIL, Direction.INBOUND)
                for i, (cand, app, at) in enumerate(contacts)
            ),
            **insert,
        )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def floor_seconds(now, *, indexes: bool = True) -> tuple[float, dict]:
    """The floor: one set-based UPDATE … FROM deciding the same outcomes on a copy of the due
    rows (the outcome rule of ``followups.rules``, written out in SQL: withdrew, reached out,
    contacted before the deadline only, silent), nothing else — no digests, no auto-reject, no
    score refresh, no batching. With ``indexes`` the copy has the table's indexes, so the floor
    pays the index entries every update of these rows must write (the tests' updates cannot be
    HOT: docs/performance.md); without, it measures a bare heap. Returns seconds and the outcome
    counts, which must equal the sweep's."""
    from django.db import connection

    from candidates.models import Application
    from followups.models import Contact, ContactTag, Direction, QualityTag
    from followups.rules import TEST_LOOKBACK
    from hiring.models import SilenceOutcome, SilenceTest, Stage, StageKind

    tests, contacts, tags, applications, stages = (
        m._meta.db_table for m in (SilenceTest, Contact, ContactTag, Application, Stage)
    )
    # A human inbound contact of the test's application in [from, to] (to_op: <= or <).
    in_scope = f"""SELECT FROM {contacts} c
        WHERE c.application_id = t2.application_id
          AND c.direction = %(inbound)s AND NOT c.is_automated
          AND c.occurred_at >= {{start}} AND c.occurred_at {{to_op}} {{end}}"""
    opt_out = f"SELECT FROM {tags} g WHERE g.contact_id = c.id AND g.tag = %(opt_out)s"
    persistence = f"NOT c.is_prompted AND NOT EXISTS ({opt_out})"
    scope_start = "t2.deadline_at - %(lookback)s"
    withdrawal = in_scope.format(start=scope_start, to_op="<=", end="t2.window_closes_at")
    follow_up = in_scope.format(start="t2.deadline_at", to_op="<=", end="t2.window_closes_at")
    early = in_scope.format(start=scope_start, to_op="<", end="t2.deadline_at")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_sweep_floor")
        like = "INCLUDING INDEXES" if indexes else ""
        cursor.execute(f"CREATE TABLE bench_sweep_floor (LIKE {tests} {like})")
        # The same rows the sweep finds due (``due`` in main).
        cursor.execute(
            f"""INSERT INTO bench_sweep_floor SELECT * FROM {tests}
            WHERE (state = 'waiting' AND deadline_at <= %(now)s)
               OR (state = 'observing' AND window_closes_at <= %(now)s)""",
            {"now": now},
        )
        cursor.execute("ANALYZE bench_sweep_floor")
        started = time.perf_counter()
        cursor.execute(
            f"""
            UPDATE bench_sweep_floor t
            SET state = CASE WHEN t2.window_closes_at <= %(now)s THEN 'closed'
                             ELSE 'observing' END,
                updated_at = %(now)s,
                closed_at = CASE WHEN t2.window_closes_at <= %(now)s THEN %(now)s END,
                outcome = CASE
                    WHEN t2.window_closes_at > %(now)s THEN ''
                    WHEN s.kind = %(withdrawn_stage)s
                        OR EXISTS ({withdrawal} AND EXISTS ({opt_out})) THEN %(withdrew)s
                    WHEN EXISTS ({follow_up} AND {persistence}) THEN %(reached_out)s
                    WHEN EXISTS ({early} AND {persistence}) THEN %(early_only)s
                    ELSE %(silent)s END
            FROM bench_sweep_floor t2
            JOIN {applications} a ON a.id = t2.application_id
            JOIN {stages} s ON s.id = a.stage_id
            WHERE t.id = t2.id
            """,
            {
                "now": now,
                "inbound": Direction.INBOUND,
                "opt_out": QualityTag.OPT_OUT,
                "lookback": TEST_LOOKBACK,
                "withdrawn_stage": StageKind.WITHDRAWN,
                "withdrew": SilenceOutcome.WITHDREW,
                "reached_out": SilenceOutcome.REACHED_OUT,
                "early_only": SilenceOutcome.EARLY_ONLY,
                "silent": SilenceOutcome.SILENT,
            },
        )
        seconds = time.perf_counter() - started
        cursor.execute(
            "SELECT outcome, count(*) FROM bench_sweep_floor WHERE state = %s GROUP BY outcome",
            ["closed"],
        )
        counts = dict(cursor.fetchall())
        cursor.execute("DROP TABLE bench_sweep_floor")
    return seconds, counts


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", required=True)
    parser.add_argument("--tests", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true", help="print the cProfile top 25")
    parser.add_argument("--batch-size", type=int, default=0, help="default: SWEEP_BATCH_SIZE")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db.models import Count, Q
    from django.utils import timezone

    from followups.models import Contact
    from hiring.models import SilenceTest, SilenceTestState
    from silence.services import SWEEP_BATCH_SIZE, silence_tests_sweep

    now = timezone.now()
    contacts_before = Contact.objects.count()
    seed_due_tests(args.tests, now)
    due = Q(state=SilenceTestState.WAITING, deadline_at__lte=now) | Q(
        state=SilenceTestState.OBSERVING, window_closes_at__lte=now
    )
    claim = (
        SilenceTest.objects.filter(state=SilenceTestState.WAITING, deadline_at__lte=now)
        .order_by("deadline_at", "id")
        .values_list("id", flat=True)[:SWEEP_BATCH_SIZE]
    )
    explain_claim = _explain(claim.query.sql_with_params())
    due_before = SilenceTest.objects.filter(due).count()
    floor, floor_outcomes = floor_seconds(now)
    bare_floor, _outcomes = floor_seconds(now, indexes=False)
    profiler = cProfile.Profile() if args.profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    result = silence_tests_sweep(now=now, batch_size=args.batch_size or SWEEP_BATCH_SIZE)
    seconds = time.perf_counter() - started
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    remaining = SilenceTest.objects.filter(due).count()
    swept_outcomes = dict(
        SilenceTest.objects.filter(closed_at=now)
        .values_list("outcome")
        .annotate(n=Count("pk"))
        .values_list("outcome", "n")
    )
    outcome = {
        "floor_seconds": floor,
        "floor_outcomes": floor_outcomes,
        "bare_floor_seconds": bare_floor,
        "outcomes": swept_outcomes,
        "ratio": seconds / floor,
        "tests": due_before,
        "seconds": seconds,
        "started": result.started,
        "closed": result.closed,
        "auto_rejected": result.auto_rejected,
        "digests": len(result.digests),
        "remaining_due": remaining,
        "contacts": Contact.objects.count(),
        "contacts_before": contacts_before,
        "explain_claim": explain_claim,
    }
    print(
        f"sweep: {due_before:,} due tests in {seconds:.2f} s — {result.started:,} started, "
        f"{result.closed:,} closed, {result.auto_rejected:,} auto-rejected, "
        f"{len(result.digests)} digests; {remaining} still due; "
        f"{outcome['contacts']:,} contacts"
    )
    print(explain_claim)
    Path(args.json).write_text(json.dumps(outcome))
    return 0 if remaining == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
