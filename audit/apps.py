from django.apps import AppConfig


class AuditConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "audit"
    verbose_name = "Audit log"

    def ready(self):
        # Login, role and lockout events arrive as signals from Django and django-axes.
        from audit import signals  # noqa: F401
