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
    # The stage only changes through the application page, which writes the audit trail.
    readonly_fields = ["stage", "stage_entered_at"]
    raw_id_fields = ["candidate"]
    inlines = [StageTransitionInline]


class ScorecardInline(admin.StackedInline):
    model = Scorecard
    extra = 0


@admin.register(InterviewRound)
class InterviewRoundAdmin(admin.ModelAdmin):
    list_display = ["__str__", "application", "scheduled_at"]
    list_select_related = ["application__candidate", "application__requisition"]
    raw_id_fields = ["application"]
    inlines = [ScorecardInline]
