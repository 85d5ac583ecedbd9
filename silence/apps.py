from django.apps import AppConfig


class SilenceConfig(AppConfig):
    """Silence tests: announcements, the sweeper, digests and the silence board. The models
    stay in ``hiring.models`` (moving them would only rename tables)."""

    name = "silence"
    verbose_name = "Silence tests"
