"""The hiring app's raw SQL (docs/design.md, "Raw SQL"): ORM query sets compiled once per
process and run again with new ids.

Compiling a query set costs more than PostgreSQL takes to run it: on the cached pages
(``hiring.page_cache``) the one query that checks ``visible_to(user)`` and reads the page
version cost about a millisecond of ORM compilation per request, as much as the rest of the
page. The query set is still built by the code that owns each rule (``visible_to`` included),
once per *shape*: for a stand-in user with the viewer's flags and roles and a placeholder id,
then the placeholders are swapped for the real ids. ``visible_to`` reads only those flags, the
roles and the id (``tests/integration/test_sql_modules.py`` compares the compiled SQL with a
fresh compilation for each kind of user).

When the settings allow it (``DB_PREPARED_STATEMENTS``), these queries also run prepared: the
application page's version query is about thirty subqueries, and PostgreSQL spent about two
thirds of its time planning it. Django's own cursors bind parameters on the client and never
prepare; only ``compiled_execute`` binds on the server, so only these queries are prepared.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from django.core.exceptions import EmptyResultSet
from django.db import connection, models

from accounts.roles import group_names, remember_group_names

#: Stand for the user's and the looked-up object's ids while a query set is compiled: no real
#: id is negative, so no other parameter can be mistaken for them.
_USER_PLACEHOLDER = -8_675_401
_ARG_PLACEHOLDER = -8_675_402


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    user_at: tuple[int, ...]
    arg_at: tuple[int, ...]


_compiled: dict[tuple, _Compiled] = {}


def user_shape(user) -> tuple:
    """What permission rules read from a user besides their id."""
    return (
        user.is_authenticated,
        user.is_active,
        user.is_superuser,
        user.is_staff,
        tuple(sorted(group_names(user))),
    )


def compiled_sql(
    name: str, build: Callable[[object, int], models.QuerySet], *, user, arg: int
) -> tuple[str, list]:
    """``build(user, arg).query`` as SQL and parameters, compiled once per ``name`` and user
    shape; ``("", [])`` when the query set is empty by construction (``none()``)."""
    key = (name, user_shape(user))
    compiled = _compiled.get(key)
    if compiled is None:
        stand_in = copy.copy(user)
        stand_in.pk = _USER_PLACEHOLDER
        remember_group_names(stand_in, group_names(user))
        try:
            sql, params = build(stand_in, _ARG_PLACEHOLDER).query.sql_with_params()
        except EmptyResultSet:  # ``none()``: nothing visible to such a user
            sql, params = "", ()
        compiled = _Compiled(
            sql=sql,
            params=tuple(params),
            user_at=tuple(i for i, p in enumerate(params) if p == _USER_PLACEHOLDER),
            arg_at=tuple(i for i, p in enumerate(params) if p == _ARG_PLACEHOLDER),
        )
        _compiled[key] = compiled
    if not compiled.sql:
        return "", []
    params = list(compiled.params)
    for position in compiled.user_at:
        params[position] = user.pk
    for position in compiled.arg_at:
        params[position] = arg
    return compiled.sql, params


def compiled_rows(
    name: str, build: Callable[[object, int], models.QuerySet], *, user, arg: int = 0
) -> list[tuple]:
    """The rows of ``build(user, arg)`` (a ``values_list`` query set) as tuples, through its SQL
    compiled once (``compiled_sql``)."""
    sql, params = compiled_sql(name, build, user=user, arg=arg)
    if not sql:
        return []
    return compiled_execute(sql, params)


def compiled_execute(sql: str, params: list) -> list[tuple]:
    """The rows of a query from ``compiled_sql``: prepared on the connection (planned once per
    connection) when the connection prepares at all (``prepare_threshold`` in the database
    settings' ``OPTIONS``), else through Django's ordinary cursor."""
    connection.ensure_connection()
    if connection.connection.prepare_threshold is None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    # A server-binding cursor, wrapped as Django wraps its own (query log, execute wrappers,
    # error translation), so the query counts the same in tests and in debug.
    with connection._prepare_cursor(psycopg.Cursor(connection.connection)) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
