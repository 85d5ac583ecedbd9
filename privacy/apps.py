from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "privacy"
    verbose_name = "Personal data (GDPR)"

    def ready(self) -> None:
        # The CVs on applications join the export and the erasure through the same hooks as
        # every other app's data (retention erases through the erasure, so them too).
        from candidates.selectors import cv_export_section
        from candidates.services import application_cvs_erase
        from privacy.services import erase_step_register, export_section_register

        export_section_register(cv_export_section)
        erase_step_register(application_cvs_erase)
