"""Django admin changes in the audit trail: which fields changed and which ids — never values.

Every ModelAdmin on the site is audited, Django's and django-q2's included: ``audit_every_admin``
(run once the admin has discovered its registrations) puts ``AuditedAdminMixin`` in front of
each one that does not have it yet. Refusals are recorded too: a 403 by the audit middleware,
and here a form refused by a permission rule, a read-only field posted anyway, and an action
the user may not run.
"""

from django.contrib.admin.utils import unquote

from audit.services import REFUSED_CODE, AuditAction, audit_record

_UNSET = object()


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
    """Put before ``admin.ModelAdmin``. One event per saved form (inline rows included), per
    other admin write (the password page), per deleted object and per refused attempt, in the
    admin's own transaction."""

    audit_changed_action = AuditAction.ADMIN_CHANGED
    audit_deleted_action = AuditAction.ADMIN_DELETED

    def audit_details(self, obj) -> dict:
        """Extra ids worth keeping with every event about ``obj`` (never personal data)."""
        return {}

    # --- writes -------------------------------------------------------------------------------

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
        details = None
        if not change or form.changed_data or inlines:
            details = {
                **self.audit_details(form.instance),
                "created": not change,
                "fields": list(form.changed_data),
            }
            if inlines:
                details["inlines"] = inlines
        # Recorded by log_addition/log_change, which every admin write calls after saving.
        form.instance._audit_admin_details = details

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        self._audit_write(request, obj, message, created=True)
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        self._audit_write(request, obj, message, created=False)
        return entry

    def _audit_write(self, request, obj, message, *, created):
        details = obj.__dict__.pop("_audit_admin_details", _UNSET)
        if details is _UNSET:
            # A write that did not go through the change form (the user admin's password page):
            # the change message names the fields (labels, never values).
            fields = _message_fields(message)
            details = {**self.audit_details(obj), "created": created, "fields": fields}
            if not created and not fields:
                details = None
        if details is not None:
            audit_record(
                action=self.audit_changed_action, obj=obj, details=details, request=request
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

    # --- refusals (a refused view answers 403, which AuditMiddleware records) ------------------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST":
            self._audit_read_only_fields_posted(request, object_id)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def _audit_read_only_fields_posted(self, request, object_id):
        # The page never renders an input for a read-only field: one in the POST was forged
        # (is_superuser=on). The admin ignores it; the attempt is still worth a record.
        obj = self.get_object(request, unquote(object_id)) if object_id else None
        if obj is None and object_id:
            return
        allowed = (
            self.has_change_permission(request, obj) if obj else self.has_add_permission(request)
        )
        if not allowed:
            return  # answered 403 and recorded as such
        posted = sorted(f for f in self.get_readonly_fields(request, obj) if f in request.POST)
        if posted:
            self._audit_refused(request, obj, fields=posted, reason="read_only_field_posted")

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if request.method == "POST":
            form = context["adminform"].form
            refused = sorted(
                field
                for field, errors in form.errors.as_data().items()
                if any(error.code == REFUSED_CODE for error in errors)
            )
            if refused:
                self._audit_refused(request, obj, fields=refused, reason="refused_by_rule")
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changelist_view(self, request, extra_context=None):
        action = request.POST.get("action", "") if request.method == "POST" else ""
        if action and action not in self.get_actions(request):
            self._audit_refused(
                request,
                None,
                fields=[],
                reason="action_not_allowed",
                action=action if action.isidentifier() else "",
            )
        return super().changelist_view(request, extra_context)

    def _audit_refused(self, request, obj, *, fields, reason, **extra):
        audit_record(
            action=AuditAction.ADMIN_REFUSED,
            obj=obj,
            object_type="" if obj is not None else self.model._meta.label_lower,
            details={"fields": fields, "reason": reason, **extra},
            request=request,
        )


def _message_fields(message) -> list[str]:
    if not isinstance(message, list):
        return []
    return [field for part in message for field in part.get("changed", {}).get("fields", [])]


def audit_every_admin(site) -> None:
    """Give every ModelAdmin registered on ``site`` the audit mixin (once).

    One hook instead of a line per admin: Django's user and group admins, django-q2's and
    django-axes' would otherwise write unrecorded.
    """
    # ``_registry`` is the only way to list a site's registrations (Django's own code reads it).
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, AuditedAdminMixin):
            continue
        cls = type(model_admin)
        audited = type(cls.__name__, (AuditedAdminMixin, cls), {"__module__": cls.__module__})
        site.unregister(model)
        site.register(model, audited)
