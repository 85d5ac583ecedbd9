from adminsortable2.admin import SortableAdminBase, SortableTabularInline
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils import timezone
from django.utils.html import format_html_join
from django_q import admin as django_q_admin
from django_q.models import Failure, Schedule, Success
from django_q.tasks import async_task

from accounts.roles import can_grant_permissions, can_grant_role, can_manage_account
from audit.admin_mixins import AuditedAdminMixin
from audit.services import REFUSED_CODE
from hiring.calendars import subdivision_choices
from hiring.closures import (
    DeadlineMove,
    closure_countries,
    closure_delete,
    closure_save,
    closures_preview,
    company_calendar,
    company_calendar_with,
)
from hiring.forms import (
    CountryField,
    HumanReviewStageForm,
    ScorecardTraitInlineFormSet,
    StageInlineFormSet,
    TimeZoneField,
    hiring_manager_choices,
    recruiter_choices,
)
from hiring.models import (
    SCORECARD_SLOTS,
    Closure,
    Pipeline,
    Requisition,
    ScorecardTrait,
    SilenceDigest,
    SilenceTest,
    Stage,
    StageKind,
    UserProfile,
    validate_recruiters,
)
from hiring.schedules import TASK_FUNCS, schedule_check, task_func_check
from hiring.selectors import stage_reorder_warning, stages_in_use
from hiring.services import scorecard_traits_default_create, silence_sentence_previews
from hiring.validators import supported_countries
from hiring.wording import day_and_time, spoken_zone, window_end


class StageInline(SortableTabularInline):
    """The pipeline's stages in order: drag a row (or use its first/last buttons) to move it.
    The positions are renumbered on save; ``stage_unique_order`` is checked at commit, so a
    swap never trips over itself."""

    model = Stage
    formset = StageInlineFormSet
    extra = 1
    ordering = ["order"]
    fields = ["name", "kind", "stuck_after_days"]

    class Media:
        js = ["js/sortable-keyboard.js"]


class ScorecardTraitInline(admin.TabularInline):
    """What this pipeline's scorecards rate: up to five named traits, each stored in one of the
    scorecard's rating slots. Renaming a trait relabels the ratings already given in its slot;
    a disabled trait is no longer asked for and its slot counts in no average."""

    model = ScorecardTrait
    formset = ScorecardTraitInlineFormSet
    extra = 0
    max_num = len(SCORECARD_SLOTS)
    ordering = ["order", "slot"]
    fields = ["slot", "label", "help_text", "enabled", "order"]
    verbose_name = "scorecard trait"


@admin.register(Pipeline)
class PipelineAdmin(SortableAdminBase, admin.ModelAdmin):
    list_display = ["name", "stage_count"]
    search_fields = ["name"]
    inlines = [StageInline, ScorecardTraitInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        scorecard_traits_default_create(pipeline=form.instance)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_stage_count=Count("stages"))

    @admin.display(description="Stages", ordering="_stage_count")
    def stage_count(self, obj):
        return obj._stage_count

    def save_formset(self, request, form, formset, change):
        reordered = [
            f.instance
            for f in formset.initial_forms
            if "order" in f.changed_data and not f.cleaned_data.get("DELETE")
        ]
        super().save_formset(request, form, formset, change)
        if formset.model is Stage:
            _warn_reordered(request, reordered)


