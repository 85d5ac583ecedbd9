"""The silence app's raw SQL: the only module of the app that talks SQL (docs/design.md, "Raw
SQL"). Table names come from the models; tests/integration/test_sql_modules.py compares each
function with an ORM reference on small data."""

from collections.abc import Sequence
from datetime import datetime

from django.db import connection

from candidates.models import Application
from hiring.models import SilenceDigest, SilenceTest

_q = connection.ops.quote_name

_DIGEST = _q(SilenceDigest._meta.db_table)
_TEST = _q(SilenceTest._meta.db_table)
_APPLICATION = _q(Application._meta.db_table)

# The missing digests of the groups of a batch's closing tests, in one statement: the groups
# never travel to Python and back.
_DIGESTS_ENSURE_SQL = f"""
    INSERT INTO {_DIGEST} (requisition_id, window_closes_at, created_at, recipient, failure)
    SELECT DISTINCT g.requisition_id, g.window_closes_at, %(now)s, '', ''
    FROM (
        -- A scalar subquery, not a join: one primary-key lookup per test, where a join let
        -- the planner hash the whole applications table for a thousand rows.
        SELECT (SELECT a.requisition_id FROM {_APPLICATION} a WHERE a.id = t.application_id)
                AS requisition_id,
            t.window_closes_at
        FROM {_TEST} t
        WHERE t.id = ANY(%(ids)s::bigint[]) AND t.window_closes_at <= %(now)s
    ) g
    ORDER BY g.requisition_id, g.window_closes_at
    ON CONFLICT (requisition_id, window_closes_at) DO NOTHING
"""


def digests_ensure(test_ids: Sequence[int], *, now: datetime) -> None:
    """Create the missing digests of the (requisition, window close) groups of these tests whose
    window has closed by ``now``, ordered (two batches never wait for each other's rows in
    opposite orders); an existing digest is left alone (``ON CONFLICT DO NOTHING``)."""
    if not test_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(_DIGESTS_ENSURE_SQL, {"now": now, "ids": [int(i) for i in test_ids]})
