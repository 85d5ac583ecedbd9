"""The scoring app's raw SQL: the only module of the app that talks SQL (docs/design.md, "Raw
SQL"). Table names come from the models and enum values travel as parameters, so a renamed
table or choice cannot leave a stale literal here; tests/integration/test_sql_modules.py
compares each function with an ORM reference on small data.

Raw SQL because the ORM's per-row Python (model converters, a pure-Python timestamptz loader)
was most of a bulk recompute's time. Ids go in as one array parameter, not an IN list.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.db import connection

from candidates.models import Application
from candidates.sql import PAGE_APPLICATION, rows_version_sql
from followups.models import (
    Contact,
    ContactTag,
    Direction,
    PersistenceScore,
    Promise,
    ScoringWeights,
)
from hiring.models import Requisition, SilenceTest, SilenceTestState, Stage, StageKind

_q = connection.ops.quote_name

_TABLES = {
    "application": _q(Application._meta.db_table),
    "requisition": _q(Requisition._meta.db_table),
    "stage": _q(Stage._meta.db_table),
    "test": _q(SilenceTest._meta.db_table),
    "score": _q(PersistenceScore._meta.db_table),
    "contact": _q(Contact._meta.db_table),
    "tag": _q(ContactTag._meta.db_table),
    "promise": _q(Promise._meta.db_table),
}

#: Namespace (first key) of the transaction-level advisory locks that serialise score writers
#: per application; the second key is the application id.
SCORE_LOCK_NAMESPACE = 7201

_BATCH_APPLICATIONS_SQL = """
SELECT
    a.id, t.id, t.deadline_at, t.window_closes_at, t.state, t.contaminated_at IS NOT NULL,
    t.time_zone, r.country, r.subdivision, g.kind = %(withdrawn)s,
    t.outcome,
    EXISTS (
        SELECT FROM {test} o
        WHERE o.application_id = a.id AND o.state = %(closed)s AND o.id IS DISTINCT FROM t.id
    ),
    s.score, s.outcome, s.comparable, s.lines, s.weights_id, s.silence_test_id
FROM {application} a
JOIN {requisition} r ON r.id = a.requisition_id
JOIN {stage} g ON g.id = a.stage_id
LEFT JOIN LATERAL (
    -- the latest test that was not cancelled counts
    SELECT st.id, st.deadline_at, st.window_closes_at, st.state, st.contaminated_at, st.time_zone,
        st.outcome
    FROM {test} st
    WHERE st.application_id = a.id AND st.state <> %(cancelled)s
    ORDER BY st.announced_at DESC, st.id DESC
    LIMIT 1
) t ON true
LEFT JOIN LATERAL (
    -- LIMIT (there is at most one) keeps the lookup per application: flattened into a join, the
    -- planner read every current score of the table for each batch (10x the rows at 10x data)
    SELECT s.score, s.outcome, s.comparable, s.lines, s.weights_id, s.silence_test_id
    FROM {score} s
    WHERE s.application_id = a.id AND s.is_current
    LIMIT 1
) s ON true
WHERE a.id = ANY(%(ids)s::bigint[])
""".format(**_TABLES)

# Which contacts reach Python (why the others cannot change a result: ``score_inputs_bulk``):
# human inbound contacts in scope that are tagged (one row per tag) or unprompted from the
# impatience lookback before the deadline onwards; then, from the second part of the UNION,
# each application's first untagged prompted reply (contact_prompted_reply_idx, migration 0006).
# The two parts cannot return the same contact. A window function over all the contacts did
# the second part before: sorting them cost a third of the query. The tags are looked up per
# contact (OFFSET 0 keeps the subquery from being flattened into a join): joined, the planner
# hashed the whole tag table for every batch, a cost that grew with the table, not the batch.
_BATCH_CONTACTS_SQL = """
WITH t AS (
    SELECT DISTINCT ON (application_id) application_id, deadline_at, window_closes_at
    FROM {test}
    WHERE application_id = ANY(%(ids)s::bigint[]) AND state <> %(cancelled)s
    ORDER BY application_id, announced_at DESC, id DESC
)
SELECT c.id, c.application_id, c.occurred_at, c.channel, c.is_prompted, c.summary, ct.tag
FROM {contact} c
LEFT JOIN t ON t.application_id = c.application_id
LEFT JOIN LATERAL (SELECT tag FROM {tag} WHERE contact_id = c.id OFFSET 0) ct ON true
WHERE c.application_id = ANY(%(ids)s::bigint[])
    AND c.direction = %(inbound)s AND NOT c.is_automated AND c.occurred_at <= %(now)s
    AND (t.application_id IS NULL OR c.occurred_at <= t.window_closes_at)
    AND (
        ct.tag IS NOT NULL
        OR (NOT c.is_prompted AND c.occurred_at >= t.deadline_at - %(lookback)s)
    )
