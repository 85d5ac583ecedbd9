from django.apps import AppConfig


class AuditConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "audit"
    verbose_name = "Audit log"

    def ready(self):
        from django.contrib import admin

        # Login, role and lockout events arrive as signals from Django and django-axes.
        from audit import signals  # noqa: F401
        from audit.admin_mixins import audit_every_admin

        # django.contrib.admin is installed first, so its ready() has already imported every
        # app's admin module: all registrations are in place.
        audit_every_admin(admin.site)
