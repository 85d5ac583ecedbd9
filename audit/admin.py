from django.contrib import admin

from accounts.roles import is_admin
from audit.admin_mixins import ReadOnlyAdminMixin
from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only for admins: the trail is written by the app, never typed in or edited."""

    list_display = [
        "created_at",
        "action",
        "actor_username",
        "object_type",
        "object_id",
        "ip_address",
    ]
    list_filter = ["action", "actor_username", "created_at"]
    search_fields = ["=object_id", "=actor_username"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "created_at",
        "action",
        "actor",
        "actor_username",
        "object_type",
        "object_id",
        "details",
        "ip_address",
    ]
    list_per_page = 100
    # The actor row is not needed for the list; a count over millions of rows would be slow.
    show_full_result_count = False

    def has_module_permission(self, request):
        return is_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_admin(request.user)
