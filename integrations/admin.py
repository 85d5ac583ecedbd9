"""Endpoints and the delivery log. Writes go through ``integrations.services``; the audit mixin
(``audit.admin_mixins``) records form saves, and the actions record themselves."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils import timezone

from audit.services import AuditAction, audit_record
from integrations import services, signing
from integrations.models import EVENT_CHOICES, Delivery, DeliveryState, Endpoint


class EndpointForm(forms.ModelForm):
    url = forms.URLField(label="URL", max_length=2000, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=EVENT_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="For webhooks: the events it receives. Slack and Teams endpoints receive their "
        "requisition's silence-test digest.",
    )

    class Meta:
        model = Endpoint
        fields = ["name", "kind", "url", "events", "requisition", "active"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            cleaned["events"] = services.endpoint_check(
                kind=cleaned.get("kind"),
                url=cleaned.get("url") or "",
                event_names=cleaned.get("events"),
                requisition=cleaned.get("requisition"),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return cleaned


def _secret_page(request, endpoint, secret):
    # Rendered in the response itself, never put in a message: Django's message storage may
    # keep it in a cookie.
    return TemplateResponse(
        request,
        "admin/integrations/endpoint_secret.html",
        {"endpoint": endpoint, "secret": secret, "title": f"Signing secret of {endpoint.name}"},
    )


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ["name", "kind", "url", "requisition", "active", "failing_since"]
    list_filter = ["kind", "active"]
    readonly_fields = ["secret_shown", "failing_since", "disabled_at", "disabled_reason"]
    raw_id_fields = ["requisition"]
    actions = ["rotate_secret", "enable"]

    @admin.display(description="signing secret")
    def secret_shown(self, obj):
        return signing.secret_masked(obj.secret) if obj else ""

    def save_model(self, request, obj, form, change):
        if change:
            services.endpoint_update(endpoint=obj, event_names=form.cleaned_data["events"])
            return
        created = services.endpoint_create(
            name=obj.name,
            kind=obj.kind,
            url=obj.url,
            event_names=form.cleaned_data["events"],
            requisition=obj.requisition,
            actor=request.user,
        )
        # The admin goes on with ``obj`` (log entry, audit, response): make it the saved row.
        obj.pk, obj.secret, obj.events = created.pk, created.secret, created.events
        obj._state.adding = False

    def response_add(self, request, obj, post_url_continue=None):
        return _secret_page(request, obj, obj.secret)

    @admin.action(description="Rotate the signing secret (shows the new one once)")
    def rotate_secret(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Rotate one endpoint at a time.", messages.ERROR)
            return None
        endpoint = queryset.get()
        with transaction.atomic():
            secret = services.endpoint_secret_rotate(endpoint=endpoint)
            audit_record(
                action=AuditAction.ADMIN_CHANGED,
                obj=endpoint,
                details={"fields": ["secret"], "action": "rotate_secret"},
                request=request,
            )
        return _secret_page(request, endpoint, secret)

    @admin.action(description="Enable (again) and send what is pending")
    def enable(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        with transaction.atomic():
            count = services.endpoints_enable(endpoint_ids=ids, now=timezone.now())
            for endpoint in queryset:
                audit_record(
                    action=AuditAction.ADMIN_CHANGED,
                    obj=endpoint,
                    details={"fields": ["active"], "action": "enable"},
                    request=request,
                )
        self.message_user(request, f"{count} endpoint(s) enabled.")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The delivery log: written by the sender only, read here; redeliver and cancel are the
    two things an admin does with it."""

    list_display = [
        "id",
        "event",
        "endpoint",
        "state",
        "attempts",
        "last_status",
        "last_error",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["state", "event", "endpoint"]
    list_select_related = ["endpoint"]
    search_fields = ["message_id"]
    actions = ["redeliver", "cancel"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_resend_permission(self, request):
        # The admin group's change permission, though the rows themselves are read-only.
        return request.user.has_perm("integrations.change_delivery")

    def _audited(self, request, queryset, name):
        for delivery in queryset:
            audit_record(
                action=AuditAction.ADMIN_CHANGED,
                obj=delivery,
                details={"fields": ["state"], "action": name, "endpoint": delivery.endpoint_id},
                request=request,
            )

    @admin.action(description="Redeliver (same webhook-id, now)", permissions=["resend"])
    def redeliver(self, request, queryset):
        with transaction.atomic():
            self._audited(request, queryset, "redeliver")
            count = services.deliveries_redeliver(
                delivery_ids=queryset.values_list("pk", flat=True), now=timezone.now()
            )
        self.message_user(request, f"{count} delivery(ies) queued again.")

    @admin.action(description="Cancel (stop retrying)", permissions=["resend"])
    def cancel(self, request, queryset):
        with transaction.atomic():
            self._audited(request, queryset.filter(state=DeliveryState.PENDING), "cancel")
            count = services.deliveries_cancel(delivery_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} delivery(ies) cancelled.")
