"""The rendered columns of a requisition's pipeline board, cached under a fingerprint of their
content — the ranking's approach (``scoring/ranking_cache.py``).

Profiled on the median scale requisition (83 applications), a board request spent about a
third of its time building a model instance for every application, candidate and stage, and
about half rendering the cards (a ``{% url %}`` per card alone was a tenth): four times what
its six queries cost. The fingerprint is one query: the count and an md5, computed by
PostgreSQL, of what every card shows — application id, stage, whole days in the stage (so a
card's "n days in stage" and its stuck badge change the key the moment they change), the
candidate's name, primary email and scorecard average, and its test's state and outcome and its
current score (``selectors.board_card_status``). The stages (names, kinds, order, stuck
limits) are read as before and go into the key from Python, with the code that renders
(this module, the selector, the template) and the language. Nothing to invalidate: any change
to what the board shows changes the key on the next request.
"""

import datetime as dt
import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from django.core.cache import cache
from django.db.models import DurationField, ExpressionWrapper, F, Value
from django.db.models.functions import Extract
from django.template.loader import get_template, render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from candidates import policy as scorecard_policy
from candidates.models import Application
from dashboards import selectors
from hiring.models import Stage
from scoring.sql import rows_digest, rows_digest_sql

#: The key changes with the content: this only bounds how long unused boards occupy the cache.
BOARD_CACHE_SECONDS = 15 * 60
TEMPLATE = "hiring/requisition_board.html"
PARTIAL = f"{TEMPLATE}#board-columns"
_HERE = Path(__file__).resolve().parent
#: Stand for the requisition id and the current instant while the fingerprint query is compiled
#: once per process (compiling the ORM query costs more than running it).
_REQUISITION_PLACEHOLDER = -8_675_310
_NOW_PLACEHOLDER = dt.datetime(1901, 2, 3, 4, 5, 6, 789, tzinfo=dt.UTC)
#: The blind rule's SQL reads only the viewer's primary key.
_VIEWER_PLACEHOLDER = -8_675_311


@functools.cache
def code_version() -> str:
    sources = [_HERE / name for name in ("board_cache.py", "selectors.py")]
    sources.append(Path(get_template(TEMPLATE).origin.name))
    return hashlib.sha256(b"".join(path.read_bytes() for path in sources)).hexdigest()[:16]


def board_rows(requisition_id, now, viewer):
    """What each card shows ``viewer``, as the fingerprint reads it (the scorecard average only
    where the viewer sees every rating: blind scorecards, so viewers who see different
    averages get different keys)."""
    elapsed = ExpressionWrapper(Value(now) - F("stage_entered_at"), output_field=DurationField())
    return (
        Application.objects.filter(requisition_id=requisition_id)
        .annotate_primary_email()
        .annotate_scorecard_average(shown_if=scorecard_policy.sees_every_rating_sql(viewer))
        .annotate(days_in_stage=Extract(elapsed, "day"), **selectors.board_card_status())
        .values(
            "id",
            "stage_id",
            "days_in_stage",
            "candidate__first_name",
            "candidate__last_name",
            "primary_email",
            "scorecard_average",
            "test_state",
            "test_outcome",
            "score",
            "score_outcome",
        )
        .order_by()
    )


@functools.cache
def _fingerprint_sql() -> tuple[str, tuple, tuple[int, ...], tuple[int, ...]]:
    viewer = SimpleNamespace(pk=_VIEWER_PLACEHOLDER)
    sql, params = board_rows(
        _REQUISITION_PLACEHOLDER, _NOW_PLACEHOLDER, viewer
    ).query.sql_with_params()
    requisition_at = tuple(i for i, p in enumerate(params) if p == _REQUISITION_PLACEHOLDER)
    now_at = tuple(i for i, p in enumerate(params) if p == _NOW_PLACEHOLDER)
    viewer_at = tuple(i for i, p in enumerate(params) if p == _VIEWER_PLACEHOLDER)
    return rows_digest_sql(sql), tuple(params), requisition_at, now_at, viewer_at


def board_fingerprint(requisition, now, viewer) -> tuple[int, str]:
    """One query: how many cards, and an md5 of what they show ``viewer`` at ``now``."""
    sql, params, requisition_at, now_at, viewer_at = _fingerprint_sql()
    bound = list(params)
    for position in requisition_at:
        bound[position] = requisition.pk
    for position in now_at:
        bound[position] = now
    for position in viewer_at:
        bound[position] = viewer.pk
    return rows_digest(sql, bound)


@dataclass
class Board:
    html: SafeString
    application_count: int
    #: The pipeline's stages in order (the bulk toolbar offers them).
    stages: list


def board_columns(*, requisition, viewer, now) -> Board:
    """The board's columns from the cache, or built and rendered (and cached)."""
    stages = list(Stage.objects.filter(pipeline_id=requisition.pipeline_id).order_by("order"))
    count, digest = board_fingerprint(requisition, now, viewer)
    shape = repr([(s.pk, s.name, s.kind, s.order, s.stuck_after_days) for s in stages])
    language = translation.get_language() or ""
    parts = "\n".join((code_version(), str(requisition.pk), f"{count}:{digest}", shape, language))
    key = f"board:{requisition.pk}:{hashlib.sha256(parts.encode()).hexdigest()}"
    html = cache.get(key)
    if html is None:
        columns = selectors.requisition_board(
            requisition=requisition, viewer=viewer, now=now, stages=stages
        )
        html = render_to_string(PARTIAL, {"columns": columns})
        cache.set(key, html, BOARD_CACHE_SECONDS)
    return Board(html=mark_safe(html), application_count=count, stages=stages)
