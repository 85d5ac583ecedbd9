from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from hiring import selectors, services
from hiring.dashboard import dashboard_for
from hiring.forms import AnnounceForm, TimeZoneForm
from hiring.models import Requisition
from hiring.services import user_profile_for, user_time_zone_set
from twofactor.selectors import second_factor_status


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


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
    columns = selectors.requisition_board(requisition=requisition, now=timezone.now())
    return render(
        request,
        "hiring/requisition_board.html",
        {
            "requisition": requisition,
            "columns": columns,
            "application_count": sum(len(c.applications) for c in columns),
        },
    )


@require_http_methods(["GET", "POST"])
def profile(request):
    current = user_profile_for(request.user).time_zone
    form = TimeZoneForm(request.POST or None, initial={"time_zone": current})
    if request.method == "POST" and form.is_valid():
        user_time_zone_set(user=request.user, time_zone=form.cleaned_data["time_zone"])
        messages.success(request, f"Dates are now shown in {form.cleaned_data['time_zone']}.")
        return redirect("hiring:profile")
    return render(
        request,
        "hiring/profile.html",
        {"form": form, "second_factor": second_factor_status(user=request.user)},
    )


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
    from candidates.selectors import application_for_page
    from candidates.views import render_application_page

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
