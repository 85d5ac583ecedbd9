from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from candidates.models import Application
from decisions import services
from decisions.forms import NO_EMAIL, BulkForm, RejectForm, initial_kind
from decisions.models import ScheduledEmail, TemplateKind
from hiring import policy
from hiring.models import Requisition, Stage, StageKind
from scoring.views import ranking_csv_response


def _application(request, pk: int) -> Application:
    """The application, if the user may see it (404 otherwise: other teams' ids say nothing)."""
    return get_object_or_404(
        Application.objects.visible_to(request.user).select_related(
            "candidate", "stage", "requisition__hiring_manager", "requisition__pipeline"
        ),
        pk=pk,
    )


def _next_url(request, default: str) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default


def _row(request, application, **context):
    """The home's decision row after an action (HTMX swaps it in place)."""
    return render(
        request,
        "decisions/_decision_done.html",
        {"application": application, "next": reverse("hiring:home"), **context},
    )


@require_POST
def decision_advance(request, application_pk: int):
    application = _application(request, application_pk)
    try:
        stage = services.application_advance(
            application=application, actor=request.user, now=timezone.now()
        )
    except (ValidationError, PermissionDenied) as exc:
        error = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        if request.htmx:
            return _row(request, application, error=error)
        messages.error(request, error)
        return redirect(_next_url(request, reverse("hiring:home")))
    text = f"{application.candidate.full_name} moved to {stage.name}."
    if request.htmx:
        return _row(request, application, done=text)
    messages.success(request, text)
    return redirect(_next_url(request, reverse("hiring:home")))


@require_http_methods(["GET", "POST"])
def decision_reject(request, application_pk: int):
    """Reject with a reason and, if the pipeline has one, a rejection email previewed here."""
    application = _application(request, application_pk)
    requisition = application.requisition
    if not policy.may_reject(request.user, requisition):
        raise PermissionDenied("You cannot reject this candidate.")
    kinds = services.kinds_available(requisition.pipeline_id)
    # A rejection after the silence test offers that template first; interviews' otherwise.
    default = (
        TemplateKind.REJECTION_SILENT
        if application.stage.kind == StageKind.SILENCE_TEST
        else TemplateKind.REJECTION_INTERVIEWS
    )
    preferred = request.GET.get("email_kind", default)
    initial = {"email_kind": preferred if preferred == NO_EMAIL else initial_kind(kinds, preferred)}
    previewing = "preview" in request.POST
    if previewing:
        # A preview keeps what was typed without judging it: no "required" error yet.
        initial = {key: request.POST.get(key, "") for key in ("reason", "email_kind")}
    form = RejectForm(
        request.POST if request.method == "POST" and not previewing else None,
        kinds=kinds,
        initial=initial,
    )
    now = timezone.now()
    status = 200
    if request.method == "POST" and not previewing:
        if form.is_valid():
            try:
                scheduled = services.application_reject(
                    application=application,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    email_kind=form.cleaned_data["email_kind"],
                    now=now,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
                status = 403
            else:
                text = f"{application.candidate.full_name} rejected."
                if scheduled:
                    text += (
                        " The email goes "
                        + timezone.localtime(scheduled.send_at).strftime("%a %d %b, %H:%M %Z")
                        + "; you can cancel it until then."
                    )
                if request.htmx:
                    return _row(request, application, done=text, scheduled=scheduled)
                messages.success(request, text)
                return redirect(_next_url(request, reverse("hiring:home")))
        if status == 200:
            status = 422
    kind = form["email_kind"].value() or NO_EMAIL
    kind = kind if kind in dict(kinds) else NO_EMAIL
    draft = services.email_draft(application=application, kind=kind, now=now) if kind else None
    context = {
        "application": application,
        "form": form,
        "draft": draft,
        "kinds": kinds,
        "next": _next_url(request, reverse("hiring:home")),
    }
    if request.htmx:
        # htmx does not swap error responses by default: the errors are in the fragment.
        partial = "preview" if request.GET.get("preview") else "reject-form"
        return render(request, f"decisions/reject.html#{partial}", context)
    return render(request, "decisions/reject.html", context, status=status)


@require_POST
def scheduled_email_cancel(request, pk: int):
    scheduled = get_object_or_404(
        ScheduledEmail.objects.filter(
            application__in=Application.objects.visible_to(request.user)
        ).select_related("application__candidate", "application__requisition"),
        pk=pk,
    )
    default = reverse("candidates:application_detail", args=[scheduled.application_id])
    try:
        services.scheduled_email_cancel(
            scheduled_email=scheduled, actor=request.user, now=timezone.now()
        )
    except ValidationError as exc:
        text, ok = " ".join(exc.messages), False
    else:
        text, ok = f"The email to {scheduled.application.candidate.full_name} is cancelled.", True
    if request.htmx:
        return render(
            request, "decisions/_cancelled.html", {"text": text, "ok": ok, "scheduled": scheduled}
        )
    (messages.success if ok else messages.error)(request, text)
    return redirect(_next_url(request, default))


@require_POST
def requisition_bulk(request, pk: int):
    """Move, reject (with an email) or export the ticked applications of a requisition."""
    requisition = get_object_or_404(
        Requisition.objects.visible_to(request.user).select_related("pipeline"), pk=pk
    )
    stages = list(Stage.objects.filter(pipeline_id=requisition.pipeline_id).order_by("order"))
    form = BulkForm(request.POST, stages=stages)
    back = _next_url(request, reverse("hiring:requisition_board", args=[requisition.pk]))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    data = form.cleaned_data
    if data["action"] == "export":
        visible = set(
            Application.objects.visible_to(request.user)
            .filter(requisition=requisition, pk__in=data["applications"])
            .values_list("pk", flat=True)
        )
        return ranking_csv_response(requisition, viewer=request.user, application_ids=visible)
    if data["action"] == "reject":
        to_stage = next((s for s in stages if s.kind == StageKind.REJECTED), None)
        if to_stage is None:
            messages.error(request, "The pipeline has no Rejected stage; an admin must add one.")
            return redirect(back)
        verb = "rejected"
    else:
        to_stage = next(s for s in stages if s.pk == data["to_stage"])
        verb = "moved"
    result = services.applications_move_many(
        user=request.user,
        requisition=requisition,
        application_ids=data["applications"],
        to_stage=to_stage,
        reason=data["reason"],
        email_kind=data["email_kind"] if to_stage.is_terminal else "",
        now=timezone.now(),
    )
    level = messages.warning if result.refused else messages.success
    level(request, result.summary(verb))
    return redirect(back)


def application_page_prefetches() -> list[Prefetch]:
    return [
        Prefetch(
            "scheduled_emails",
            queryset=ScheduledEmail.objects.select_related("created_by", "cancelled_by"),
        )
    ]


def application_page_section(request, application, bound: dict) -> dict:
    """The scheduled emails on the application page's timeline."""
    return {
        "scheduled_emails": list(application.scheduled_emails.all()),
        "may_reject": policy.may_reject(request.user, application.requisition),
    }
