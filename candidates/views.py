from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from candidates import page_cache, policy, selectors, services
from candidates.forms import (
    ApplicationCreateForm,
    InterviewRoundForm,
    MoveStageForm,
    ScorecardForm,
)
from candidates.models import Application, ApplicationCV, InterviewRound
from hiring.closures import company_calendar
from hiring.forms import AnnounceForm
from hiring.models import Requisition, SilenceTestState, StageKind
from hiring.page_cache import Rendered, Substitutions, page_response, project_sources
from hiring.selectors import scorecard_traits_for
from hiring.services import silence_instants

#: Parts of the application page that apps above this one draw (contacts and their forms, the
#: score): each is called with the request, the application and the bound forms the caller
#: passed, and returns context. Registered from those apps' ``AppConfig.ready()``: this layer
#: may not import them (``[tool.importlinter]``).
_page_sections: list[Callable[..., dict]] = []


PAGE = "candidates/application_detail.html"


def application_page_section_register(section: Callable[..., dict]) -> None:
    if section not in _page_sections:
        _page_sections.append(section)


def render_application_page(
    request,
    application,
    *,
    move_form=None,
    round_form=None,
    announce_form=None,
    cv_error=None,
    status=200,
    partial=None,
    **bound,
):
    """The application page, with any of its forms bound (errors) or fresh. ``bound`` holds the
    forms and warnings of the registered sections (``contact_form``, ``email_form``, …)."""
    context = _page_context(
        request,
        application,
        move_form=move_form,
        round_form=round_form,
        announce_form=announce_form,
        cv_error=cv_error,
        **bound,
    )
    return render(request, f"{PAGE}#{partial}" if partial else PAGE, context, status=status)


def _page_context(
    request,
    application,
    *,
    move_form=None,
    round_form=None,
    announce_form=None,
    cv_error=None,
    other_applications=None,
    substitutions: Substitutions | None = None,
    **bound,
) -> dict:
    """What the page's template reads. ``other_applications``: already loaded (the cached
    page's version query lists them), else queried. ``substitutions``: a cached page's
    placeholders (``hiring.page_cache``), else this request's values."""
    substitutions = substitutions or Substitutions.for_request(request)
    silence_tests = list(application.silence_tests.all())
    open_test = next((t for t in silence_tests if t.is_open), None)
    can_announce = application.stage.kind == StageKind.SILENCE_TEST and (
        open_test is None or open_test.state == SilenceTestState.WAITING
    )
    requisition = application.requisition
    # Read whether or not the page announces, so the query count is the same for every
    # application (one small query: the company's closure days).
    company = company_calendar()
    # Prefetched by application_for_page: the forms' choices render without queries of their
    # own, so the page's query count does not depend on which forms it shows.
    stages = list(requisition.pipeline.stages.all())
    team = [requisition.hiring_manager, *requisition.recruiters.all()]
    move_form = move_form or MoveStageForm(
        application=application, user=request.user, stages=stages
    )
    round_form = round_form or InterviewRoundForm(requisition=requisition, team=team)
    announce_form = announce_form or AnnounceForm(
        requisition=requisition, user=request.user, team=team
    )
    context = {
        "application": application,
        "candidate": application.candidate,
        "requisition": requisition,
        "move_form": move_form,
        "round_form": round_form,
        "announce_form": announce_form,
        "silence_tests": silence_tests,
        "open_test": open_test,
        # Relative: a cached page gets it at each response.
        "open_test_until": _open_test_until(open_test, substitutions),
        "can_announce": can_announce,
        # The sentence to say, with the deadline an announcement made now would get.
        "announce_deadline": (
            _deadline_if_announced_now(application, company=company) if can_announce else None
        ),
        "other_applications": (
            selectors.other_applications(user=request.user, application=application)
            if other_applications is None
            else other_applications
        ),
        "traits": scorecard_traits_for(application.requisition.pipeline_id),
        "cv_error": cv_error,
        "cv_max_mb": settings.CV_MAX_BYTES // (1024 * 1024),
    }
    # Blind scorecards (candidates.policy): each round carries what this user may read.
    rounds = list(application.rounds.all())
    for interview_round in rounds:
        cards = interview_round.scorecards.all()
        interview_round.visible_scorecards = policy.scorecards_visible_to(
            request.user, interview_round, cards
        )
        interview_round.hidden_scorecards = len(cards) - len(interview_round.visible_scorecards)
        for card in interview_round.visible_scorecards:
            # Under the pipeline's trait names, in its order (the columns are fixed slots).
            card.trait_values = [getattr(card, trait.column) for trait in context["traits"]]
    context["show_scorecard_average"] = policy.sees_every_rating(request.user, rounds)
    context["may_reveal_scorecards"] = policy.may_reveal_scorecards(request.user, application)
    for section in _page_sections:
        context.update(section(request, application, bound))
    return context


