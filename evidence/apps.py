from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "evidence"
    verbose_name = "Evidence: bias audit and predictive validity"

    def ready(self) -> None:
        # Evidence sits above privacy and scoring; their export, erasure and weights page take
        # its parts through one explicit hook each (they may not import this app).
        from evidence.backtest import backtest_draft_weights
        from evidence.services import evidence_erase, self_id_export_section
        from privacy.services import erase_step_register, export_section_register
        from scoring.views import weights_draft_check_register

        export_section_register(self_id_export_section)
        erase_step_register(evidence_erase)
        weights_draft_check_register(backtest_draft_weights)
