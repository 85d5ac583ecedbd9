"""Benchmark the call-log CSV import: a generated 10 000-row generic CSV imported twice.

Not part of the test suite. Runs against the database in DATABASE_URL (migrated first):

    createdb -h 127.0.0.1 -U postgres persist_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/persist_bench .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/persist_bench \\
        .venv/bin/python -m bench.call_import [--rows 10000] [--candidates 2000]

Seeds (once) a requisition with ``--candidates`` candidates, each with a phone number and an
application; then writes a CSV whose numbers mostly match them (some unmatched numbers, a few
malformed rows, some rows without a call id), imports it, and imports the same bytes again. The
second pass must add no contact and report every importable row as a duplicate.
"""

import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402

from candidates.models import Application, Candidate, CandidatePhone  # noqa: E402
from followups.imports import CHUNK_SIZE, call_import_create, call_import_run  # noqa: E402
from followups.models import Contact  # noqa: E402
from hiring.models import Pipeline, Requisition, Stage, StageKind  # noqa: E402

BENCH_LAST_NAME = "Benchmark"
TEAM_NUMBER = "+12125550199"


def candidate_number(n: int) -> str:
    return f"+1415557{n:04d}"


def seed(candidates: int) -> None:
    """A requisition with ``candidates`` candidates (phone + application); idempotent."""
    manager, _ = get_user_model().objects.get_or_create(username="bench-manager")
    pipeline, _ = Pipeline.objects.get_or_create(name="Benchmark pipeline")
    stage, _ = Stage.objects.get_or_create(
        pipeline=pipeline, name="Applied", defaults={"kind": StageKind.APPLIED, "order": 10}
    )
    requisition, _ = Requisition.objects.get_or_create(
        title="Benchmark: call import",
        defaults={
            "pipeline": pipeline,
            "hiring_manager": manager,
            "time_zone": "America/New_York",
            "country": "US",
        },
    )
    have = CandidatePhone.objects.filter(candidate__last_name=BENCH_LAST_NAME).count()
    if have >= candidates:
        return
    now = datetime.now(UTC)
    new = Candidate.objects.bulk_create(
        Candidate(first_name=f"Bench{n}", last_name=BENCH_LAST_NAME)
        for n in range(have, candidates)
    )
    CandidatePhone.objects.bulk_create(
        CandidatePhone(candidate=c, number=candidate_number(n))
        for n, c in zip(range(have, candidates), new, strict=True)
    )
    Application.objects.bulk_create(
        Application(candidate=c, requisition=requisition, stage=stage, stage_entered_at=now)
        for c in new
    )


def generate_csv(rows: int, candidates: int, tag: str, seed_value: int = 42) -> bytes:
    """85 % matching numbers, 10 % unmatched, 3 % malformed, 2 % without a call id."""
    rng = random.Random(seed_value)
    start = datetime(2025, 1, 6, 8, 0)  # noqa: DTZ001 — wall time, as the CSV writes it
    lines = ["date,time,direction,from,to,duration,call_id,notes"]
    for n in range(rows):
        at = start + timedelta(minutes=7 * n + rng.randrange(5))
        inbound = rng.random() < 0.6
        roll = rng.random()
        if roll < 0.85:
            number = f"(415) 557-{rng.randrange(candidates):04d}"  # national format
        elif roll < 0.95:
            number = f"+1 628 555 {n % 10000:04d}"
        else:
            number = candidate_number(rng.randrange(candidates))
        direction = "inbound" if inbound else "outbound"
        call_id = f"{tag}-{n}"
        date_text = at.strftime("%Y-%m-%d")
        if 0.95 <= roll < 0.96:
            date_text = "2025-02-30"  # malformed: no such date
        elif 0.96 <= roll < 0.97:
            direction = "sideways"  # malformed: unknown direction
        elif 0.97 <= roll < 0.98:
            number = ""  # malformed: missing number
        elif roll >= 0.98:
            call_id = ""  # identified by the hash of its fields
        caller, called = (number, TEAM_NUMBER) if inbound else (TEAM_NUMBER, number)
        duration = f"{rng.randrange(0, 20)}:{rng.randrange(60):02d}"
        lines.append(
            f"{date_text},{at:%H:%M:%S},{direction},{caller},{called},{duration},{call_id},"
            f"bench {tag}"
        )
    return ("\n".join(lines) + "\n").encode()


def run_pass(label: str, content: bytes) -> dict:
    contacts_before = Contact.objects.count()
    started = time.perf_counter()
    batch = call_import_create(
        uploaded_by=None,
        filename=f"bench-{label}.csv",
        content=content,
        preset="generic",
        default_region="US",
        enqueue=False,
    )
    batch = call_import_run(batch_id=batch.pk, now=datetime.now(UTC), time_zone="America/New_York")
    elapsed = time.perf_counter() - started
    result = {
        "rows": batch.total_rows,
        "seconds": elapsed,
        "rows_per_second": batch.total_rows / elapsed,
        "imported": batch.imported,
        "duplicates": batch.duplicates,
        "unmatched": batch.unmatched,
        "errors": batch.errors,
        "new_contacts": Contact.objects.count() - contacts_before,
    }
    print(
        f"{label}: {result['rows']} rows in {elapsed:.2f} s = {result['rows_per_second']:.0f} "
        f"rows/s — {batch.imported} imported, {batch.duplicates} duplicate, "
        f"{batch.unmatched} unmatched, {batch.errors} error; "
        f"{result['new_contacts']} new contacts (batch #{batch.pk}, {batch.status})"
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--candidates", type=int, default=2_000)
    args = parser.parse_args()
    print(
        f"Database {connection.settings_dict['NAME']} on {connection.vendor}; "
        f"chunks of {CHUNK_SIZE} rows"
    )
    seed(args.candidates)
    tag = f"bench{int(time.time())}"
    content = generate_csv(args.rows, args.candidates, tag)
    print(f"Generated {args.rows} rows ({len(content) / 1024:.0f} KiB), call ids {tag}-*")
    first = run_pass("first import", content)
    second = run_pass("same file again", content)
    stored = first["imported"] + first["unmatched"]
    ok = (
        second["new_contacts"] == 0
        and second["imported"] == second["unmatched"] == 0
        and second["duplicates"] == stored + first["duplicates"]
        and second["errors"] == first["errors"]
        and first["new_contacts"] == stored
    )
    print("Idempotent: " + ("yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
