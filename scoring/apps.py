from django.apps import AppConfig


class ScoringConfig(AppConfig):
    """Persistence scores, weights, ranking and overrides. The models stay in
    ``followups.models``."""

    name = "scoring"
    verbose_name = "Scoring and ranking"

    def ready(self) -> None:
        # Imported here, not at the top: Django loads this module before any model exists.
        from candidates.freshness import stale_scores_drain_register
        from candidates.page_cache import application_page_version_register
        from candidates.views import application_page_section_register
        from scoring import sql, views
        from scoring.scores import stale_scores_after_commit

        # Dependency inversion: the apps below mark scores stale in their transactions
        # (candidates.freshness); this app, above them, recomputes after the commit.
        stale_scores_drain_register(stale_scores_after_commit)
        application_page_section_register(views.application_page_section)
        application_page_version_register(sql.application_page_version_parts)
