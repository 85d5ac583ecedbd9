"""The development data's raw SQL: the only module of ``devdata`` that talks SQL
(docs/design.md, "Raw SQL"). Table and column names come from the models;
tests/integration/test_sql_modules.py compares each function with an ORM reference on small
data. These are bulk-loading tools (sequences, COPY, deferred constraints, ANALYZE) the ORM
has no words for."""

from collections.abc import Iterable, Sequence

from django.db import connection, models

_q = connection.ops.quote_name

#: Key of the advisory lock that lets one scale seed run at a time.
SEED_LOCK_KEY = "persist.seed_scale"


def ids_reserve(model: type[models.Model], count: int) -> int:
    """Take ``count`` consecutive values (``count`` > 0) from the table's primary-key sequence;
    returns the last."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_serial_sequence(%s, %s)", [model._meta.db_table, model._meta.pk.column]
        )
        (sequence,) = cursor.fetchone()
        cursor.execute("SELECT setval(%s, nextval(%s) + %s - 1)", [sequence, sequence, count])
        (last,) = cursor.fetchone()
    return last


def rows_copy(model: type[models.Model], columns: Sequence[str], rows: Iterable[tuple]) -> int:
    """``COPY`` the rows (tuples in ``columns`` order, database column names) into the model's
    table; returns how many."""
    sql = "COPY {} ({}) FROM STDIN".format(
        _q(model._meta.db_table), ", ".join(_q(c) for c in columns)
    )
    count = 0
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def deferred_constraints_check() -> None:
    """Check the deferred constraints now (raises on a broken reference), then defer again."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def rows_delete(queryset: models.QuerySet) -> int:
    """``DELETE … WHERE pk IN (<queryset>)``: one statement, no signals; returns how many."""
    model = queryset.model
    sql, params = queryset.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {_q(model._meta.db_table)} WHERE {_q(model._meta.pk.column)} IN ({sql})",
            params,
        )
        return cursor.rowcount


def seed_lock() -> None:
    """Wait for, then hold until the transaction ends, the one-seed-at-a-time lock."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [SEED_LOCK_KEY])


def tables_analyze(models_: Iterable[type[models.Model]]) -> None:
    """Refresh the planner's statistics of these models' tables."""
    with connection.cursor() as cursor:
        for model in models_:
            cursor.execute(f"ANALYZE {_q(model._meta.db_table)}")
