"""Whole pages cached per viewer, under a key made of everything they show (issue #18).

Rendering a page (the base layout, the page's template, its rows) cost several times what the
signed-in request around it costs. A page served from here costs one cache read and a few
string substitutions instead. The key holds:

* who looks, as the layout shows them — user id, user name and full name, staff and superuser
  flags, role groups (read with the time zone on every request, ``UserTimezoneMiddleware``),
  the Evidence permission for admins, time zone and language — so a page is never shared
  between users, and a role or name change is a new key on the very next request;
* what the page shows, from the caller: for the requisition pages the requisition's
  ``RequisitionVersion`` (bumped by database triggers on every write to what they show), read
  in the same query that checks ``visible_to(user)``; the caller checks visibility on every
  request before asking for a page;
* a digest of the templates and of the code that renders them, so a deploy never serves pages
  rendered by the previous version from a shared cache (Redis).

Nothing is invalidated: a change makes a new key; unused entries expire.

Never cached: the CSRF token (every form, the htmx header), the request's own path (the bulk
form's ``next``) and relative times ("in 3 hours"). The page is rendered with random
placeholders, stored with it, and each response swaps in its own values. Pages with pending
flash messages are rendered afresh (messages are per request and consumed when shown). No
template here uses a CSP nonce (the policy allows no inline script), so there is none to swap.

A page whose content changes with time alone (days in a stage, a deadline entering the week)
stores the instant until which it is right (``valid_until``) and is rendered again after it.
"""

import functools
import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.timesince import timeuntil

from accounts.roles import group_names, is_admin

#: The key changes with the content: this only bounds how long pages nobody asks for any more
#: occupy the cache.
PAGE_CACHE_SECONDS = 15 * 60


@functools.cache
def _templates_digest() -> bytes:
    """Every project template (the base layout and the includes a page may pull in)."""
    root = Path(settings.BASE_DIR) / "templates"
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.html")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.digest()


@functools.cache
def code_version(*sources: str) -> str:
    """The templates and ``sources`` (module files of the code that builds the page)."""
    digest = hashlib.sha256(_templates_digest())
    for source in sources:
        digest.update(Path(source).read_bytes())
    return digest.hexdigest()[:16]


@functools.cache
def project_sources() -> tuple[str, ...]:
    """Every first-party module (migrations aside), for a page that apps of every layer draw
    (the application page: its sections are registered from above)."""
    base = Path(settings.BASE_DIR).resolve()
    roots = {base / "config"}
    roots |= {
        Path(config.path).resolve()
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(base)
    }
    return tuple(
        str(path)
        for root in sorted(roots)
        for path in sorted(root.rglob("*.py"))
        if "migrations" not in path.parts
    )


def viewer_parts(request) -> tuple:
    """What the layout shows of the signed-in viewer, and what decides what it offers them."""
    user = request.user
    # The template asks for this permission only of admins (two queries): so does the key.
    evidence = is_admin(user) and user.has_perm("evidence.view_bias_audit")
    return (
        user.pk,
        user.get_username(),
        user.first_name,
        user.last_name,
        user.is_staff,
        user.is_superuser,
        user.is_active,
        tuple(sorted(group_names(user))),
        evidence,
        str(getattr(request, "time_zone", "") or timezone.get_current_timezone_name()),
        translation.get_language() or "",
    )


@dataclass
class Substitutions:
    """The per-request values of a page: real ones (``live``) or placeholders to swap later."""

    csrf_token: str
    path: str
    live: bool
    #: Placeholder → deadline, for the relative times rendered through ``until``.
    untils: dict[str, datetime] = field(default_factory=dict)
    _token: str = ""

    def until(self, when: datetime) -> str:
        """ "3 days, 2 hours" as ``timeuntil`` says it now (a placeholder in a cached page)."""
        if self.live:
            return timeuntil(when)
        # Fixed width: one placeholder is never the start of another.
        placeholder = f"until-{self._token}-{len(self.untils):04d}"
        self.untils[placeholder] = when
        return placeholder

    @classmethod
    def for_request(cls, request) -> "Substitutions":
        return cls(csrf_token=get_token(request), path=request.get_full_path(), live=True)

    @classmethod
    def placeholders(cls) -> "Substitutions":
        # Random per rendering, so no text a candidate supplied can contain them.
        token = secrets.token_hex(16)
        return cls(csrf_token=f"csrf-{token}", path=f"path-{token}", live=False, _token=token)


@dataclass
class Rendered:
    html: str
    #: The page is right until this instant (None: until what it shows is written).
    valid_until: datetime | None = None


def _key(name: str, sources: Iterable[str], request, parts) -> str:
    text = repr((code_version(*sources), name, viewer_parts(request), parts))
    return f"page:{name}:{hashlib.sha256(text.encode()).hexdigest()}"


def page_response(
    request,
    *,
    name: str,
    parts,
    render: Callable[[Substitutions], Rendered],
    sources: Iterable[str] = (),
    cacheable: bool = True,
) -> HttpResponse:
    """The page ``name`` for ``request.user``, from the cache when what it shows (``parts``,
    which must hold everything the page shows besides the viewer) is unchanged; otherwise
    ``render(substitutions)`` and cache it. The caller has checked that the user may see it."""
    if not cacheable or len(get_messages(request)):
        return HttpResponse(render(Substitutions.for_request(request)).html)
    key = _key(name, tuple(sources), request, parts)
    entry = cache.get(key)
    now = timezone.now()
    if entry is None or (entry["valid_until"] is not None and now >= entry["valid_until"]):
        substitutions = Substitutions.placeholders()
        rendered = render(substitutions)
        entry = {
            "html": rendered.html,
            "csrf": substitutions.csrf_token,
            "path": substitutions.path,
            "untils": substitutions.untils,
            "valid_until": rendered.valid_until,
        }
        cache.set(key, entry, PAGE_CACHE_SECONDS)
    html = entry["html"].replace(entry["csrf"], get_token(request))
    html = html.replace(entry["path"], escape(request.get_full_path()))
    for placeholder, when in entry["untils"].items():
        html = html.replace(placeholder, escape(timeuntil(when, now)))
    return HttpResponse(html)
