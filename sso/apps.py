from django.apps import AppConfig


class SsoConfig(AppConfig):
    """Optional single sign-on through an OpenID Connect provider (mozilla-django-oidc).

    It only signs people in: who they are in Persist (their roles, teams and second factor) is
    decided here, never by the identity provider.
    """

    name = "sso"
    verbose_name = "Single sign-on"
