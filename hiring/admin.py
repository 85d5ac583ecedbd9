from django.contrib import admin

from hiring.models import Pipeline, Requisition, Stage, UserProfile


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


@admin.register(Requisition)
class RequisitionAdmin(admin.ModelAdmin):
    list_display = ["title", "hiring_manager", "pipeline", "time_zone", "country", "status"]
    list_filter = ["status", "pipeline", "country"]
    list_select_related = ["hiring_manager", "pipeline"]
    search_fields = ["title"]
    filter_horizontal = ["recruiters"]
    autocomplete_fields = ["hiring_manager"]


@admin.register(UserProfile)
class UserProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "time_zone"]
    search_fields = ["user__username", "user__email"]