def _open_test_until(open_test, substitutions: Substitutions) -> str:
    if open_test is None:
        return ""
    if open_test.state == SilenceTestState.WAITING:
        return substitutions.until(open_test.deadline_at)
    if open_test.state == SilenceTestState.OBSERVING:
        return substitutions.until(open_test.window_closes_at)
    return ""


def _deadline_if_announced_now(application, *, company):
    requisition = application.requisition
    try:
        deadline, _closes = silence_instants(
            announced_at=timezone.now(),
            stage=application.stage,
            time_zone=requisition.time_zone,
            country=requisition.country,
            subdivision=requisition.subdivision,
            company=company,
        )
    except ValueError:  # a calendar without business days: the announcement will say so
        return None
    return deadline


def application_detail(request, pk: int):
    if not page_cache.cacheable(request):
        application = selectors.application_for_page(user=request.user, pk=pk)
        return render_application_page(request, application)
    # Plain GETs: one query says whether the user may see it and which version it is; the page
    # rendered for that version (for this viewer) is served from the cache (hiring.page_cache).
    version = page_cache.page_version(user=request.user, pk=pk)

    def render_page(substitutions: Substitutions) -> Rendered:
        application = selectors.application_for_page(user=request.user, pk=pk)
        others = [
            SimpleNamespace(
                pk=other["id"],
                requisition=SimpleNamespace(title=other["title"]),
                stage=SimpleNamespace(name=other["stage"]),
            )
            for other in version.others
        ]
        context = _page_context(
            request, application, other_applications=others, substitutions=substitutions
        )
        context["csrf_token"] = substitutions.csrf_token
        html = render_to_string(PAGE, context, request=request)
        # The forms' default times are the current minute's (a contact's "When", on every page;
        # the announcement's "told at" and the deadline it would get): a page cached longer
        # would log a call made now at the minute the page was first rendered.
        return Rendered(html, valid_until=_next_minute())

    return page_response(
        request,
        name="application",
        parts=(pk, version.digest, version.others),
        render=render_page,
        sources=project_sources(),
    )


def _next_minute():
    return timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=1)


