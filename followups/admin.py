from django.contrib import admin
from django.db import transaction
from django.utils import timezone

from audit.admin_mixins import AuditedAdminMixin
from audit.services import AuditAction
from candidates.freshness import mark_scores_stale
from followups.models import Contact
from followups.recording import contact_record


def _contact_ids(contact: Contact) -> dict:
    # Ids and the channel only: the summary, subject and body are the candidate's words.
    return {
        "candidate": contact.candidate_id,
        "application": contact.application_id,
        "channel": contact.channel,
    }


@admin.register(Contact)
class ContactAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_changed_action = AuditAction.CONTACT_CHANGED
    audit_deleted_action = AuditAction.CONTACT_DELETED

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

    def audit_details(self, obj):
        return _contact_ids(obj)

    def save_model(self, request, obj, form, change):
        # Through the recording action, as every other door: classification, contamination,
        # scores (of the application it left too, when an admin moves it).
        with transaction.atomic():
            if change and "application" in form.changed_data:
                mark_scores_stale([form.initial.get("application")])
            contact_record(contact=obj, now=timezone.now())

    def delete_model(self, request, obj):
        with transaction.atomic():
            mark_scores_stale([obj.application_id])
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            mark_scores_stale(queryset.values_list("application_id", flat=True))
            super().delete_queryset(request, queryset)
