"""Security issue #13, findings 1 and 2: an Admins-group member (staff, not a superuser) must not
run code through django-q2 schedules or take over a superuser, and every admin write — allowed
or refused — is in the audit log."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_q.models import Failure, OrmQ, Schedule
from django_q.tasks import async_task, schedule

from accounts.roles import ADMINS, RECRUITERS
from audit.admin_mixins import AuditedAdminMixin
from audit.models import AuditAction, AuditEvent
from hiring.apps import grant_admin_permissions
from tests.factories import UserFactory
from tests.integration.test_audit_log import _admin_form_data

PASSWORD = "correct horse battery staple"
EVIL = "os.system"


def _events(action, **filters):
    return list(AuditEvent.objects.filter(action=action, **filters))


def _schedule_form(func):
    return {
        "name": "pwn",
        "func": func,
        "args": "'id'",
        "kwargs": "",
        "schedule_type": Schedule.MINUTES,
        "minutes": "1",
        "repeats": "-1",
        "next_run_0": f"{timezone.now():%Y-%m-%d}",
        "next_run_1": f"{timezone.now():%H:%M:%S}",
        "cluster": "",
        "intended_date_kwarg": "",
        "hook": "",
    }


@pytest.fixture
def admin_client(client):
    """A member of the Admins group, staff, not a superuser: the role the issue is about."""
    user = UserFactory(admin=True)
    client.force_login(user)
    client.user = user
    return client


# --- Finding 1: schedules and tasks --------------------------------------------------------------


def test_an_admin_cannot_add_a_schedule_that_runs_a_shell_command(admin_client):
    response = admin_client.post(reverse("admin:django_q_schedule_add"), _schedule_form(EVIL))

    assert response.status_code == 403
    assert not Schedule.objects.filter(func=EVIL).exists()
    # The refused attempt is in the log, with who tried it.
    (denied,) = _events(AuditAction.ACCESS_DENIED, object_type="url:admin:django_q_schedule_add")
    assert denied.actor == admin_client.user


def test_an_admin_cannot_change_a_project_schedule_but_can_read_schedules_and_results(
    admin_client,
):
    sweeper = Schedule.objects.get(name="silence-test-sweeper")
    url = reverse("admin:django_q_schedule_change", args=[sweeper.pk])
    assert admin_client.post(url, _schedule_form(EVIL)).status_code == 403
    sweeper.refresh_from_db()
    assert sweeper.func == "silence.tasks.sweep_silence_tests"
    for name in ("schedule", "success", "failure"):
        assert admin_client.get(reverse(f"admin:django_q_{name}_changelist")).status_code == 200
    assert admin_client.get(url).status_code == 200


def test_the_admins_group_keeps_only_view_permissions_on_task_models_even_on_old_deployments():
    group = Group.objects.get(name=ADMINS)
    # What earlier versions granted: everything on django_q and axes, and group editing.
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label__in=["django_q", "axes"]),
        *Permission.objects.filter(content_type__app_label="auth", content_type__model="group"),
    )

    grant_admin_permissions(sender=None)

    codenames = set(group.permissions.values_list("content_type__app_label", "codename"))
    assert {c for app, c in codenames if app == "django_q"} == {
        "view_schedule",
        "view_success",
        "view_failure",
        "view_task",
        "view_ormq",
    }
    assert {c for app, c in codenames if app == "auth"} == {
        "add_user",
        "change_user",
        "delete_user",
        "view_user",
        "view_group",
    }
    # Unlocking a sign-in is deleting its access attempt: still possible.
    assert ("axes", "delete_accessattempt") in codenames
    assert ("axes", "add_accessattempt") not in codenames
    assert not {app for app, _ in codenames} & {"contenttypes", "admin", "sessions"}


def test_an_admin_cannot_resubmit_a_failed_task(admin_client):
    failure = Failure.objects.create(
        id="f" * 32,
        name="old",
        func="scoring.tasks.rescore_all",
        started=timezone.now(),
        stopped=timezone.now(),
        success=False,
    )
    response = admin_client.post(
        reverse("admin:django_q_failure_changelist"),
        {"action": "resubmit_task", "_selected_action": [failure.pk], "index": 0},
    )

    assert response.status_code in (200, 302)
    assert not OrmQ.objects.exists()
    assert Failure.objects.filter(pk=failure.pk).exists()
    (refused,) = _events(AuditAction.ADMIN_REFUSED)
    assert refused.details == {
        "fields": [],
        "reason": "action_not_allowed",
        "action": "resubmit_task",
    }


def test_a_schedule_naming_a_function_outside_the_allow_list_cannot_be_saved_by_any_path():
    with pytest.raises(ValidationError):
        Schedule.objects.create(name="pwn", func=EVIL, args="'id'")
    with pytest.raises(ValidationError):
        schedule(EVIL, "id")
    with pytest.raises(ValidationError):
        Schedule.objects.create(name="hooked", func="scoring.tasks.rescore_all", hook=EVIL)
    with pytest.raises(ValidationError):
        # The scheduler reads task options (a hook, a chain) from a schedule's kwargs.
        Schedule.objects.create(
            name="opts",
            func="scoring.tasks.rescore_all",
            kwargs="q_options={'hook': 'os.system'}",
        )
    assert not Schedule.objects.filter(name__in=["pwn", "hooked", "opts"]).exists()
    # The project's own tasks still schedule.
    Schedule.objects.create(name="ok", func="scoring.tasks.rescore_all")


def test_nothing_can_queue_a_function_outside_the_allow_list():
    with pytest.raises(ValidationError):
        async_task(EVIL, "id")
    with pytest.raises(ValidationError):
        async_task("scoring.tasks.rescore_all", hook=EVIL)
    with pytest.raises(ValidationError):
        async_task("scoring.tasks.rescore_all", chain=[(EVIL, ("id",), {})])
    assert not OrmQ.objects.exists()
    async_task("scoring.tasks.rescore_all")
    assert OrmQ.objects.count() == 1


def test_even_a_superuser_cannot_schedule_a_shell_command_in_the_admin_and_the_try_is_logged(
    client,
):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(reverse("admin:django_q_schedule_add"), _schedule_form(EVIL))

    assert response.status_code == 200
    assert "func" in response.context["adminform"].form.errors
    assert not Schedule.objects.filter(name="pwn").exists()
    (refused,) = _events(AuditAction.ADMIN_REFUSED, object_type="django_q.schedule")
    assert refused.details == {"fields": ["func"], "reason": "refused_by_rule"}


def test_a_superusers_schedule_for_a_project_task_is_saved_and_audited(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    form = _schedule_form("scoring.tasks.rescore_all")
    form["args"] = ""
    response = client.post(reverse("admin:django_q_schedule_add"), form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    created = Schedule.objects.get(name="pwn")
    (event,) = _events(AuditAction.ADMIN_CHANGED, object_type="django_q.schedule")
    assert event.object_id == str(created.pk)
    assert event.details["created"] is True


def test_the_migration_switches_off_schedules_created_before_the_allow_list():
    # bulk_create sends no pre_save: the row an attacker could have written before the fix.
    (legacy,) = Schedule.objects.bulk_create(
        [Schedule(name="legacy", func=EVIL, args="'id'", repeats=-1, next_run=timezone.now())]
    )
    migration = importlib.import_module("hiring.migrations.0009_disable_unlisted_schedules")

    migration.disable_unlisted(django_apps, None)

    legacy.refresh_from_db()
    assert legacy.repeats == 0  # the scheduler skips it
    assert set(Schedule.objects.exclude(repeats=0).values_list("func", flat=True)) <= {
        "silence.tasks.sweep_silence_tests",
        "followups.tasks.poll_imap",
        "followups.tasks.sweep_promises",
        "privacy.tasks.apply_retention_policy",
        "scoring.tasks.drain_stale_scores",
        "integrations.tasks.send_webhooks",
        "decisions.tasks.send_scheduled_emails",
    }


# --- Finding 2: superuser and staff accounts, group permissions ----------------------------------


@pytest.mark.parametrize("target_kind", ["superuser", "other admin"])
def test_an_admin_cannot_set_the_password_of_a_superuser_or_staff_account(
    admin_client, target_kind
):
    target = (
        UserFactory(is_staff=True, is_superuser=True)
        if target_kind == "superuser"
        else UserFactory(admin=True)
    )
    url = reverse("admin:auth_user_password_change", args=[target.pk])

    assert admin_client.get(url).status_code == 403
    response = admin_client.post(
        url,
        {"password1": "Taken-0ver-now", "password2": "Taken-0ver-now", "usable_password": "true"},
    )

    assert response.status_code == 403
    target.refresh_from_db()
    assert target.check_password(PASSWORD)
    assert _events(AuditAction.ACCESS_DENIED, object_type="url:admin:auth_user_password_change")


def test_an_admin_cannot_change_flags_or_roles_of_a_superuser_or_delete_one(admin_client):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    change = reverse("admin:auth_user_change", args=[superuser.pk])
    data = {
        "username": superuser.username,
        "email": superuser.email,
        "groups": [Group.objects.get(name=RECRUITERS).pk],
        "date_joined_0": f"{superuser.date_joined:%Y-%m-%d}",
        "date_joined_1": f"{superuser.date_joined:%H:%M:%S}",
    }  # no is_active, is_staff: unticked

    assert admin_client.post(change, data).status_code == 403
    delete = reverse("admin:auth_user_delete", args=[superuser.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403

    superuser.refresh_from_db()
    assert superuser.is_active
    assert superuser.is_staff
    assert superuser.is_superuser
    assert not superuser.groups.exists()
    assert len(_events(AuditAction.ACCESS_DENIED)) == 2


def test_an_admin_cannot_give_a_group_permissions(admin_client):
    admins = Group.objects.get(name=ADMINS)
    before = set(admins.permissions.values_list("pk", flat=True))
    url = reverse("admin:auth_group_change", args=[admins.pk])
    response = admin_client.post(
        url, {"name": ADMINS, "permissions": list(Permission.objects.values_list("pk", flat=True))}
    )

    assert response.status_code == 403
    assert set(admins.permissions.values_list("pk", flat=True)) == before
    assert admin_client.post(reverse("admin:auth_group_add"), {"name": "x"}).status_code == 403


def test_a_superuser_changing_a_groups_permissions_is_audited(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    recruiters = Group.objects.get(name=RECRUITERS)
    permission = Permission.objects.get(codename="view_schedule")
    response = client.post(
        reverse("admin:auth_group_change", args=[recruiters.pk]),
        {"name": RECRUITERS, "permissions": [permission.pk]},
    )

    assert response.status_code == 302
    (event,) = _events(AuditAction.ADMIN_CHANGED, object_type="auth.group")
    assert event.details == {"created": False, "fields": ["permissions"]}


def test_an_admin_manages_a_recruiters_account_and_the_password_change_is_audited_without_it(
    admin_client,
):
    recruiter = UserFactory(recruiter=True)
    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[recruiter.pk]),
        {"password1": "N3w-Passphrase!", "password2": "N3w-Passphrase!", "usable_password": "true"},
    )

    assert response.status_code == 302
    recruiter.refresh_from_db()
    assert recruiter.check_password("N3w-Passphrase!")
    (event,) = _events(AuditAction.ADMIN_CHANGED, object_type="auth.user")
    assert event.object_id == str(recruiter.pk)
    assert event.actor == admin_client.user
    assert event.details == {"created": False, "fields": ["password"]}
    assert "N3w" not in str(event.details)


def test_an_admin_cannot_make_a_recruiter_staff_or_an_admin_and_the_tries_are_logged(
    admin_client,
):
    recruiter = UserFactory(recruiter=True)
    url = reverse("admin:auth_user_change", args=[recruiter.pk])
    data = _admin_form_data(admin_client.get(url))
    data.update({"is_staff": "on", "is_superuser": "on"})
    data["groups"] = [Group.objects.get(name=ADMINS).pk]

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "groups" in response.context["adminform"].form.errors
    recruiter.refresh_from_db()
    assert not recruiter.is_staff
    assert not recruiter.is_superuser
    assert list(recruiter.groups.values_list("name", flat=True)) == [RECRUITERS]
    refusals = {e.details["reason"]: e.details for e in _events(AuditAction.ADMIN_REFUSED)}
    assert refusals["read_only_field_posted"]["fields"] == ["is_staff", "is_superuser"]
    assert refusals["refused_by_rule"]["fields"] == ["groups"]

    # The same form, with the allowed change only (another ordinary role), goes through.
    data = _admin_form_data(admin_client.get(url))
    data["groups"] = [Group.objects.get(name="Hiring managers").pk]
    assert admin_client.post(url, data).status_code == 302
    assert _events(AuditAction.ADMIN_CHANGED, object_id=str(recruiter.pk))


def test_every_admin_on_the_site_is_audited():
    unaudited = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, AuditedAdminMixin)
    ]
    assert unaudited == []


def test_deleting_a_lock_in_the_axes_admin_is_audited(admin_client):
    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.create(
        username="someone", ip_address="203.0.113.9", failures_since_start=5
    )
    response = admin_client.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert _events(AuditAction.ADMIN_DELETED, object_type="axes.accessattempt")