UNION ALL
SELECT f.id, a.id, f.occurred_at, f.channel, true, f.summary, NULL
FROM unnest(%(ids)s::bigint[]) AS a(id)
LEFT JOIN t ON t.application_id = a.id
CROSS JOIN LATERAL (
    SELECT c.id, c.occurred_at, c.channel, c.summary
    FROM {contact} c
    WHERE c.application_id = a.id
        AND c.direction = %(inbound)s AND c.is_prompted AND NOT c.is_automated
        AND c.occurred_at <= %(now)s
        AND (t.application_id IS NULL OR c.occurred_at <= t.window_closes_at)
        AND NOT EXISTS (SELECT FROM {tag} ct WHERE ct.contact_id = c.id)
    ORDER BY c.id
    LIMIT 1
) f
""".format(**_TABLES)

_BATCH_PROMISES_SQL = """
SELECT application_id, status, description, due_at
FROM {promise}
WHERE application_id = ANY(%(ids)s::bigint[])
""".format(**_TABLES)

# Taken in id order (the ids arrive sorted and unnest keeps their order), so two writers never
# wait on each other in a cycle; released at the end of the writer's transaction.
_SCORES_LOCK_SQL = """
SELECT pg_advisory_xact_lock(%(namespace)s, id::integer)
FROM unnest(%(ids)s::bigint[]) WITH ORDINALITY AS u(id, n) ORDER BY n
"""

_SCORES_RETIRE_SQL = """
UPDATE {score} SET is_current = false
WHERE is_current AND application_id = ANY(%(ids)s::bigint[])
""".format(**_TABLES)

# The new rows travel as one JSON document: quoting a text[] of JSON strings element by element
# in Python cost more than computing the scores.
_SCORES_INSERT_SQL = """
INSERT INTO {score} (
    application_id, silence_test_id, weights_id, score, outcome, comparable, lines,
    first_follow_up_at, is_current, computed_at
)
SELECT a, t, %(weights)s, s, o, c, l, f, true, %(now)s
FROM jsonb_to_recordset(%(rows)s::jsonb)
    AS r(a bigint, t bigint, s smallint, o text, c boolean, l jsonb, f timestamptz)
""".format(**_TABLES)


def _id_array(ids: Iterable[int]) -> str:
    """Ids as one PostgreSQL array literal (the queries cast it to ``bigint[]``): psycopg's
    client-side binding would otherwise quote a list element by element, at every use."""
    return "{" + ",".join(str(int(i)) for i in ids) + "}"


def _fast_cursor():
    """A Django cursor (queries are still counted and logged) whose timestamps are read by
    psycopg's C loader in the session time zone (UTC) instead of Django's Python one."""
    from psycopg.types.datetime import TimestamptzLoader

    cursor = connection.cursor()
    cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
    return cursor


def score_batch_rows(
    application_ids: Sequence[int], *, now: datetime, lookback: timedelta
) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """The three reads of a bulk recompute, as rows:

    * applications (those that exist): ``(id, test id, deadline_at, window_closes_at, state,
      contaminated, time_zone, country, subdivision, in a Withdrawn stage, test outcome, has
      another closed test, score, outcome, comparable, lines, weights_id, silence_test_id)`` —
      the latest test not cancelled, whether a closed test other than that one exists, the
      current score (``None``s without);
    * contacts that can change a result (``scoring.scores.score_inputs_bulk``): ``(id,
      application id, occurred_at, channel, is_prompted, summary, tag)``, one row per tag;
    * promises: ``(application id, status, description, due_at)``.
    """
    params = {
        "ids": _id_array(application_ids),
        "now": now,
        "lookback": lookback,
        "cancelled": SilenceTestState.CANCELLED.value,
        "closed": SilenceTestState.CLOSED.value,
        "withdrawn": StageKind.WITHDRAWN.value,
        "inbound": Direction.INBOUND.value,
    }
    with _fast_cursor() as cursor:
        cursor.execute(_BATCH_APPLICATIONS_SQL, params)
        applications = cursor.fetchall()
        cursor.execute(_BATCH_CONTACTS_SQL, params)
        contacts = cursor.fetchall()
        cursor.execute(_BATCH_PROMISES_SQL, params)
        promises = cursor.fetchall()
    return applications, contacts, promises


def scores_lock(application_ids: Sequence[int]) -> None:
    """Take the score writers' advisory locks of these applications (sorted ids), until the
    end of the transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            _SCORES_LOCK_SQL,
            {"namespace": SCORE_LOCK_NAMESPACE, "ids": _id_array(application_ids)},
        )


def scores_replace(*, retire: Sequence[int], rows_json: str, weights_id: int, now: datetime):
    """Retire the current scores of ``retire`` and insert the new current rows
    (``rows_json``: a JSON array of ``{a, t, s, o, c, l, f}`` objects: application, test,
    score, outcome, comparable, lines, first follow-up)."""
    with connection.cursor() as cursor:
        if retire:
            cursor.execute(_SCORES_RETIRE_SQL, {"ids": _id_array(retire)})
        cursor.execute(_SCORES_INSERT_SQL, {"rows": rows_json, "weights": weights_id, "now": now})


def application_page_version_parts() -> list[str]:
    """This app's part of the application page's version (``candidates.page_cache``): the
    current score and the weights it was computed with."""
    a = PAGE_APPLICATION
    score = _TABLES["score"]
    return [
        rows_version_sql(PersistenceScore, f"t.application_id = {a}.id AND t.is_current"),
        rows_version_sql(
            ScoringWeights,
            f"t.id IN (SELECT s.weights_id FROM {score} s "
            f"WHERE s.application_id = {a}.id AND s.is_current)",
        ),
    ]
