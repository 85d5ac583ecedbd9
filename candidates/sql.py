"""The candidates app's raw SQL: the only module of the app that talks SQL (docs/design.md,
"Raw SQL"). Table names come from the models; tests/integration/test_sql_modules.py compares
each function with an ORM reference on small data."""

from collections.abc import Sequence
from datetime import datetime

from django.db import connection

from candidates.models import Application, StaleScore

_q = connection.ops.quote_name
_STALE = _q(StaleScore._meta.db_table)
_APPLICATION = _q(Application._meta.db_table)

# An upsert, which the ORM cannot write with DO UPDATE on a conflict target in one statement
# over a set of ids (``bulk_create(update_conflicts=...)`` needs the rows in Python first, and
# would not skip deleted applications).
_MARK_SQL = f"""
    INSERT INTO {_STALE} (application_id, marked_at)
    SELECT a.id, %(at)s FROM {_APPLICATION} a WHERE a.id = ANY(%(ids)s::bigint[])
    ORDER BY a.id
    ON CONFLICT (application_id) DO UPDATE SET marked_at = EXCLUDED.marked_at
"""


def stale_scores_upsert(application_ids: Sequence[int], *, at: datetime) -> None:
    """Mark these applications' scores stale at ``at`` (an existing mark is moved to ``at``;
    an application that does not exist is skipped), in id order."""
    with connection.cursor() as cursor:
        cursor.execute(_MARK_SQL, {"at": at, "ids": [int(i) for i in application_ids]})
