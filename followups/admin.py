from django.contrib import admin

from audit.admin_mixins import AuditedAdminMixin
from audit.services import AuditAction
from followups.models import Contact


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
