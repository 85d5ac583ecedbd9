import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from candidates.models import Application
from evidence import charts, policy, selectors, services
from evidence.forms import AlternativeAssessmentForm, AuditScopeForm, OutcomeForm, SelfIdForm
from evidence.models import SelfIdSource
from hiring.models import Requisition

# --- The candidate's page (no account) ------------------------------------------------------------


@login_not_required
@require_http_methods(["GET", "POST"])
def self_id(request, token: str):
    """Voluntary self-identification behind a signed, expiring link. Answers go to their own
    table; the page never shows earlier answers (a forwarded link reveals nothing)."""
    try:
        candidate = services.self_id_candidate(token)
    except services.SelfIdLinkExpired:
        return render(request, "evidence/self_id.html", {"expired": True}, status=410)
    except services.SelfIdLinkInvalid:
        # The candidate's page, not the staff 404 (which talks about "your team").
        return render(request, "evidence/self_id.html", {"invalid": True}, status=404)
    form = SelfIdForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.self_id_record(
            candidate=candidate,
            sex=form.cleaned_data["sex"],
            race_ethnicity=form.cleaned_data["race_ethnicity"],
            source=SelfIdSource.CANDIDATE,
            now=timezone.now(),
        )
        return render(request, "evidence/self_id.html", {"done": True})
    return render(
        request,
        "evidence/self_id.html",
        {"form": form},
        status=422 if form.errors else 200,
    )


# --- Bias audit ---------------------------------------------------------------------------------


def _audit_scope(request) -> tuple[AuditScopeForm, selectors.Scope | None]:
    form = AuditScopeForm(request.GET or None)
    if not request.GET:
        return form, selectors.Scope()
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    return form, selectors.Scope(
        requisition_id=data["requisition"].pk if data["requisition"] else None,
        pipeline_id=data["pipeline"].pk if data["pipeline"] else None,
        since=data["since"],
        until=data["until"],
    )


def _require_evidence(user) -> None:
    if not policy.may_view_evidence(user):
        raise PermissionDenied("The evidence pages are for admins.")


@require_GET
def bias_audit(request):
    _require_evidence(request.user)
    form, scope = _audit_scope(request)
    audit = selectors.bias_audit(scope) if scope else None
    panels = []
    if audit:
        for measure in audit.measures:
            for dimension in measure.dimensions:
                panels.append(
                    {
                        "measure": measure,
                        "dimension": dimension,
                        "svg": charts.impact_svg(
                            f"{measure.label} — {dimension.label}", dimension.rows
                        ),
                    }
                )
    return render(
        request,
        "evidence/bias_audit.html",
        {
            "form": form,
            "audit": audit,
            "panels": panels,
            "query": request.GET.urlencode(),
            "unknown_label": selectors.UNKNOWN,
        },
        status=200 if scope else 400,
    )


@require_GET
def bias_audit_csv(request):
    _require_evidence(request.user)
    form, scope = _audit_scope(request)
    if scope is None:
        errors = "; ".join(e for errs in form.errors.values() for e in errs)
        return HttpResponse(f"Bad filter: {errors}", status=400, content_type="text/plain")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="bias-audit.csv"'
    response["Cache-Control"] = "no-store"
    csv.writer(response).writerows(selectors.bias_audit_csv_rows(selectors.bias_audit(scope)))
    return response


# --- Predictive validity ----------------------------------------------------------------------


@require_GET
def validity(request):
    _require_evidence(request.user)
    requisition = None
    raw = request.GET.get("requisition", "")
    if raw:
        if not raw.isdigit():
            return HttpResponse("Bad requisition.", status=400, content_type="text/plain")
        requisition = get_object_or_404(Requisition, pk=int(raw))
    result = selectors.validity(requisition.pk if requisition else None)
    return render(
        request,
        "evidence/validity.html",
        {
            "validity": result,
            "predictors": selectors.PREDICTORS,
            "requisition": requisition,
            "requisitions": Requisition.objects.order_by("title"),
        },
    )


# --- Post-hire outcomes ---------------------------------------------------------------------------


@require_GET
def outcome_list(request):
    if not policy.may_record_outcomes_at_all(request.user):
        raise PermissionDenied("Outcomes are recorded by admins and hiring managers.")
    applications = list(
        policy.outcome_applications_for(request.user)
        .select_related("candidate", "requisition", "post_hire_outcome")
        .order_by("requisition__title", "candidate__last_name", "pk")[:500]
    )
    return render(request, "evidence/outcome_list.html", {"applications": applications})


def _visible_application(user, pk: int) -> Application:
    return get_object_or_404(
        Application.objects.visible_to(user).select_related("candidate", "requisition", "stage"),
        pk=pk,
    )


@require_http_methods(["GET", "POST"])
def outcome_edit(request, pk: int):
    application = _visible_application(request.user, pk)
    if not policy.may_record_outcome(request.user, application):
        raise PermissionDenied(
            "Outcomes are recorded for hired candidates by an admin or the hiring manager."
        )
    instance = getattr(application, "post_hire_outcome", None)
    form = OutcomeForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            services.outcome_record(
                application=application, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Outcome saved for {application.candidate.full_name}.")
            return redirect("evidence:outcome_list")
    return render(
        request,
        "evidence/outcome_form.html",
        {"form": form, "application": application},
        status=422 if form.errors else 200,
    )


# --- Alternative assessment and the self-identification invitation ------------------------------


@require_POST
def alternative_assessment(request, pk: int):
    application = _visible_application(request.user, pk)
    form = AlternativeAssessmentForm(request.POST)
    if form.is_valid():
        try:
            services.alternative_assessment_set(
                application=application,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Alternative assessment recorded: no silence test runs.")
    else:
        messages.error(request, "Give the reason for the alternative assessment.")
    return redirect("candidates:application_detail", pk=application.pk)


@require_POST
def self_id_invite(request, pk: int):
    application = _visible_application(request.user, pk)
    try:
        address = services.self_id_invite_send(application=application, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Invitation queued: it goes to {address} shortly.")
    return redirect("candidates:application_detail", pk=application.pk)