def _warn_reordered(request, stages) -> None:
    """Reordering stages in use rewrites how history reads (issue #15, defect 5): say so."""
    usage = stages_in_use([stage.pk for stage in stages])
    for stage in stages:
        if usage.get(stage.pk):
            messages.warning(request, stage_reorder_warning(stage.name, usage[stage.pk]))


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    form = HumanReviewStageForm  # no automatic rejection where a human must decide (GDPR Art. 22)
    list_display = ["name", "pipeline", "order", "kind", "stuck_after_days"]
    list_filter = ["pipeline", "kind"]
    # Not the order: reordering is the pipeline page's drag and drop, which sees every stage.
    list_editable = ["stuck_after_days"]
    list_select_related = ["pipeline"]
    ordering = ["pipeline", "order"]
    readonly_fields = ["silence_sentence_preview"]
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
                    "silence_sentence_preview",
                ],
                "description": "Deadline = the first such weekday and time in the requisition's "
                "zone at least the lead time after the announcement (moved to the previous "
                "business day when it falls on a public or regional holiday or a company "
                "closure day).",
            },
        ),
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        used = stages_in_use([obj.pk]).get(obj.pk) if obj is not None else None
        if used and "order" in form.base_fields:
            # Said before saving, next to the field: the form class is built per request.
            form.base_fields["order"].help_text = stage_reorder_warning(obj.name, used)
        return form

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "order" in form.changed_data:
            _warn_reordered(request, [obj])

    @admin.display(description="Said now, the candidate hears")
    def silence_sentence_preview(self, obj):
        if obj is None or obj.pk is None or obj.kind != StageKind.SILENCE_TEST:
            return "— (shown for a saved silence-test stage)"
        previews = silence_sentence_previews(stage=obj, now=timezone.now())
        if not previews:
            return "No open requisition uses this pipeline yet."
        return format_html_join(
            "",
            "<div>{}: “{}; if you haven't, reach out.”</div>",
            ((title, sentence) for title, sentence in previews),
        )


