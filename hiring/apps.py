from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_save

from accounts.roles import ADMINS

#: What the Admins group may do in the Django admin, by app label (or "app.model"): a tuple of
#: permission actions ("add", "change", "delete", "view"). The group's permissions are SET to
#: exactly this on every ``migrate``, so a permission removed here is also taken away from
#: existing deployments.
#:
#: Not listed, so superuser-only: auth.permission, contenttypes, admin.logentry, sessions (each
#: lets an admin rewrite who may do what, or forge/erase history).
ALL = ("add", "change", "delete", "view")
ADMIN_GROUP_PERMISSIONS = {
    "hiring": ALL,
    "candidates": ALL,
    "followups": ALL,
    # The retention policy (the erasure records' admin is read-only whatever the permission).
    "privacy": ALL,
    # Post-hire outcomes, and the one permission on self-identification: seeing the aggregates
    # (evidence.view_bias_audit); individual answers have no permission to grant.
    "evidence": ALL,
    # Outbound webhook endpoints and their delivery log (the log is read-only whatever this says).
    "integrations": ALL,
    # Email templates per pipeline; scheduled emails are seen, cancelled only from the app.
    "decisions.emailtemplate": ALL,
    "decisions.scheduledemail": ("view",),
    # Accounts: the user admin refuses superuser, staff and Admins accounts to non-superusers
    # (accounts.roles.can_manage_account).
    "auth.user": ALL,
    # Changing a group's permissions would give the Admins group everything: read-only.
    "auth.group": ("view",),
    # django-q2 imports and runs a schedule's ``func``: read-only, never add or change.
    "django_q": ("view",),
    # Lifting a lock is deleting its access attempt; adding one would lock a colleague out.
    "axes": ("view",),
    "axes.accessattempt": ("view", "delete"),
}


def admin_group_permissions(permission_model, using="default"):
    """The permissions ``ADMIN_GROUP_PERMISSIONS`` describes (the most specific entry wins)."""
    rows = permission_model.objects.using(using).filter(
        content_type__app_label__in={key.split(".")[0] for key in ADMIN_GROUP_PERMISSIONS}
    )
    wanted = []
    for pk, codename, app_label, model in rows.values_list(
        "pk", "codename", "content_type__app_label", "content_type__model"
    ):
        actions = ADMIN_GROUP_PERMISSIONS.get(
            f"{app_label}.{model}", ADMIN_GROUP_PERMISSIONS.get(app_label, ())
        )
        if actions is ALL or codename.split("_", 1)[0] in actions:
            wanted.append(pk)
    return wanted


def grant_admin_permissions(sender, using="default", **kwargs):
    """Set the Admins group's permissions to ``ADMIN_GROUP_PERMISSIONS``.

    Permissions only exist after ``post_migrate`` has created them, so this runs there (and is
    idempotent) rather than in the data migration that creates the groups. ``set`` rather than
    ``add``: earlier versions granted every django_q and axes permission and group changes, which
    a deployment's existing group still holds until this removes them.
    """
    # Django's auth models exist only once the app registry is ready, after this module loads.
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.using(using).filter(name=ADMINS).first()
    if group is None:
        return
    group.permissions.set(admin_group_permissions(Permission, using))


class HiringConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "hiring"
    verbose_name = "Hiring: pipelines, stages and requisitions"

    def ready(self) -> None:
        # Imported here, not at the top: Django loads this module before any model exists.
        from django_q.models import Schedule
        from django_q.signals import pre_enqueue

        from hiring.schedules import enqueue_guard, schedule_guard

        post_migrate.connect(grant_admin_permissions, dispatch_uid="hiring.grant_admin_permissions")
        # Only the project's own tasks may be scheduled or queued (hiring.schedules.TASK_FUNCS).
        pre_save.connect(schedule_guard, sender=Schedule, dispatch_uid="hiring.schedule_guard")
        pre_enqueue.connect(enqueue_guard, dispatch_uid="hiring.enqueue_guard")
