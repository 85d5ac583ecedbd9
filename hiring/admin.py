from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from audit.admin_mixins import AuditedAdminMixin
from hiring.models import (
    Pipeline,
    Requisition,
    SilenceDigest,
    SilenceTest,
    Stage,
    UserProfile,
)


class StageInline(admin.TabularInline):
    model = Stage
    extra = 1
    ordering = ["order"]
    fields = ["order", "name", "kind", "stuck_after_days"]


@admin.register(Pipeline)
class PipelineAdmin(admin.ModelAdmin):
    list_display = ["name", "stage_count"]
    search_fields = ["name"]
    inlines = [StageInline]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(_stage_count=Count("stages"))

    @admin.display(description="Stages", ordering="_stage_count")
    def stage_count(self, obj):
        return obj._stage_count


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ["name", "pipeline", "order", "kind", "stuck_after_days"]
    list_filter = ["pipeline", "kind"]
    list_editable = ["order", "stuck_after_days"]
    list_select_related = ["pipeline"]
    ordering = ["pipeline", "order"]
    fieldsets = [
        (None, {"fields": ["pipeline", "name", "order", "kind", "stuck_after_days"]}),
        (
            "Silence test (used when the kind is “Silence test”)",
            {
                "fields": [
                    ("silence_weekday", "silence_local_time"),
                    "silence_lead_hours",
                    "silence_window_business_days",
                    "silence_action",
                    "silence_show_candidate_zone",
                ],
                "description": "Deadline = the first such weekday and time in the requisition's "
                "zone at least the lead time after the announcement (moved to the previous "
                "business day when it falls on a public holiday).",
            },
        ),
    ]


@admin.register(Requisition)
class RequisitionAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["title", "hiring_manager", "pipeline", "time_zone", "country", "status"]
    list_filter = ["status", "pipeline", "country"]
    list_select_related = ["hiring_manager", "pipeline"]
    search_fields = ["title"]
    filter_horizontal = ["recruiters"]
    autocomplete_fields = ["hiring_manager"]

    def audit_details(self, obj):
        # Who may see the requisition's candidates after the change: an access grant.
        return {
            "hiring_manager": obj.hiring_manager_id,
            "recruiters": sorted(obj.recruiters.values_list("pk", flat=True)),
        }


@admin.register(UserProfile)
class UserProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "time_zone"]
    search_fields = ["user__username", "user__email"]


@admin.register(SilenceTest)
class SilenceTestAdmin(admin.ModelAdmin):
    """Read-only: tests change through the announce action and the sweeper only."""

    list_display = ["application", "state", "outcome", "deadline_at", "window_closes_at"]
    list_filter = ["state", "outcome", "application__requisition"]
    list_select_related = ["application__candidate", "application__requisition"]
    date_hierarchy = "deadline_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SilenceDigest)
class SilenceDigestAdmin(admin.ModelAdmin):
    list_display = [
        "requisition",
        "window_closes_at",
        "queued_at",
        "sent_at",
        "recipient",
        "failure",
    ]
    list_select_related = ["requisition"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class PersistUserAdmin(UserAdmin):
    """Admins (the group) manage users and their roles, but only a superuser may make or unmake
    superusers or hand out single permissions: otherwise any admin could raise themselves above
    their role with one tick box."""

    SUPERUSER_ONLY_FIELDS = ("is_superuser", "user_permissions")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += [f for f in self.SUPERUSER_ONLY_FIELDS if f not in fields]
        return fields
