"""Whether single sign-on is configured, and what the sign-in page calls the provider."""

from django.conf import settings

# mozilla-django-oidc refuses to start a sign-in without these; all of them or none.
REQUIRED_SETTINGS = (
    "OIDC_RP_CLIENT_ID",
    "OIDC_RP_CLIENT_SECRET",
    "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT",
    "OIDC_OP_USER_ENDPOINT",
    "OIDC_OP_JWKS_ENDPOINT",
)


def sso_enabled() -> bool:
    return all(getattr(settings, name, "") for name in REQUIRED_SETTINGS)


def sso_provider_name() -> str:
    return getattr(settings, "OIDC_PROVIDER_NAME", "") or "single sign-on"
