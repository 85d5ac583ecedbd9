from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from dashboards import board_cache, selectors
from dashboards.dashboard import dashboard_for
from hiring.models import Requisition


def home(request):
    return render(
        request,
        "hiring/home.html",
        {"board": dashboard_for(user=request.user, now=timezone.now())},
    )


def requisition_list(request):
    requisitions = selectors.requisitions_for_list(user=request.user)
    return render(request, "hiring/requisition_list.html", {"requisitions": requisitions})


def requisition_board(request, pk: int):
    requisition = get_object_or_404(
        Requisition.objects.visible_to(request.user).select_related("hiring_manager", "pipeline"),
        pk=pk,
    )
    board = board_cache.board_columns(
        requisition=requisition, viewer=request.user, now=timezone.now()
    )
    return render(
        request,
        "hiring/requisition_board.html",
        {
            "requisition": requisition,
            "board_html": board.html,
            "application_count": board.application_count,
            "stage_list": board.stages,
        },
    )