class RequisitionAdminForm(forms.ModelForm):
    """The subdivision picker offers the requisition's country's known subdivisions only (all
    countries', grouped, before a country is saved); the model's ``clean`` checks the pair."""

    subdivision = forms.ChoiceField(required=False, label="State / region")
    time_zone = TimeZoneField()
    country = CountryField()

    class Meta:
        model = Requisition
        fields = [
            "title",
            "pipeline",
            "hiring_manager",
            "recruiters",
            "time_zone",
            "country",
            "subdivision",
            "status",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Pickers offer only the people who may hold the place (accounts.roles); the model's
        # clean and validate_recruiters refuse anyone else whatever is posted.
        if "hiring_manager" in self.fields:
            self.fields["hiring_manager"].queryset = hiring_manager_choices()
        if "recruiters" in self.fields:
            self.fields["recruiters"].queryset = recruiter_choices()
        country = (self.data.get("country") if self.is_bound else None) or self.instance.country
        country = str(country or "").strip().upper()
        field = self.fields["subdivision"]
        field.help_text = Requisition._meta.get_field("subdivision").help_text
        if country:
            field.choices = [("", "— none —"), *subdivision_choices(str(country))]
        else:
            field.choices = [("", "— none —")] + [
                (code, choices)
                for code in sorted(supported_countries())
                if (choices := subdivision_choices(code))
            ]

    def clean_recruiters(self):
        recruiters = self.cleaned_data["recruiters"]
        validate_recruiters(recruiters)
        return recruiters


@admin.register(Requisition)
class RequisitionAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = RequisitionAdminForm
    list_display = [
        "title",
        "hiring_manager",
        "pipeline",
        "time_zone",
        "country",
        "subdivision",
        "status",
    ]
    list_filter = ["status", "pipeline", "country"]
    list_select_related = ["hiring_manager", "pipeline"]
    search_fields = ["title"]
    filter_horizontal = ["recruiters"]

    def audit_details(self, obj):
        # Who may see the requisition's candidates after the change: an access grant.
        return {
            "hiring_manager": obj.hiring_manager_id,
            "recruiters": sorted(obj.recruiters.values_list("pk", flat=True)),
        }


def _moves_text(moves: list[DeadlineMove]) -> list[str]:
    """One line per test, saying only what the edit changes: a closure inside the observation
    window moves its close and leaves the deadline the candidate was told alone."""
    lines = []
    for m in moves:
        changes = []
        if m.new_deadline_at != m.old_deadline_at:
            changes.append(
                f"deadline {day_and_time(m.old_deadline_at, m.time_zone)} → "
                f"{day_and_time(m.new_deadline_at, m.time_zone)}"
            )
        if m.new_window_closes_at != m.old_window_closes_at:
            changes.append(
                f"window closes {window_end(m.old_window_closes_at, m.time_zone)} → "
                f"{window_end(m.new_window_closes_at, m.time_zone)}"
            )
        line = (
            f"{m.candidate_name} for {m.requisition_title} (application #{m.application_id}): "
            f"{'; '.join(changes)} ({spoken_zone(m.time_zone)})"
        )
        if not m.applies:
            line += " — not moved: the new deadline has already passed"
        lines.append(line)
    return lines


class ClosureAdminForm(forms.ModelForm):
    """ "Preview" validates the edit and lists the waiting tests it would move, saving nothing."""

    request = None  # set by ClosureAdmin.get_form
    #: Set by a valid "Preview" post: (summary, lines), rendered by the change form template.
    preview = None

    class Meta:
        model = Closure
        fields = [
            "label",
            "kind",
            "country",
            "start",
            "end",
            "month",
            "day",
            "weekday",
            "nth",
            "offset_days",
        ]

    def _post_clean(self):
        super()._post_clean()
        if self.errors or self.request is None or "_preview" not in self.request.POST:
            return
        now = timezone.now()
        stored = Closure.objects.filter(pk=self.instance.pk).first() if self.instance.pk else None
        moves = closures_preview(
            before=company_calendar(),
            after=company_calendar_with(closure=self.instance),
            now=now,
            countries=closure_countries(stored, self.instance),
        )
        self.preview = (
            f"Preview only, nothing was saved: {sum(m.applies for m in moves)} waiting "
            "test(s) would move. Save to apply.",
            _moves_text(moves) or ["No waiting test would move."],
        )

    def is_valid(self):
        # A preview is not an error (no red banner), but the admin must not save it: it
        # re-renders an unsaved form, as it does for an invalid one, with the preview shown.
        return super().is_valid() and self.preview is None


@admin.register(Closure)
class ClosureAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """The company calendar. Saving or deleting goes through ``hiring.closures`` services, which
    move the waiting tests the edit affects (with history); "Preview" shows them first."""

    form = ClosureAdminForm
    change_form_template = "admin/hiring/closure/change_form.html"
    list_display = ["label", "kind", "start", "end", "month", "day", "nth", "weekday", "country"]
    list_filter = ["kind", "country"]
    search_fields = ["label"]
    readonly_fields = ["waiting_tests_it_moves"]
    fieldsets = [
        (None, {"fields": ["label", "kind", "country"]}),
        ("On a date, or a range (once)", {"fields": [("start", "end")]}),
        ("Every year", {"fields": [("month", "day")]}),
        ("Every year on the nth weekday", {"fields": [("weekday", "nth", "offset_days")]}),
        (None, {"fields": ["waiting_tests_it_moves"]}),
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"request": request})

    @admin.display(description="Waiting tests it moves now (would move back if deleted)")
    def waiting_tests_it_moves(self, obj):
        if obj is None or obj.pk is None:
            return "— (use “Preview” to see the tests a new closure would move)"
        moves = closures_preview(
            before=company_calendar_with(without=obj),
            after=company_calendar(),
            now=timezone.now(),
            countries=closure_countries(obj),
        )
        if not moves:
            return "None."
        return format_html_join("", "<div>{}</div>", ((line,) for line in _moves_text(moves)))

    def save_model(self, request, obj, form, change):
        moves = closure_save(closure=obj, now=timezone.now(), actor=request.user)
        self._report(request, moves)

    def delete_model(self, request, obj):
        self._report(request, closure_delete(closure=obj, now=timezone.now(), actor=request.user))

    def delete_queryset(self, request, queryset):
        # The service per closure (not self.delete_model: the audit mixin would record each
        # deletion twice; its own delete_queryset has recorded them already).
        for closure in queryset:
            self._report(
                request, closure_delete(closure=closure, now=timezone.now(), actor=request.user)
            )

    def _report(self, request, moves):
        applied = [m for m in moves if m.applies]
        messages.info(request, f"{len(applied)} waiting silence test(s) moved.")
        for line in _moves_text(moves):
            messages.info(request, line)


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
admin.site.unregister(Group)


