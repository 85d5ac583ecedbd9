from django.apps import AppConfig


class CandidatesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "candidates"
    verbose_name = "Candidates and applications"

    def ready(self) -> None:
        # Imported here, not at the top: Django loads this module before any model exists.
        from candidates.selectors import stage_usage_counts
        from hiring.selectors import stage_usage_register

        # The stage admin (hiring, a layer below) warns before reordering stages in use.
        stage_usage_register(stage_usage_counts)
