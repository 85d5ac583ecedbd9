from django.contrib import admin
from django.db import models

from audit.admin_mixins import AuditedAdminMixin
from candidates.models import (
    Application,
    Candidate,
    CandidateEmail,
    CandidatePhone,
    InterviewRound,
    Scorecard,
    StageTransition,
)
from candidates.services import application_create
from hiring import policy


class CandidateEmailInline(admin.TabularInline):
    model = CandidateEmail
    extra = 0


class CandidatePhoneInline(admin.TabularInline):
    model = CandidatePhone
    extra = 0


@admin.register(Candidate)
class CandidateAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["full_name", "time_zone", "created_at"]
    search_fields = ["first_name", "last_name", "emails__address", "phones__number"]
    inlines = [CandidateEmailInline, CandidatePhoneInline]
    # Same scheme as the candidate form (and Django 6's default) for a typed "linkedin.com/in/…".
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_delete_permission(self, request, obj=None):
        # A plain delete would leave the candidate's raw emails, call-log rows and task records
        # behind; "Erase…" on the application page (privacy app) removes them everywhere.
        return False


class StageTransitionInline(admin.TabularInline):
    model = StageTransition
    fk_name = "application"
    extra = 0
    can_delete = False
    readonly_fields = ["from_stage", "to_stage", "actor", "reason", "at"]

    def has_add_permission(self, request, obj=None):
        # History is written by the stage-move service only, never typed in.
        return False


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["candidate", "requisition", "stage", "stage_entered_at"]
    list_filter = ["requisition", "stage__kind"]
    list_select_related = ["candidate", "requisition", "stage"]
    search_fields = ["candidate__first_name", "candidate__last_name", "requisition__title"]
    raw_id_fields = ["candidate"]
    inlines = [StageTransitionInline]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["stage_entered_at"]
        # The stage only changes through the application page, which writes the audit trail
        # and applies the stage rule; the requisition fixes which stages are possible.
        return ["candidate", "requisition", "stage", "stage_entered_at"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            return form

        class ApplicationAddForm(form):
            def clean(self):
                cleaned = super().clean()
                requisition, stage = cleaned.get("requisition"), cleaned.get("stage")
                if requisition and stage:
                    if stage.pipeline_id != requisition.pipeline_id:
                        self.add_error(
                            "stage", "This stage is not part of the requisition's pipeline."
                        )
                    elif not policy.may_set_stage(request.user, requisition, stage):
                        self.add_error(
                            "stage", f"Only the hiring manager can put a candidate in “{stage}”."
                        )
                return cleaned

        return ApplicationAddForm

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        # Created by the service, as everywhere else: the stage rule, the first history entry.
        created = application_create(
            candidate=obj.candidate,
            requisition=obj.requisition,
            actor=request.user,
            stage=obj.stage,
            source=obj.source,
        )
        obj.pk, obj.stage_entered_at = created.pk, created.stage_entered_at
        obj.created_at, obj.updated_at = created.created_at, created.updated_at
        obj._state.adding = False


class ScorecardInline(admin.StackedInline):
    model = Scorecard
    extra = 0


@admin.register(InterviewRound)
class InterviewRoundAdmin(admin.ModelAdmin):
    list_display = ["__str__", "application", "scheduled_at"]
    list_select_related = ["application__candidate", "application__requisition"]
    raw_id_fields = ["application"]
    inlines = [ScorecardInline]
