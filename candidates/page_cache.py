"""The application page's content, rendered once per version of what it shows and cached
(issue #22).

Profiled on the scale data, a request spent about 60 ms of Python on the page: building and
compiling its queries and rendering six forms through Django's widget templates and the
timeline, against about 2 ms for the signed-in ``/healthz``. The page now asks PostgreSQL one
question first — may this user see the application, and which version of it is there — and
serves the rendered content when that version was rendered before.

**The version** is an md5, computed by PostgreSQL in that query, of the id and ``xmin`` (the
transaction that last wrote the row) of every row the page shows: the application, candidate,
emails, phones, requisition, pipeline, stages, traits, team, rounds, interviewers, scorecards,
silence tests, history, CVs, company closure days and the people named (``candidates.sql``),
plus what the apps above add (contacts with tags and attachments, promises, the score and its
weights, scheduled emails: registered from their ``AppConfig.ready()``). Any insert, update or
delete of such a row, by whatever path (ORM, queryset update, raw SQL, another process),
changes the version on the next request: nothing is invalidated, so there is no signal to
forget. The same query lists the candidate's other applications the user may see
(``Application.objects.visible_to``), which the page shows.

**The rest of the key** is what the rendering depends on besides those rows: the user (blind
scorecards, role-dependent buttons and the forms' defaults are theirs; entries are never
shared between users) and their roles, the active time zone and language, the current minute
(the forms' default times, the announcement's deadline and "starts observing in" are
computed from now), and a digest of the project's code and templates, so that a deploy never
serves content rendered by the previous version from a shared cache (Redis).

**Never cached**: the CSRF token (the content is rendered with a random placeholder, stored
with it, and each response swaps in its own request's token; random so that no candidate's
text can contain it), the layout around the content (the user's name and zone, messages), and
any request that is not a plain GET of the page (bound forms after an error, ``?before=``,
htmx fragments).
"""

import functools
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.http import Http404
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from accounts.roles import group_names, is_active_user, remember_group_names
from candidates import selectors, sql

#: The key changes with the content and the minute: this bounds how long entries nobody asks
#: for any more occupy the cache.
PAGE_CACHE_SECONDS = 120

#: Parts of the version that apps above this one add (their tables): each returns SQL text
#: expressions over ``candidates.sql.PAGE_APPLICATION``. Registered from their
#: ``AppConfig.ready()``: this layer may not import them.
_version_parts: list[Callable[[], list[str]]] = [sql.application_page_version_parts]

#: Stand for the application's and the viewer's ids while the version query is compiled once
#: per process (building and compiling the ORM query costs more than PostgreSQL's work); no
#: real id is negative, so no other parameter can be mistaken for them.
_APPLICATION_PLACEHOLDER = -8_675_320
_VIEWER_PLACEHOLDER = -8_675_321


def application_page_version_register(parts: Callable[[], list[str]]) -> None:
    if parts not in _version_parts:
        _version_parts.append(parts)
        _version_query.cache_clear()


@functools.cache
def code_version() -> str:
    """A digest of the first-party code and templates (read once per process)."""
    base = Path(settings.BASE_DIR).resolve()
    roots = [base / "templates", base / "config"]
    roots += [
        Path(config.path).resolve()
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(base)
    ]
    digest = hashlib.sha256()
    for root in sorted(set(roots)):
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".html") and "migrations" not in path.parts:
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@functools.lru_cache(maxsize=32)
def _version_query(
    active: bool, superuser: bool, groups: frozenset[str]
) -> tuple[str, tuple, tuple[int, ...], tuple[int, ...]]:
    """The version query for a viewer of these roles, its parameters, and where the
    application's and the viewer's ids go. Compiled with a stand-in viewer of the same roles:
    the visibility rule (``visible_to``) reads no more of the user than their id and roles."""
    stand_in = get_user_model()(pk=_VIEWER_PLACEHOLDER, is_active=active, is_superuser=superuser)
    remember_group_names(stand_in, groups)
    version = sql.application_page_version_expression(
        [part for parts in _version_parts for part in parts()]
    )
    query = selectors.application_page_version(
        user=stand_in, pk=_APPLICATION_PLACEHOLDER, version=version
    )
    text, params = query.query.sql_with_params()
    application_at = tuple(i for i, p in enumerate(params) if p == _APPLICATION_PLACEHOLDER)
    viewer_at = tuple(i for i, p in enumerate(params) if p == _VIEWER_PLACEHOLDER)
    return text, tuple(params), application_at, viewer_at


@dataclass(frozen=True)
class PageVersion:
    digest: str
    #: The candidate's other applications the user may see: ``id``, ``title``, ``stage``.
    others: tuple[dict, ...]


def page_version(*, user, pk: int) -> PageVersion:
    """One query: whether ``user`` may see application ``pk`` (404 otherwise), the version of
    what its page shows, and the candidate's other applications the user may see."""
    text, params, application_at, viewer_at = _version_query(
        user.is_active, user.is_superuser, group_names(user)
    )
    bound = list(params)
    for position in application_at:
        bound[position] = pk
    for position in viewer_at:
        bound[position] = user.pk
    row = sql.application_page_version_fetch(text, bound)
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


def page_key(request, pk: int, version: PageVersion) -> str:
    user = request.user
    minute = timezone.now().replace(second=0, microsecond=0)
    parts = "\n".join(
        (
            code_version(),
            str(pk),
            str(user.pk),
            repr((user.is_active, user.is_superuser, user.is_staff, sorted(group_names(user)))),
            version.digest,
            repr(version.others),
            timezone.get_current_timezone_name(),
            translation.get_language() or "",
            minute.isoformat(),
        )
    )
    return f"application-page:{pk}:{hashlib.sha256(parts.encode()).hexdigest()}"


def csrf_placeholder() -> str:
    return f"csrf-placeholder-{secrets.token_hex(16)}"


def page_get(key: str, *, csrf_token: str) -> tuple[SafeString, SafeString] | None:
    """The cached title and content with the request's own CSRF token, or None."""
    cached = cache.get(key)
    if cached is None:
        return None
    placeholder, title, content = cached
    return mark_safe(title), mark_safe(content.replace(placeholder, csrf_token))


def page_set(key: str, *, placeholder: str, title: str, content: str) -> None:
    cache.set(key, (placeholder, title, content), PAGE_CACHE_SECONDS)
