"""The per-requisition page version (``followups.models.RequisitionVersion``) and the triggers
that keep it.

Statement-level AFTER triggers with transition tables: one bump per statement, however many
rows it wrote (a bulk rescore writes a thousand scores in one INSERT), and every way of writing
is caught — ORM saves, ``queryset.update``, raw SQL, other processes. Each watched table maps
the rows a statement wrote (before and after) to the requisitions whose ranking, board or
manager home show them. The SQL is written out here, not generated from the models, so that
this migration keeps meaning what it meant when it ran.

The version is a timestamp in microseconds, kept strictly increasing: a database restored from
a backup then never reissues a number that a shared cache (Redis) already holds for other
content.
"""

from django.db import migrations, models

VERSION_TABLE = "followups_requisitionversion"

BUMP_FUNCTION = f"""
CREATE FUNCTION followups_requisition_versions_bump(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    -- Rows locked in id order: two statements bumping overlapping requisitions wait for each
    -- other instead of deadlocking within one statement.
    UPDATE {VERSION_TABLE} v
    SET version = greatest(
        v.version + 1, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint
    )
    FROM (
        SELECT requisition_id FROM {VERSION_TABLE}
        WHERE requisition_id = ANY(ids)
        ORDER BY requisition_id
        FOR UPDATE
    ) locked
    WHERE v.requisition_id = locked.requisition_id
$$;
"""

#: Watched table → the requisitions of the rows in ``{rows}`` (a transition table).
WATCHED = {
    "candidates_application": "SELECT requisition_id FROM {rows}",
    "candidates_candidate": (
        "SELECT a.requisition_id FROM {rows} t "
        "JOIN candidates_application a ON a.candidate_id = t.id"
    ),
    "candidates_candidateemail": (
        "SELECT a.requisition_id FROM {rows} t "
        "JOIN candidates_application a ON a.candidate_id = t.candidate_id"
    ),
    "candidates_interviewround": (
        "SELECT a.requisition_id FROM {rows} t "
        "JOIN candidates_application a ON a.id = t.application_id"
    ),
    "candidates_scorecard": (
        "SELECT a.requisition_id FROM {rows} t "
        "JOIN candidates_interviewround r ON r.id = t.round_id "
        "JOIN candidates_application a ON a.id = r.application_id"
    ),
    "hiring_silencetest": (
        "SELECT a.requisition_id FROM {rows} t "
        "JOIN candidates_application a ON a.id = t.application_id"
    ),
    "hiring_stage": (
        "SELECT r.id FROM {rows} t JOIN hiring_requisition r ON r.pipeline_id = t.pipeline_id"
    ),
    "followups_persistencescore": (
        "SELECT a.requisition_id FROM {rows} t "
        "JOIN candidates_application a ON a.id = t.application_id"
    ),
    "followups_rankoverride": (
        "SELECT a.requisition_id FROM {rows} t "
        "JOIN candidates_application a ON a.id = t.application_id"
    ),
    # Weights versions are never edited in place (a new version is a new row, and the rescore it
    # starts writes new scores); should one be, every ranking shows its number: all of them.
    "followups_scoringweights": (
        "SELECT requisition_id FROM followups_requisitionversion WHERE EXISTS (SELECT FROM {rows})"
    ),
    # The requisition's own columns (title, status, pipeline, hiring manager…).
    "hiring_requisition": "SELECT id FROM {rows}",
}


def _function_name(table: str) -> str:
    return f"{table}_page_version"


def _trigger_sql(table: str, mapping: str) -> str:
    old, new = mapping.format(rows="old_rows"), mapping.format(rows="new_rows")
    function = _function_name(table)
    inserted = f"PERFORM followups_requisition_versions_bump(ARRAY({new}));"
    if table == "hiring_requisition":
        # A new requisition starts with a version; a deleted one leaves none behind.
        inserted = f"""INSERT INTO {VERSION_TABLE} (requisition_id, version)
            SELECT id, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint FROM new_rows
            ON CONFLICT (requisition_id) DO UPDATE SET version = greatest(
                {VERSION_TABLE}.version + 1, EXCLUDED.version
            );"""
    deleted = f"PERFORM followups_requisition_versions_bump(ARRAY({old}));"
    if table == "hiring_requisition":
        deleted = f"DELETE FROM {VERSION_TABLE} WHERE requisition_id IN (SELECT id FROM old_rows);"
    return f"""
CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {inserted}
    ELSIF TG_OP = 'DELETE' THEN
        {deleted}
    ELSE
        PERFORM followups_requisition_versions_bump(ARRAY({old} UNION {new}));
    END IF;
    RETURN NULL;
END
$$;
-- One trigger per event: PostgreSQL allows transition tables only on single-event triggers.
CREATE TRIGGER {table}_page_version_insert AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
CREATE TRIGGER {table}_page_version_update AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {function}();
CREATE TRIGGER {table}_page_version_delete AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
"""


def _drop_sql(table: str) -> str:
    return "\n".join(
        [
            *(
                f"DROP TRIGGER IF EXISTS {table}_page_version_{event} ON {table};"
                for event in ("insert", "update", "delete")
            ),
            f"DROP FUNCTION IF EXISTS {_function_name(table)}();",
        ]
    )


BACKFILL = f"""
INSERT INTO {VERSION_TABLE} (requisition_id, version)
SELECT id, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint FROM hiring_requisition;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("candidates", "0007_scorecard_ratings_optional"),
        ("followups", "0010_constraint_plain_messages"),
        ("hiring", "0014_scorecard_traits"),
    ]

    operations = [
        migrations.CreateModel(
            name="RequisitionVersion",
            fields=[
                ("requisition_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("version", models.BigIntegerField(default=1)),
            ],
        ),
        migrations.RunSQL(
            BUMP_FUNCTION
            + "".join(_trigger_sql(table, mapping) for table, mapping in WATCHED.items())
            + BACKFILL,
            reverse_sql="".join(_drop_sql(table) for table in WATCHED)
            + "DROP FUNCTION IF EXISTS followups_requisition_versions_bump(bigint[]);",
        ),
    ]
