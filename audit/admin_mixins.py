"""Django admin changes in the audit trail: which fields changed and which ids — never values."""

from audit.services import AuditAction, audit_record


class ReadOnlyAdminMixin:
    """Put before ``admin.ModelAdmin`` for records the app writes and nobody may type in, edit or
    delete (audit events, erasure records): they are evidence."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedAdminMixin:
    """Put before ``admin.ModelAdmin``. One event per saved form (inline rows included) and one
    per deleted object, in the admin's own transaction."""

    audit_changed_action = AuditAction.ADMIN_CHANGED
    audit_deleted_action = AuditAction.ADMIN_DELETED

    def audit_details(self, obj) -> dict:
        """Extra ids worth keeping with every event about ``obj`` (never personal data)."""
        return {}

    def save_related(self, request, form, formsets, change):
        # Deleted inline rows lose their primary key when deleted: note them first.
        deleted = {
            id(formset): [f.instance.pk for f in formset.deleted_forms if f.instance.pk]
            for formset in formsets
        }
        super().save_related(request, form, formsets, change)
        inlines = {}
        for formset in formsets:
            rows = {
                "added": [obj.pk for obj in formset.new_objects],
                "changed": {str(obj.pk): fields for obj, fields in formset.changed_objects},
                "deleted": deleted[id(formset)],
            }
            if any(rows.values()):
                inlines[formset.model._meta.label_lower] = rows
        if change and not form.changed_data and not inlines:
            return
        details = {
            **self.audit_details(form.instance),
            "created": not change,
            "fields": list(form.changed_data),
        }
        if inlines:
            details["inlines"] = inlines
        audit_record(
            action=self.audit_changed_action, obj=form.instance, details=details, request=request
        )

    def delete_model(self, request, obj):
        self._audit_deleted(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self._audit_deleted(request, obj)
        super().delete_queryset(request, queryset)

    def _audit_deleted(self, request, obj):
        audit_record(
            action=self.audit_deleted_action,
            obj=obj,
            details=self.audit_details(obj),
            request=request,
        )
