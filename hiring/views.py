from collections.abc import Callable

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from hiring.forms import TimeZoneForm
from hiring.services import user_profile_for, user_time_zone_set
from twofactor.selectors import second_factor_status

#: Sections that apps above hiring add to the settings page (the API app's tokens), registered
#: from their ``AppConfig.ready()``. Each returns ``{"template": …, …}``; the template gets the
#: dict as ``section``.
_profile_sections: list[Callable[..., dict]] = []


def profile_section_register(section: Callable[..., dict]) -> None:
    if section not in _profile_sections:
        _profile_sections.append(section)


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


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
        {
            "form": form,
            "second_factor": second_factor_status(user=request.user),
            "sections": [section(request) for section in _profile_sections],
        },
    )
