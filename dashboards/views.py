from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.roles import is_admin, is_hiring_manager
from dashboards import board, dashboard, selectors
from dashboards.dashboard import dashboard_for
from followups import policy as contact_policy
from followups.selectors import requisitions_with_version
from hiring.models import Requisition
from hiring.page_cache import Rendered, Substitutions, page_response
from hiring.sql import compiled_rows


def _visible_versions(user, _arg):
    return (
        requisitions_with_version(Requisition.objects.visible_to(user))
        .order_by("pk")
        .values_list("pk", "page_version")
    )


def home(request):
    user = request.user
    # Cached only where the home is the manager's cards alone: the requisitions' versions cover
    # them. The recruiter's cards read the unmatched queue and promises, the admin's the whole
    # configuration, which no version follows: rendered afresh, as before.
    manager_only = (
        is_hiring_manager(user) and not is_admin(user) and not contact_policy.may_triage_queue(user)
    )
    versions = None
    if manager_only:
        # Visibility and the versions in one query, on every request.
        versions = compiled_rows("home", _visible_versions, user=user)

    def render_page(substitutions: Substitutions) -> Rendered:
        board = dashboard_for(
            user=user,
            now=timezone.now(),
            requisition_ids=None if versions is None else [pk for pk, _version in versions],
        )
        for test in board.deadlines:
            test.until = substitutions.until(test.deadline_at)
        html = render_to_string(
            "hiring/home.html",
            {"board": board, "csrf_token": substitutions.csrf_token},
            request=request,
        )
        return Rendered(html, valid_until=board.valid_until)

    return page_response(
        request,
        name="home",
        parts=tuple(versions or ()),
        render=render_page,
        sources=_HOME_SOURCES,
        cacheable=versions is not None and all(v is not None for _pk, v in versions),
    )


def requisition_list(request):
    requisitions = selectors.requisitions_for_list(user=request.user)
    return render(request, "hiring/requisition_list.html", {"requisitions": requisitions})


#: The code that shapes the home besides its templates (a deploy changes the key).
_HOME_SOURCES = (__file__, dashboard.__file__)
#: The code that shapes the board besides its templates (a deploy changes the key).
_BOARD_SOURCES = (__file__, board.__file__, selectors.__file__)


def _board_head(user, pk: int):
    """The requisition if ``visible_to`` the user, with its page version and its hiring
    manager's name (shown in the heading; a user's row, which the version does not follow)."""
    return (
        requisitions_with_version(Requisition.objects.visible_to(user))
        .filter(pk=pk)
        .values_list(
            "page_version",
            "hiring_manager__username",
            "hiring_manager__first_name",
            "hiring_manager__last_name",
        )
    )


def requisition_board(request, pk: int):
    # Visibility on every request, before any cached page; the version in the same query, its
    # SQL compiled once per process (hiring.sql).
    found = compiled_rows("board", _board_head, user=request.user, arg=pk)
    if not found:
        raise Http404("No such requisition.")
    version, *manager_name = found[0]

    def render_page(substitutions: Substitutions) -> Rendered:
        # Visible: checked by the head query of this very request.
        requisition = Requisition.objects.select_related("hiring_manager").get(pk=pk)
        now = timezone.now()
        columns = board.board_columns(requisition=requisition, viewer=request.user, now=now)
        html = render_to_string(
            board.TEMPLATE,
            {
                "requisition": requisition,
                "board_html": columns.html,
                "application_count": columns.application_count,
                "stage_list": columns.stages,
                "csrf_token": substitutions.csrf_token,
                "next_path": substitutions.path,
            },
            request=request,
        )
        return Rendered(html, valid_until=columns.valid_until)

    return page_response(
        request,
        name="board",
        # The cards, stages and requisition through the version; the hiring manager's name
        # (shown in the heading) is a user's row, which the version does not follow.
        parts=(pk, version, *manager_name),
        render=render_page,
        sources=_BOARD_SOURCES,
        cacheable=version is not None,
    )
