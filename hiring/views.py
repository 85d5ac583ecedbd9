from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from hiring import selectors
from hiring.forms import TimeZoneForm
from hiring.models import Requisition
from hiring.services import user_profile_for, user_time_zone_set


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


def home(request):
    return redirect("hiring:requisition_list")


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
    return render(request, "hiring/profile.html", {"form": form})
