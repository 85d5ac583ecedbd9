from django.apps import AppConfig


class DevdataConfig(AppConfig):
    """Development data: the demo seed (``seed_demo``) and the benchmark seed (``seed_scale``).

    An app only so that Django finds its management commands; it has no models. The product apps
    never import it (tests/unit/test_devdata_boundary.py), so it can be left out of
    INSTALLED_APPS without breaking anything but those two commands.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "devdata"
    verbose_name = "Development data: demo and scale seeds"
