"""The rendered rows of a requisition's ranking, cached under a fingerprint of their content.

Rendering 50 rows (links, quick view, breakdown, override form) and building the ranking in
Python cost most of the ranking page. The cache key holds an md5, computed by PostgreSQL, of
every row of ``ranking_queryset`` — each application with its candidate, stage, primary email,
scorecard average (as the viewer may see it: blind scorecards), latest silence test, current
score and breakdown, weights version and active override — so any change to what a row shows
changes the key on the very next request: there is nothing to invalidate and no signal to
forget. The rest of the key is what the rendering depends
on besides those rows: the requisition, the query string (filters, sort, page), whether the user
may override, the active time zone (dates are shown in the user's) and language.

Never cached: the CSRF token of the override forms, which is per user and per request. The
fragment is rendered with a random placeholder token, stored next to it, and each request swaps
in its own token; the placeholder is random so that no candidate-supplied text can contain it.
The channel filter reads contacts, which the fingerprint does not cover, so it is not cached.

The filter form above the rows (seven select and number widgets, about a third of what is left
of the page) is cached too, under its query string and its choices, the stages included.

Both keys also hold a digest of the code that renders them (this module, the ranking rules and
the rows template), so that a deploy never serves fragments rendered by the previous version
from a shared cache (Redis).
"""

import functools
import hashlib
import secrets
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.middleware.csrf import get_token
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from hiring.models import Requisition
from scoring.ranking import ranking_queryset
from scoring.sql import rows_digest, rows_digest_sql

#: How long a rendered ranking stays cached. The key changes with the content, so this only
#: bounds how long fragments nobody asks for any more occupy the cache.
RANKING_CACHE_SECONDS = 15 * 60
TEMPLATE = "followups/_ranking_rows.html"
FORM_TEMPLATE = "followups/_ranking_filter_fields.html"
_HERE = Path(__file__).resolve().parent


@functools.cache
def code_version() -> str:
    """A digest of the code and templates that shape the cached fragment: a deployment that
    changes them never serves rows rendered by the old ones. Read on first use, not at import
    (the templates are found through the template loaders, wherever they are installed)."""
    sources = [_HERE / name for name in ("ranking.py", "ranking_cache.py", "views.py")]
    sources += [Path(get_template(name).origin.name) for name in (TEMPLATE, FORM_TEMPLATE)]
    return hashlib.sha256(b"".join(path.read_bytes() for path in sources)).hexdigest()[:16]


#: Stand for the requisition's and the viewer's ids while the fingerprint query is compiled once
#: per process: no real id is negative, so no other parameter can be mistaken for them.
_REQUISITION_PLACEHOLDER = -8_675_309
_VIEWER_PLACEHOLDER = -8_675_310


@functools.cache
def _fingerprint_sql() -> tuple[str, tuple, tuple[int, ...], tuple[int, ...]]:
    """The fingerprint query, its parameters and where the requisition and viewer ids go.

    Compiling ``ranking_queryset`` (its subqueries and joins) costs more than running it, and
    the SQL only varies by the requisition and viewer ids, so it is compiled once. The viewer
    matters because the rows hold the averages *they* may see (blind scorecards): two people who
    see different averages get different fingerprints, hence different cached fragments."""
    placeholder = Requisition(pk=_REQUISITION_PLACEHOLDER)
    viewer = get_user_model()(pk=_VIEWER_PLACEHOLDER)
    sql, params = ranking_queryset(placeholder, viewer=viewer).order_by().query.sql_with_params()
    positions = tuple(i for i, p in enumerate(params) if p == _REQUISITION_PLACEHOLDER)
    viewer_positions = tuple(i for i, p in enumerate(params) if p == _VIEWER_PLACEHOLDER)
    return rows_digest_sql(sql), tuple(params), positions, viewer_positions


def ranking_fingerprint(requisition, *, viewer) -> str:
    """One query: the count and an md5 of the text of every row the ranking is built from, as
    ``viewer`` sees it."""
    sql, params, positions, viewer_positions = _fingerprint_sql()
    bound = list(params)
    for position in positions:
        bound[position] = requisition.pk
    for position in viewer_positions:
        bound[position] = viewer.pk
    count, digest = rows_digest(sql, bound)
    return f"{count}:{digest}"


def ranking_cache_key(requisition, *, fingerprint: str, query: str, can_override: bool) -> str:
    parts = "\n".join(
        (
            code_version(),
            str(requisition.pk),
            fingerprint,
            query,
            "override" if can_override else "read",
            timezone.get_current_timezone_name(),
            translation.get_language() or "",
        )
    )
    return f"ranking-rows:{requisition.pk}:{hashlib.sha256(parts.encode()).hexdigest()}"


def ranking_rows_html(
    request, requisition, *, viewer, can_override: bool, cacheable: bool, build_context
) -> SafeString:
    """The rows fragment from the cache, or rendered from ``build_context()`` (and cached when
    ``cacheable``); either way with the request's own CSRF token."""
    key = None
    if cacheable:
        key = ranking_cache_key(
            requisition,
            fingerprint=ranking_fingerprint(requisition, viewer=viewer),
            query=request.META.get("QUERY_STRING", ""),
            can_override=can_override,
        )
        cached = cache.get(key)
        if cached is not None:
            placeholder, html = cached
            return mark_safe(html.replace(placeholder, get_token(request)))
    placeholder = f"csrf-placeholder-{secrets.token_hex(16)}"
    html = render_to_string(TEMPLATE, {**build_context(), "csrf_token": placeholder})
    if key is not None:
        cache.set(key, (placeholder, html), RANKING_CACHE_SECONDS)
    return mark_safe(html.replace(placeholder, get_token(request)))


def filter_form_html(form, *, query: str) -> SafeString:
    """The ranking's filter form, rendered once per query string and set of choices."""
    shape = repr(
        [
            (name, str(field.label), getattr(field, "choices", None), field.widget.attrs)
            for name, field in form.fields.items()
        ]
    )
    digest = hashlib.sha256(f"{code_version()}\n{query}\n{shape}".encode()).hexdigest()
    key = f"ranking-filter-form:{digest}"
    html = cache.get(key)
    if html is None:
        html = render_to_string(FORM_TEMPLATE, {"form": form})
        cache.set(key, html, RANKING_CACHE_SECONDS)
    return mark_safe(html)
