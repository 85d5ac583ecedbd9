from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from candidates.models import Candidate
from privacy import policy, services
from privacy.forms import EraseForm
from privacy.models import ErasureRecord


@require_GET
def candidate_export(request, pk: int):
    """The candidate's data as a zip (subject-access requests).

    Admins and the recruiters of the candidate's requisitions only: answering a data request is
    an administrative task, and the archive holds every raw email, which hiring managers do not
    otherwise need in bulk.
    """
    if not policy.may_export_candidates(request.user):
        raise PermissionDenied("Exports are for admins and recruiters.")
    candidate = get_object_or_404(Candidate.objects.visible_to(request.user), pk=pk)
    archive = services.candidate_export(candidate=candidate, actor=request.user)
    response = HttpResponse(archive, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="candidate-{candidate.pk}.zip"'
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def candidate_erase(request, pk: int):
    """Admin-only erasure, confirmed by typing the candidate's name."""
    if not policy.may_erase_candidates(request.user):
        raise PermissionDenied("Only admins can erase a candidate.")
    candidate = get_object_or_404(Candidate, pk=pk)
    record = ErasureRecord.objects.filter(candidate_pk=candidate.pk).first()
    form = None if record else EraseForm(candidate=candidate)
    status = 200
    if request.method == "POST" and record is None:
        form = EraseForm(request.POST, candidate=candidate)
        status = 422
        if form.is_valid():
            try:
                result = services.candidate_erase(
                    candidate=candidate,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                )
            except services.ErasureBlocked as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    f"Candidate #{candidate.pk} erased: {result.contacts_anonymised} contacts "
                    f"anonymised, {result.raw_emails_deleted} raw emails and "
                    f"{result.queue_items_deleted} unmatched items deleted, "
                    f"{result.import_rows_scrubbed} import rows scrubbed.",
                )
                return redirect("privacy:candidate_erase", pk=candidate.pk)
    elif request.method == "POST":
        status = 409
    return render(
        request,
        "privacy/candidate_erase.html",
        {
            "candidate": candidate,
            "record": record,
            "form": form,
            "applications": candidate.applications.select_related("requisition", "stage"),
        },
        status=status,
    )
