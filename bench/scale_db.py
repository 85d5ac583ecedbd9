"""The 1M-contact scale database, seeded once and reused by later runs."""

import time

import psycopg

from bench import common

#: devdata.scale.SCALE_PREFIX (the runner does not load Django; tests/unit pins the two equal).
SCALE_PREFIX = "Scale "


def scale_contacts() -> int:
    """Contacts in the scale database, 0 when it is missing or holds no scale dataset."""
    if not common.database_exists(common.SCALE_DB):
        return 0
    with psycopg.connect(common.database_url(common.SCALE_DB)) as conn:
        if not conn.execute("SELECT to_regclass('followups_contact')").fetchone()[0]:
            return 0
        scale_requisitions = conn.execute(
            "SELECT count(*) FROM hiring_requisition WHERE title LIKE %s", [f"{SCALE_PREFIX}%"]
        ).fetchone()[0]
        if not scale_requisitions:
            return 0
        return conn.execute("SELECT count(*) FROM followups_contact").fetchone()[0]


def ensure_scale(reseed: bool = False) -> str:
    """Migrate the scale database; seed it (in a fresh database) unless already seeded."""
    have = 0 if reseed else scale_contacts()
    if have >= common.SCALE_CONTACTS:
        common.manage(common.SCALE_DB, "migrate", "--no-input")
        # Earlier runs may have left dead rows (autovacuum can be off, as on the development
        # machine); production's autovacuum would have cleaned them, so the pages are measured
        # on a vacuumed database.
        common.vacuum_analyze(common.SCALE_DB)
        return f"reused ({have:,} contacts, vacuumed)"
    started = time.perf_counter()
    # A fresh database is faster and cleaner than seed_scale --force's set-based deletes.
    common.create_database(common.SCALE_DB)
    common.manage(common.SCALE_DB, "migrate", "--no-input")
    common.manage(common.SCALE_DB, "seed_scale", timeout=1800)
    common.vacuum_analyze(common.SCALE_DB)
    return f"seeded in {time.perf_counter() - started:.0f} s"
