from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "followups"
    verbose_name = "Follow-ups: contacts and persistence signals"

    def ready(self) -> None:
        from followups import signals
        from followups.webhooks import connect_signals

        connect_signals()
        signals.connect()