@require_POST
def application_move(request, pk: int):
    application = selectors.application_for_page(user=request.user, pk=pk)
    form = MoveStageForm(request.POST, application=application, user=request.user)
    status = 422
    if form.is_valid():
        try:
            services.application_move(
                application=application,
                to_stage=form.cleaned_data["to_stage"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
            status = 403
        else:
            messages.success(
                request,
                f"{application.candidate.full_name} moved to {form.cleaned_data['to_stage'].name}.",
            )
            if not request.htmx:
                return redirect("candidates:application_detail", pk=application.pk)
            # HTMX swaps just the stage panel: reload it so the history shows the new entry.
            application = selectors.application_for_page(user=request.user, pk=pk)
            form, status = None, 200
    if request.htmx:
        # htmx does not swap error responses by default; the errors are in the fragment.
        return render_application_page(
            request, application, move_form=form, status=200, partial="stage-panel"
        )
    return render_application_page(request, application, move_form=form, status=status)


@require_POST
def interview_round_create(request, pk: int):
    application = selectors.application_for_page(user=request.user, pk=pk)
    form = InterviewRoundForm(request.POST, requisition=application.requisition)
    if form.is_valid():
        interview_round = services.interview_round_create(
            application=application,
            title=form.cleaned_data["title"],
            scheduled_at=form.cleaned_data["scheduled_at"],
            interviewers=form.cleaned_data["interviewers"],
        )
        messages.success(request, f"{interview_round} added.")
        return redirect("candidates:application_detail", pk=application.pk)
    return render_application_page(request, application, round_form=form, status=422)


@require_http_methods(["GET", "POST"])
def scorecard_submit(request, pk: int, round_pk: int):
    application = selectors.application_for_page(user=request.user, pk=pk)
    interview_round = get_object_or_404(InterviewRound, pk=round_pk, application=application)
    existing = interview_round.scorecards.filter(interviewer=request.user).first()
    traits = scorecard_traits_for(application.requisition.pipeline_id)
    form = ScorecardForm(request.POST or None, instance=existing, traits=traits)
    if request.method == "POST" and form.is_valid():
        try:
            services.scorecard_submit(
                interview_round=interview_round,
                interviewer=request.user,
                ratings=form.ratings(),
                recommendation=form.cleaned_data["recommendation"],
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Scorecard for {interview_round} saved.")
            return redirect("candidates:application_detail", pk=application.pk)
    return render(
        request,
        "candidates/scorecard_form.html",
        {
            "application": application,
            "interview_round": interview_round,
            "form": form,
            "traits": traits,
            "replacing": existing is not None,
        },
        status=422 if form.errors else 200,
    )


#: Room for the multipart envelope and the CSRF field around the file itself.
_UPLOAD_OVERHEAD = 64 * 1024


@csrf_exempt  # checked below, once the declared size is known to be acceptable
@require_POST
def cv_upload(request, pk: int):
    """Attach a CV to the application. The declared body size is checked before anything reads
    the body (the CSRF check reads the form, so it comes second): a huge upload is refused
    without being parsed, even into a temporary file."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return HttpResponseBadRequest("Bad Content-Length.")
    if length > settings.CV_MAX_BYTES + _UPLOAD_OVERHEAD:
        # The application page is not rendered for a body nobody read: scoped 404 first, then
        # a plain refusal (before the CSRF check, which would read it).
        application = get_object_or_404(Application.objects.visible_to(request.user), pk=pk)
        limit_mb = settings.CV_MAX_BYTES // (1024 * 1024)
        context = {
            "reason": f"The CV is larger than {limit_mb} MB, so it was not uploaded. "
            "Save it smaller (a PDF export usually is) and upload it again.",
            "back_url": reverse("candidates:application_detail", args=[application.pk]),
            "back_label": "Back to the application",
        }
        return render(request, "413.html", context, status=413)
    return _cv_upload_checked(request, pk)


@csrf_protect
def _cv_upload_checked(request, pk: int):
    application = selectors.application_for_page(user=request.user, pk=pk)
    error = None
    if not isinstance(request.FILES.get("cv"), UploadedFile):
        error = "Choose a PDF or Word (.docx) file to upload."
    else:
        try:
            cv = services.application_cv_upload(
                application=application,
                upload=request.FILES["cv"],
                actor=request.user,
                now=timezone.now(),
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, f"CV “{cv.filename}” added.")
            return redirect("candidates:application_detail", pk=application.pk)
    return render_application_page(request, application, cv_error=error, status=400)


def cv_download(request, pk: int, cv_pk: int):
    """A CV, to people who may see its application only; always a download, never rendered."""
    cv = get_object_or_404(
        ApplicationCV.objects.visible_to(request.user), pk=cv_pk, application_id=pk
    )
    try:
        handle = cv.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file of this CV is missing from storage.") from None
    services.application_cv_download_record(cv=cv, actor=request.user)
    response = FileResponse(
        handle, as_attachment=True, filename=cv.filename, content_type=cv.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def scorecards_reveal(request, pk: int, round_pk: int):
    application = selectors.application_for_page(user=request.user, pk=pk)
    interview_round = get_object_or_404(InterviewRound, pk=round_pk, application=application)
    services.interview_round_scorecards_reveal(
        interview_round=interview_round, actor=request.user, now=timezone.now()
    )
    messages.success(request, f"Every scorecard of {interview_round} is now shown.")
    return redirect("candidates:application_detail", pk=application.pk)


@require_http_methods(["GET", "POST"])
def application_create(request, requisition_pk: int):
    requisition = get_object_or_404(
        Requisition.objects.visible_to(request.user).select_related("pipeline"),
        pk=requisition_pk,
    )
    form = ApplicationCreateForm(request.POST or None, requisition=requisition, user=request.user)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                try:
                    candidate = selectors.candidate_for_new_application(
                        request.user, emails=data["emails"]
                    )
                except ValueError as exc:
                    raise ValidationError(str(exc)) from None
                if candidate is None:
                    candidate = services.candidate_create(
                        first_name=data["first_name"],
                        last_name=data["last_name"],
                        emails=data["emails"],
                        phones=data["phones"],
                        phone_region=requisition.country,
                        time_zone=data["time_zone"],
                        linkedin_url=data["linkedin_url"],
                        created_by=request.user,
                    )
                else:
                    for address in data["emails"]:
                        services.candidate_email_add(candidate=candidate, address=address)
                    for number in data["phones"]:
                        services.candidate_phone_add(
                            candidate=candidate, number=number, region=requisition.country
                        )
                application = services.application_create(
                    candidate=candidate,
                    requisition=requisition,
                    actor=request.user,
                    stage=data["stage"],
                    source=data["source"],
                )
        except ValidationError as exc:
            form.add_error(None, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
            status = 403
        else:
            messages.success(request, f"{candidate.full_name} added to {requisition.title}.")
            return redirect("candidates:application_detail", pk=application.pk)
    if form.errors and status == 200:
        status = 422
    return render(
        request,
        "candidates/application_form.html",
        {"requisition": requisition, "form": form},
        status=status,
    )


def search(request):
    """Find anyone: the top bar's search over the candidates the user may see."""
    query = request.GET.get("q", "")
    error, status = "", 200
    try:
        results = selectors.application_search(user=request.user, query=query)
    except ValueError as exc:
        results, error, status = [], str(exc), 400
    return render(
        request,
        "candidates/search.html",
        {
            "query": query[: selectors.SEARCH_MAX_LENGTH],
            "results": results,
            "error": error,
            "max_length": selectors.SEARCH_MAX_LENGTH,
        },
        status=status,
    )
