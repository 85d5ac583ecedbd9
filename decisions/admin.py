from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from audit.admin_mixins import AuditedAdminMixin
from decisions.models import EmailTemplate, ScheduledEmail
from decisions.services import email_template_save
from decisions.wording import PLACEHOLDERS, SAMPLE_VALUES, subject_render, text_render

PLACEHOLDER_HELP = "Placeholders: " + ", ".join(
    f"{{{name}}} ({meaning})" for name, meaning in PLACEHOLDERS.items()
)


@admin.register(EmailTemplate)
class EmailTemplateAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """The emails candidates get after a decision, per pipeline. Its own admin (not a stage
    inline): the text is admin-written, the preview fills in sample values."""

    list_display = ["pipeline", "kind", "subject", "send_delay", "cancel_minutes"]
    list_filter = ["pipeline", "kind"]
    list_select_related = ["pipeline"]
    readonly_fields = ["preview"]
    fieldsets = [
        (None, {"fields": ["pipeline", "kind", "company"]}),
        ("Text", {"fields": ["subject", "body"], "description": PLACEHOLDER_HELP}),
        ("When it goes", {"fields": ["send_delay", "cancel_minutes", "morning_hour"]}),
        ("Preview (saved text, sample values)", {"fields": ["preview"]}),
    ]

    def save_model(self, request, obj, form, change):
        email_template_save(template=obj)

    @admin.display(description="Preview")
    def preview(self, obj):
        if obj is None or not obj.pk:
            return "Save the template to see it with sample values."
        values = {**SAMPLE_VALUES, "company": obj.company or SAMPLE_VALUES["company"]}
        # Every line escaped by format_html: the preview shows the plain-text email as text.
        lines = text_render(obj.body, values).split("\n")
        body = format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))
        return format_html(
            '<div class="email-preview"><p><strong>{}</strong></p><p>{}</p></div>',
            subject_render(obj.subject, values),
            body,
        )


@admin.register(ScheduledEmail)
class ScheduledEmailAdmin(admin.ModelAdmin):
    """Read-only: an email is scheduled and cancelled from the application, never here."""

    list_display = ["application", "kind", "status", "send_at", "finished_at"]
    list_filter = ["status", "kind"]
    date_hierarchy = "send_at"
    readonly_fields = [f.name for f in ScheduledEmail._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
