from django.contrib import admin

from audit.admin_mixins import ReadOnlyAdminMixin
from privacy.models import ErasureRecord, RetentionPolicy


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "updated_at", "updated_by"]
    readonly_fields = ["updated_at", "updated_by"]

    def has_add_permission(self, request):
        # A single row: add it once, then edit it.
        return super().has_add_permission(request) and not RetentionPolicy.objects.exists()

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ErasureRecord)
class ErasureRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: records are written by erasure only and are the proof it happened."""

    list_display = ["candidate_pk", "erased_at", "erased_by", "reason"]
    list_filter = ["reason"]
