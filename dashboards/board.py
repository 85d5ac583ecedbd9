"""The pipeline board's columns, rendered once per page version (``hiring.page_cache``).

Profiled on the median scale requisition (83 applications), a board request spent about a
third of its time building a model instance for every application, candidate and stage, and
about half rendering the cards (a ``{% url %}`` per card alone was a tenth). The page is now
cached whole under the requisition's ``RequisitionVersion`` (database triggers bump it on any
write to what a card shows), so this runs only when that changes — or when time alone changes a
card: "n days in stage" and the stuck badge change without any write, so the rendering says
until when it is right (``valid_until``: the next instant a card's whole days or stuck state
changes) and is done again after it.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from dashboards import selectors
from hiring.models import Stage

TEMPLATE = "hiring/requisition_board.html"
PARTIAL = f"{TEMPLATE}#board-columns"


@dataclass
class Board:
    html: SafeString
    application_count: int
    #: The pipeline's stages in order (the bulk toolbar offers them).
    stages: list
    #: The next instant at which time alone changes a card.
    valid_until: datetime | None


def valid_until(columns, now: datetime) -> datetime | None:
    """When the next card's whole days in stage go up, or a card becomes stuck (strictly more
    than its stage's limit: the first microsecond past it)."""
    instants = []
    for column in columns:
        limit = column.stage.stuck_after_days
        for application in column.applications:
            entered = application.stage_entered_at
            instants.append(entered + timedelta(days=application.days_in_stage + 1))
            if limit is not None and not application.is_stuck:
                instants.append(entered + timedelta(days=limit, microseconds=1))
    later = [instant for instant in instants if instant > now]
    return min(later, default=None)


def board_columns(*, requisition, viewer, now) -> Board:
    """The board's columns, built and rendered."""
    stages = list(Stage.objects.filter(pipeline_id=requisition.pipeline_id).order_by("order"))
    columns = selectors.requisition_board(
        requisition=requisition, viewer=viewer, now=now, stages=stages
    )
    html = render_to_string(PARTIAL, {"columns": columns})
    return Board(
        html=mark_safe(html),
        application_count=sum(len(column.applications) for column in columns),
        stages=stages,
        valid_until=valid_until(columns, now),
    )
