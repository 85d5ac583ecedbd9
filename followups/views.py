from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from candidates.selectors import application_for_page
from followups import services
from followups.forms import ContactLogForm, EmailSendForm
from followups.selectors import contacts_visible_to


@require_POST
def contact_log(request, application_pk: int):
    from candidates.views import render_application_page

    application = application_for_page(user=request.user, pk=application_pk)
    form = ContactLogForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.contact_log(
                application=application,
                channel=data["channel"],
                direction=data["direction"],
                occurred_at=data["occurred_at"],
                summary=data["summary"],
                logged_by=request.user,
                now=timezone.now(),
                confirm_contamination=data["confirm_contamination"],
            )
        except services.WouldContaminate as exc:
            # Ask once more: the same form comes back with the warning and a confirm button.
            form = ContactLogForm({**request.POST.dict(), "confirm_contamination": "true"})
            form.is_valid()
            return render_application_page(
                request, application, contact_form=form, contact_warning=exc.messages[0]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Contact logged.")
            return redirect("candidates:application_detail", pk=application.pk)
    return render_application_page(request, application, contact_form=form, status=422)


@require_POST
def email_send(request, application_pk: int):
    from candidates.views import render_application_page

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


def contact_raw(request, pk: int):
    """The raw email as received (audit), for users who may see the candidate."""
    contact = get_object_or_404(
        contacts_visible_to(request.user).select_related("message"), pk=pk, message__isnull=False
    )
    response = HttpResponse(bytes(contact.message.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="contact-{contact.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
