from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "REST API"

    def ready(self):
        # The settings page (hiring, a lower layer) shows the API-token section through its hook.
        from api import schema, token_views
        from hiring.views import profile_section_register

        profile_section_register(token_views.profile_section)
        assert schema  # imported for its drf-spectacular extensions