@admin.register(User)
class PersistUserAdmin(AuditedAdminMixin, UserAdmin):
    """Admins (the group) manage the accounts of the people who use the app, with the rules in
    ``accounts.roles``: only a superuser touches a privileged account (superuser, staff, Admins;
    its change, password and delete pages answer 403), grants superuser or staff status or
    single permissions, or adds and removes the Admins role. Otherwise any admin could raise
    themselves above their role, or take over a superuser by setting its password."""

    SUPERUSER_ONLY_FIELDS = ("is_superuser", "is_staff", "user_permissions")

    def has_change_permission(self, request, obj=None):
        # Also guards the password page, which asks this about its target.
        return super().has_change_permission(request, obj) and (
            obj is None or can_manage_account(request.user, obj)
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or can_manage_account(request.user, obj)
        )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not can_grant_permissions(request.user):
            fields += [f for f in self.SUPERUSER_ONLY_FIELDS if f not in fields]
        return fields

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "groups" not in form.base_fields:
            return form
        actor = request.user

        class RoleCheckedForm(form):
            def clean_groups(self):
                groups = self.cleaned_data["groups"]
                before = set()
                if self.instance.pk:
                    before = set(self.instance.groups.values_list("name", flat=True))
                changed = before ^ {group.name for group in groups}
                refused = sorted(name for name in changed if not can_grant_role(actor, name))
                if refused:
                    raise ValidationError(
                        "Only a superuser can grant or remove these roles: %(roles)s.",
                        code=REFUSED_CODE,
                        params={"roles": ", ".join(refused)},
                    )
                return groups

        return RoleCheckedForm


@admin.register(Group)
class PersistGroupAdmin(AuditedAdminMixin, GroupAdmin):
    """A group's permissions are what its role may do: only a superuser changes them (the Admins
    group's own are set by ``hiring.apps.ADMIN_GROUP_PERMISSIONS`` on every migrate)."""

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not can_grant_permissions(request.user) and "permissions" not in fields:
            fields.append("permissions")
        return fields


# --- django-q2: schedules name only the project's tasks; results are read-only -----------------


class ScheduleForm(forms.ModelForm):
    def _post_clean(self):
        super()._post_clean()
        try:
            # The same check as the pre_save guard, as a form error instead of a 500.
            schedule_check(self.instance)
        except ValidationError as error:
            self._update_errors(error)


admin.site.unregister(Schedule)


@admin.register(Schedule)
class PersistScheduleAdmin(AuditedAdminMixin, django_q_admin.ScheduleAdmin):
    """Admins see schedules (view permission only); a superuser may edit them, choosing the
    function from ``TASK_FUNCS``."""

    form = ScheduleForm

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "func":
            kwargs["help_text"] = "One of: " + ", ".join(sorted(TASK_FUNCS))
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.action(description="Resubmit selected tasks to queue", permissions=["change"])
def resubmit_allowed_tasks(model_admin, request, queryset):
    """django-q2's resubmit action, offered to any viewer, re-queues a stored ``func``: here it
    needs the change permission (superusers) and skips what the allow-list refuses."""
    refused = 0
    for task in queryset:
        try:
            task_func_check(task.func, hook=task.hook)
        except ValidationError:
            refused += 1
            continue
        async_task(
            task.func,
            *task.args or (),
            group=task.group,
            cluster=task.cluster,
            **task.kwargs or {},
        )
        if isinstance(model_admin, django_q_admin.FailAdmin):
            task.delete()
    if refused:
        messages.error(request, f"{refused} task(s) name a function that may not run.")


admin.site.unregister(Success)
admin.site.unregister(Failure)


@admin.register(Success)
class PersistSuccessAdmin(AuditedAdminMixin, django_q_admin.TaskAdmin):
    actions = [resubmit_allowed_tasks]


@admin.register(Failure)
class PersistFailureAdmin(AuditedAdminMixin, django_q_admin.FailAdmin):
    actions = [resubmit_allowed_tasks]
