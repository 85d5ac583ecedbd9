from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from candidates.selectors import application_for_page
from candidates.views import render_application_page
from followups import policy, quality, selectors, services, triage
from followups.forms import QUALITY_TAG_CHOICES, ContactLogForm, ContactTagsForm, EmailSendForm
from followups.models import Channel, Promise
from followups.selectors import contacts_visible_to

#: Queue rows per page.
QUEUE_PAGE_SIZE = 50


def application_page_prefetches() -> list[Prefetch]:
    """The application page's promises (its contacts are paged: ``timeline_page``)."""
    return [Prefetch("promises", queryset=Promise.objects.order_by("due_at", "id"))]


def _timeline_before(request) -> int | None:
    """The ``before`` cursor of the timeline (a contact id), None for the newest page."""
    raw = request.GET.get("before", "")
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise BadRequest("“before” must be a contact id.")
    return int(raw)


def application_page_section(request, application, bound: dict) -> dict:
    """The application page's contact-logging and email forms (bound ones after an error) and
    the first page of its timeline (or the page ``?before=`` asks for, without JavaScript)."""
    before = _timeline_before(request) if request.method == "GET" else None
    return {
        "contact_form": bound.get("contact_form") or ContactLogForm(),
        "contact_warning": bound.get("contact_warning"),
        "email_form": bound.get("email_form") or EmailSendForm(),
        "email_warning": bound.get("email_warning"),
        "timeline": selectors.timeline_page(application=application, before=before),
        "timeline_before": before,
        "quality_tags": QUALITY_TAG_CHOICES,
    }


def _contact_log_submit(request, application, form: ContactLogForm):
    """Log the contact of a bound form, for the application page and the quick log alike.
    Returns ``(logged, form, warning)``: a warning comes with the confirm form when the contact
    would contaminate a running silence test; otherwise an unlogged form carries its errors."""
    if not form.is_valid():
        return False, form, None
    data = form.cleaned_data
    try:
        quality.contact_log_with_details(
            application=application,
            channel=data["channel"],
            direction=data["direction"],
            occurred_at=data["occurred_at"],
            summary=data["summary"],
            logged_by=request.user,
            now=timezone.now(),
            duration_seconds=data["duration"],
            tags=data["tags"],
            promise=data["promise"],
            promise_due=data["promise_due"],
            confirm_contamination=data["confirm_contamination"],
        )
    except services.WouldContaminate as exc:
        # Ask once more: the same form comes back with the warning and a confirm button.
        form = ContactLogForm({**request.POST.dict(), "confirm_contamination": "true"})
        form.is_valid()
        return False, form, exc.messages[0]
    except ValidationError as exc:
        form.add_error(None, exc)
        return False, form, None
    messages.success(
        request,
        f"{Channel(data['channel']).label} with {application.candidate.full_name} logged.",
    )
    return True, form, None


@require_GET
def contact_timeline(request, application_pk: int):
    """The next page of an application's timeline: HTMX appends it in place; a request without
    HTMX gets the application page showing that page (the link works without JavaScript)."""
    before = _timeline_before(request)
    application = selectors.application_for_timeline(user=request.user, pk=application_pk)
    if not request.htmx:
        url = reverse("candidates:application_detail", args=[application.pk])
        query = f"?before={before}" if before is not None else ""
        return redirect(f"{url}{query}#contacts")
    timeline = selectors.timeline_page(application=application, before=before)
    return render(
        request,
        "followups/_timeline_more.html",
        {
            "application": application,
            "timeline": timeline,
            "appended": True,
            "quality_tags": QUALITY_TAG_CHOICES,
        },
    )


@require_POST
def contact_log(request, application_pk: int):
    application = application_for_page(user=request.user, pk=application_pk)
    logged, form, warning = _contact_log_submit(request, application, ContactLogForm(request.POST))
    if logged:
        next_url = request.POST.get("next", "")
        if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            return redirect(next_url)
        return redirect("candidates:application_detail", pk=application.pk)
    if warning:
        return render_application_page(
            request, application, contact_form=form, contact_warning=warning
        )
    return render_application_page(request, application, contact_form=form, status=422)


