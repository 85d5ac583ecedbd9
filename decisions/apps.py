from django.apps import AppConfig


class DecisionsConfig(AppConfig):
    """Deciding on candidates where the manager is: advance or reject from home and the board,
    bulk actions, and the kind, timely rejection emails that follow."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "decisions"
    verbose_name = "Decisions and candidate emails"

    def ready(self) -> None:
        # Imported here, not at the top: Django loads this module before any model exists.
        from candidates.page_cache import application_page_version_register
        from candidates.selectors import application_page_prefetch_register
        from candidates.views import application_page_section_register
        from decisions import sql, views
        from decisions.services import scheduled_emails_erase, scheduled_emails_export_section
        from privacy.services import erase_step_register, export_section_register

        # The application page (candidates, a layer below) shows the scheduled emails.
        application_page_prefetch_register(views.application_page_prefetches)
        application_page_section_register(views.application_page_section)
        application_page_version_register(sql.application_page_version_parts)
        # The emails carry the candidate's name: exported and erased with their data.
        export_section_register(scheduled_emails_export_section)
        erase_step_register(scheduled_emails_erase)
