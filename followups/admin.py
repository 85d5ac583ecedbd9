from django.contrib import admin

from audit.services import AuditAction, audit_record
from followups.models import Contact


def _contact_ids(contact: Contact) -> dict:
    # Ids and the channel only: the summary, subject and body are the candidate's words.
    return {
        "candidate": contact.candidate_id,
        "application": contact.application_id,
        "channel": contact.channel,
    }


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = [
        "occurred_at",
        "candidate",
        "channel",
        "direction",
        "is_prompted",
        "is_automated",
        "source",
    ]
    list_filter = ["channel", "direction", "source", "is_prompted", "is_automated"]
    list_select_related = ["candidate"]
    search_fields = ["external_id", "summary", "candidate__last_name"]
    raw_id_fields = ["candidate", "application", "logged_by"]
    date_hierarchy = "occurred_at"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            action=AuditAction.CONTACT_CHANGED,
            obj=obj,
            # Which fields changed, never their old or new values (an email body, a number).
            details={**_contact_ids(obj), "created": not change, "fields": form.changed_data},
            request=request,
        )

    def delete_model(self, request, obj):
        audit_record(
            action=AuditAction.CONTACT_DELETED, obj=obj, details=_contact_ids(obj), request=request
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for contact in queryset:
            audit_record(
                action=AuditAction.CONTACT_DELETED,
                obj=contact,
                details=_contact_ids(contact),
                request=request,
            )
        super().delete_queryset(request, queryset)