@require_POST
def email_send(request, application_pk: int):
    application = application_for_page(user=request.user, pk=application_pk)
    form = EmailSendForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.email_send(
                application=application,
                sender=request.user,
                subject=data["subject"],
                body=data["body"],
                now=timezone.now(),
                confirm_contamination=data["confirm_contamination"],
            )
        except services.WouldContaminate as exc:
            form = EmailSendForm({**request.POST.dict(), "confirm_contamination": "true"})
            form.is_valid()
            return render_application_page(
                request, application, email_form=form, email_warning=exc.messages[0]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Email queued; replies will appear on this timeline.")
            return redirect("candidates:application_detail", pk=application.pk)
    return render_application_page(request, application, email_form=form, status=422)


@require_POST
def contact_tags_set(request, pk: int):
    """Tag a contact on an application's timeline: a captured email or text as much as a logged
    call. The score is refreshed like for any change of its inputs (``contact_details_set``)."""
    contact = get_object_or_404(
        contacts_visible_to(request.user).filter(application__isnull=False), pk=pk
    )
    form = ContactTagsForm(request.POST)
    if form.is_valid():
        quality.contact_details_set(
            contact=contact,
            duration_seconds=contact.duration_seconds,
            tags=form.tags_with_kept(contact),
            actor=request.user,
        )
        messages.success(request, "Tags saved; the score is being updated.")
    else:
        messages.error(request, "Those tags could not be saved: choose from the list.")
    url = reverse("candidates:application_detail", args=[contact.application_id])
    return redirect(f"{url}#contact-{contact.pk}")


def contact_raw(request, pk: int):
    """The raw email as received (audit), for users who may see the candidate."""
    contact = get_object_or_404(
        contacts_visible_to(request.user).select_related("message"), pk=pk, message__isnull=False
    )
    response = HttpResponse(bytes(contact.message.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="contact-{contact.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _require_recruiter_or_admin(user) -> None:
    if not policy.may_triage_queue(user):
        raise PermissionDenied("The unmatched queue is for recruiters and admins.")


@require_http_methods(["GET", "POST"])
def quick_log(request):
    """Log a contact fast: find the candidate as you type, then the form for that application.

    The form posts back here, so a mistake comes back on this page with the user's input (not
    on the application page at another URL), and a logged contact returns to the search."""
    application, form, warning, status = None, None, None, 200
    if request.GET.get("application", "").isdigit():
        application = application_for_page(user=request.user, pk=request.GET["application"])
        if request.method == "POST":
            logged, form, warning = _contact_log_submit(
                request, application, ContactLogForm(request.POST)
            )
            if logged:
                return redirect("followups:quick_log")
            status = 200 if warning else 422
        else:
            form = ContactLogForm()
        # Keyboard flow: phone call and "from the candidate" are preset and the time is now, so
        # the focus starts on the duration: type it, press Enter, the call is logged.
        form.fields["duration"].widget.attrs["autofocus"] = True
    elif request.method == "POST":
        return redirect("followups:quick_log")
    return render(
        request,
        "followups/quick_log.html",
        {
            "application": application,
            "form": form,
            "contact_warning": warning,
            "query": request.GET.get("q", ""),
            "results": selectors.applications_matching(
                user=request.user, query=request.GET.get("q", "")
            ),
        },
        status=status,
    )


def quick_log_search(request):
    results = selectors.applications_matching(user=request.user, query=request.GET.get("q", ""))
    return render(
        request,
        "followups/quick_log.html#results",
        {"results": results, "query": request.GET.get("q", "")},
    )


def unmatched_queue(request):
    _require_recruiter_or_admin(request.user)
    page = Paginator(selectors.unmatched_queue(user=request.user), QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    attach_to = None
    if request.GET.get("attach"):
        attach_to = get_object_or_404(
            selectors.unmatched_queue(user=request.user), pk=request.GET["attach"]
        )
    query = request.GET.get("q", "")
    return render(
        request,
        "followups/unmatched_queue.html",
        {
            "page": page,
            "attach_to": attach_to,
            "query": query,
            "results": selectors.applications_matching(user=request.user, query=query)
            if attach_to
            else [],
        },
    )


@require_POST
def unmatched_attach(request, pk: int):
    _require_recruiter_or_admin(request.user)
    contact = get_object_or_404(selectors.unmatched_queue(user=request.user), pk=pk)
    if not request.POST.get("application", "").isdigit():
        messages.error(request, "Choose the candidate to attach this contact to.")
        return redirect(f"{reverse('followups:unmatched_queue')}?attach={contact.pk}#attach")
    application = application_for_page(user=request.user, pk=request.POST["application"])
    try:
        triage.contact_attach(
            contact_id=contact.pk,
            application=application,
            add_identifier=request.POST.get("add_identifier") == "on",
            actor=request.user,
            now=timezone.now(),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"Attached to {application.candidate.full_name} ({application.requisition})."
        )
    return redirect("followups:unmatched_queue")


@require_POST
def unmatched_dismiss(request, pk: int):
    _require_recruiter_or_admin(request.user)
    contact = get_object_or_404(selectors.unmatched_queue(user=request.user), pk=pk)
    try:
        triage.contact_dismiss(contact_id=contact.pk, actor=request.user, now=timezone.now())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Dismissed: kept, but out of the queue.")
    return redirect("followups:unmatched_queue")
