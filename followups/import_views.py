"""Call-log CSV import pages: upload, batch progress and results, error-row download."""

import csv

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import get_valid_filename
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from followups import call_import, policy
from followups.imports import (
    MAX_UPLOAD_BYTES,
    TOO_LARGE_MESSAGE,
    call_import_create,
    call_import_header,
    call_import_rows_csv,
    ordered_row_data,
)
from followups.models import ImportRow, ImportStatus, RowOutcome
from hiring.models import Requisition

#: Non-imported rows shown per page of a batch.
ROWS_PER_PAGE = 50
#: Cells starting with these are formulas to a spreadsheet: neutralised in downloads.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class CallImportForm(forms.Form):
    file = forms.FileField(
        label="Call log (CSV)",
        help_text="Comma, semicolon or tab separated, with a header line.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv,text/plain"}),
    )
    preset = forms.ChoiceField(
        label="Format",
        choices=[(p.name, f"{p.label} — {p.description}") for p in call_import.PRESETS.values()],
        initial="generic",
    )
    requisition = forms.ModelChoiceField(
        queryset=None,
        label="Requisition (its country is the default for numbers without +country code)",
        empty_label=None,
    )

    def __init__(self, *args, user, **kwargs):

        super().__init__(*args, **kwargs)
        field = self.fields["requisition"]
        field.queryset = Requisition.objects.visible_to(user).order_by("title", "id")
        field.label_from_instance = lambda r: f"{r.title} ({r.country})"


def _require_importer(user):
    if not policy.may_import_calls(user):
        raise PermissionDenied("Only recruiters and admins import call logs.")


def _batches_visible_to(user):
    return policy.import_batches_visible_to(user)


#: Room for the multipart envelope and the other fields around the file itself.
_UPLOAD_OVERHEAD = 64 * 1024


def _declared_too_large(request) -> bool:
    """Is the declared body over what an import accepts? Checked before anything reads the
    body, so a huge upload is refused without being spooled to a temporary file."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False  # Django's own parser refuses a nonsense length
    return length > MAX_UPLOAD_BYTES + _UPLOAD_OVERHEAD


@csrf_exempt  # checked below, once the declared size is known to be acceptable
def call_import_upload(request):
    _require_importer(request.user)
    if request.method == "POST" and _declared_too_large(request):
        context = {
            "reason": TOO_LARGE_MESSAGE,
            "back_url": reverse("followups:call_import_upload"),
            "back_label": "Back to the import",
        }
        return render(request, "413.html", context, status=413)
    return _call_import_upload_checked(request)


@csrf_protect
def _call_import_upload_checked(request):
    form = CallImportForm(request.POST or None, request.FILES or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                batch = call_import_create(
                    uploaded_by=request.user,
                    filename=upload.name,
                    content=upload.read(),
                    preset=form.cleaned_data["preset"],
                    default_region=form.cleaned_data["requisition"].country,
                )
            except ValidationError as exc:
                form.add_error("file", exc)
            else:
                return redirect("followups:call_import_detail", pk=batch.pk)
        status = 422
    recent = (
        _batches_visible_to(request.user)
        .filter(uploaded_by_id=request.user.pk)
        .defer("content")[:10]
    )
    return render(
        request,
        "followups/import_form.html",
        {"form": form, "presets": call_import.PRESETS.values(), "recent": recent},
        status=status,
    )


def call_import_detail(request, pk: int):
    batch = get_object_or_404(_batches_visible_to(request.user).defer("content"), pk=pk)
    rows = (
        ImportRow.objects.filter(batch=batch)
        .exclude(outcome=RowOutcome.IMPORTED)
        .order_by("row_number")
    )
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    if page.object_list:
        header = call_import_header(batch_id=batch.pk)
        for row in page.object_list:
            row.cells = ordered_row_data(row.data, header)
    running = batch.status in (ImportStatus.PENDING, ImportStatus.RUNNING)
    template = "followups/import_detail.html"
    return render(
        request,
        f"{template}#batch-status" if request.htmx else template,
        {
            "batch": batch,
            "page": page,
            "running": running,
            "percent": round(100 * batch.processed_rows / batch.total_rows)
            if batch.total_rows
            else 0,
            "preset": call_import.PRESETS.get(batch.preset),
        },
    )


class _Echo:
    def write(self, value):
        return value


def _safe_cell(value) -> str:
    text = "" if value is None else str(value)
    # A phone number like +1 415… is data, not a formula: leave digits-only values alone.
    if text.startswith(FORMULA_PREFIXES) and not call_import.looks_like_number(text):
        return "'" + text
    return text


def call_import_errors_csv(request, pk: int):
    """The batch's error rows as CSV: the original columns plus the row number and reason."""
    batch = get_object_or_404(_batches_visible_to(request.user).defer("content"), pk=pk)
    outcomes = (RowOutcome.ERROR,)
    if request.GET.get("all") == "1":
        outcomes = (RowOutcome.ERROR, RowOutcome.UNMATCHED, RowOutcome.DUPLICATE)
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"  # spreadsheets read UTF-8 with a byte-order mark (the importer skips it)
        for row in call_import_rows_csv(batch=batch, outcomes=outcomes):
            yield writer.writerow([_safe_cell(v) for v in row])

    stem = get_valid_filename(batch.filename.rsplit(".", 1)[0]) or "calls"
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stem}-errors.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
