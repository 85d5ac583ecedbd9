"""The 1M-contact scale database, seeded once and reused by later runs."""

import time

import psycopg

from bench import common

#: devdata.scale.SCALE_PREFIX (the runner does not load Django; tests/unit pins the two equal).
SCALE_PREFIX = "Scale "


def scale_contacts(db: str = common.SCALE_DB) -> int:
    """Contacts in the scale database, 0 when it is missing or holds no scale dataset."""
    if not common.database_exists(db):
        return 0
    with psycopg.connect(common.database_url(db)) as conn:
        if not conn.execute("SELECT to_regclass('followups_contact')").fetchone()[0]:
            return 0
        scale_requisitions = conn.execute(
            "SELECT count(*) FROM hiring_requisition WHERE title LIKE %s", [f"{SCALE_PREFIX}%"]
        ).fetchone()[0]
        if not scale_requisitions:
            return 0
        return conn.execute("SELECT count(*) FROM followups_contact").fetchone()[0]


def ensure_scale(reseed: bool = False, scale: int = 1) -> str:
    """Migrate the scale database (``scale`` times the default size: ``persist_scale`` at 1,
    ``persist_scale10`` at 10); seed it (in a fresh database) unless already seeded."""
    db = common.scale_db(scale)
    have = 0 if reseed else scale_contacts(db)
    if have >= common.SCALE_CONTACTS * scale:
        common.manage(db, "migrate", "--no-input")
        # Earlier runs may have left dead rows (autovacuum can be off, as on the development
        # machine); production's autovacuum would have cleaned them, so the pages are measured
        # on a vacuumed database.
        common.vacuum_analyze(db)
        return f"reused ({have:,} contacts, vacuumed)"
    started = time.perf_counter()
    # A fresh database is faster and cleaner than seed_scale --force's set-based deletes.
    common.create_database(db)
    common.manage(db, "migrate", "--no-input")
    common.manage(db, "seed_scale", *common.scale_seed_args(scale), timeout=1800 * scale)
    common.vacuum_analyze(db)
    return f"seeded in {time.perf_counter() - started:.0f} s"
