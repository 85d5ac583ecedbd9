from django.apps import AppConfig
from django.db.models.signals import post_migrate

#: Apps whose models the Admins group manages in the Django admin.
# privacy: the retention policy; axes: unlocking a locked-out sign-in.
ADMIN_MANAGED_APPS = ("hiring", "candidates", "followups", "privacy", "axes", "django_q")
ADMIN_MANAGED_AUTH_MODELS = ("user", "group")


def grant_admin_permissions(sender, using="default", **kwargs):
    """Give the Admins group every permission on the app's models.

    Permissions only exist after ``post_migrate`` has created them, so this runs there (and is
    idempotent) rather than in the data migration that creates the groups.
    """
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    from hiring.roles import ADMINS

    group = Group.objects.using(using).filter(name=ADMINS).first()
    if group is None:
        return
    permissions = Permission.objects.using(using).filter(
        Q(content_type__app_label__in=ADMIN_MANAGED_APPS)
        | Q(content_type__app_label="auth", content_type__model__in=ADMIN_MANAGED_AUTH_MODELS)
    )
    group.permissions.add(*permissions)


class HiringConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "hiring"
    verbose_name = "Hiring: pipelines, stages and requisitions"

    def ready(self) -> None:
        post_migrate.connect(grant_admin_permissions, dispatch_uid="hiring.grant_admin_permissions")
