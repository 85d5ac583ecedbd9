from django.contrib import admin, messages

from api.models import ApiToken
from api.services import api_token_revoke


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Superusers only: whose tokens exist and when they were used, and revoking a leaked one.
    No adding or editing: only its owner makes a token, and nobody ever sees one again."""

    list_display = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    list_select_related = ["user"]
    search_fields = ["user__username", "name", "prefix"]
    fields = list_display
    readonly_fields = list_display
    actions = ["revoke"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        if not request.user.is_superuser:
            return
        for token in queryset:
            api_token_revoke(token=token, actor=request.user)
        messages.success(request, f"{queryset.count()} token(s) revoked.")
