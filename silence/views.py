from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from candidates.selectors import application_for_page
from candidates.views import render_application_page
from hiring.forms import AnnounceForm
from hiring.models import Requisition
from silence import selectors, services


def silence_board(request, pk: int):
    requisition = get_object_or_404(
        Requisition.objects.visible_to(request.user).select_related("hiring_manager"), pk=pk
    )
    return render(
        request,
        "hiring/silence_board.html",
        {
            "requisition": requisition,
            "board": selectors.silence_board(requisition=requisition),
            "now": timezone.now(),
        },
    )


@require_POST
def silence_announce(request, application_pk: int):
    application = application_for_page(user=request.user, pk=application_pk)
    form = AnnounceForm(request.POST, requisition=application.requisition, user=request.user)
    if form.is_valid():
        try:
            test = services.silence_test_announce(
                application=application,
                announced_by=form.cleaned_data["announced_by"],
                recorded_by=request.user,
                announced_at=form.cleaned_data["announced_at"],
                now=timezone.now(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            deadline = timezone.localtime(test.deadline_at)
            messages.success(
                request,
                f"Silence test started: the deadline is {deadline:%A %d %B, %H:%M %Z}. "
                "Now stay silent — don't chase.",
            )
            return redirect("candidates:application_detail", pk=application.pk)
    return render_application_page(request, application, announce_form=form, status=422)
