"""What is particular to the application page's cache (issue #22); the cache itself — whole
pages per viewer, the key, the CSRF, path and relative-time substitutions, pending messages —
is ``hiring.page_cache``, and the version query is compiled once like the other cached pages'
(``hiring.sql.compiled_sql``).

**The version** is an md5, computed by PostgreSQL in the query that checks
``visible_to(user)``, of the id and ``xmin`` (the transaction that last wrote the row) of every
row the page shows: the application, candidate, emails, phones, requisition, pipeline, stages,
traits, team, rounds, interviewers, scorecards, silence tests, history, CVs, company closure
days and the people named (``candidates.sql``), plus what the apps above add (contacts with
tags and attachments, promises, the score and its weights, scheduled emails: registered from
their ``AppConfig.ready()``). It covers more tables than the requisitions' trigger-kept
``RequisitionVersion``, and any insert, update or delete of such a row, by whatever path,
changes it on the next request. The same query lists the candidate's other applications the
user may see (``Application.objects.visible_to``), which the page shows.

**Never cached**: any request that is not a plain GET of the page (bound forms after an error,
``?before=``, htmx fragments).
"""

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass

from django.http import Http404

from accounts.roles import is_active_user
from candidates import selectors, sql
from hiring.sql import compiled_sql

#: Parts of the version that apps above this one add (their tables): each returns SQL text
#: expressions over ``candidates.sql.PAGE_APPLICATION``. Registered from their
#: ``AppConfig.ready()``: this layer may not import them.
_version_parts: list[Callable[[], list[str]]] = [sql.application_page_version_parts]


def application_page_version_register(parts: Callable[[], list[str]]) -> None:
    if parts not in _version_parts:
        _version_parts.append(parts)
        _version_query_name.cache_clear()


@functools.cache
def _version_query_name() -> tuple[str, object]:
    """The compiled query's name (it changes with the registered parts, so a registration
    compiles it anew) and the version expression."""
    parts = [part for register in _version_parts for part in register()]
    return f"application-page-version:{len(parts)}:{hash(tuple(parts))}", (
        sql.application_page_version_expression(parts)
    )


@dataclass(frozen=True)
class PageVersion:
    digest: str
    #: The candidate's other applications the user may see: ``id``, ``title``, ``stage``.
    others: tuple[dict, ...]


def page_version(*, user, pk: int) -> PageVersion:
    """One query: whether ``user`` may see application ``pk`` (404 otherwise), the version of
    what its page shows, and the candidate's other applications the user may see."""
    name, version = _version_query_name()
    text, params = compiled_sql(
        name,
        lambda viewer, application: selectors.application_page_version(
            user=viewer, pk=application, version=version
        ),
        user=user,
        arg=pk,
    )
    row = sql.application_page_version_fetch(text, params) if text else None
    if row is None:
        raise Http404("No application here.")
    digest, others = row
    # jsonb comes back as text through Django's connection (its JSON fields decode it).
    others = [json.loads(other) if isinstance(other, str) else other for other in others or ()]
    return PageVersion(digest=digest, others=tuple(others))


def cacheable(request) -> bool:
    """Plain GETs of the page by a signed-in user: not a bound form, a timeline page
    (``?before=``) or an htmx fragment."""
    return (
        request.method == "GET"
        and not request.GET
        and not getattr(request, "htmx", False)
        and is_active_user(request.user)
    )
