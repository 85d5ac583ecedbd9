from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """Outbound webhooks (signed, retried, in order per application) and the Slack / Teams
    digest. Sits above scoring and silence, whose events it receives through
    ``hiring.events`` (they may not import it), and above privacy, whose erasure it joins."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"
    verbose_name = "Integrations: outbound webhooks"

    def ready(self) -> None:
        # Imported here, not at the top: Django loads this module before any model exists.
        from hiring.events import event_handler_register
        from integrations.services import deliveries_erase, events_record
        from privacy.services import erase_step_register

        event_handler_register(events_record)
        erase_step_register(deliveries_erase)
