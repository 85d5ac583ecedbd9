from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "followups"
    verbose_name = "Follow-ups: contacts and persistence signals"

    def ready(self) -> None:
        # Imported here, not at the top: Django loads this module before any model exists.
        from candidates.page_cache import application_page_version_register
        from candidates.selectors import application_page_prefetch_register
        from candidates.views import application_page_section_register
        from followups import sql, views
        from followups.webhooks import connect_signals

        connect_signals()
        # The application page (candidates, a layer below) shows this app's timeline and forms.
        application_page_prefetch_register(views.application_page_prefetches)
        application_page_section_register(views.application_page_section)
        application_page_version_register(sql.application_page_version_parts)
