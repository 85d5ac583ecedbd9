"""Sign-in through the OpenID Connect provider: the provider vouches for an email address,
Persist finds the one active account with that address. Nobody is created and no role is
granted here: an admin adds the person and their roles in Persist first (issue #17)."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from sso.config import sso_enabled

logger = logging.getLogger(__name__)

# What the sign-in page tells a person the provider vouched for but Persist did not let in.
NO_ACCOUNT = (
    "Your identity provider signed you in, but no active Persist account has that email "
    "address. Ask a Persist admin to add you."
)
UNVERIFIED_EMAIL = "Your identity provider has not verified your email address."
AMBIGUOUS = "More than one Persist account has that email address. Ask a Persist admin."
EMAIL_MAX = 254


def _note_failure(request, reason: str) -> None:
    # The callback view shows it; the audit log's failed-sign-in event records it
    # (audit.signals reads ``request.login_failure_reason``).
    if request is not None:
        request.login_failure_reason = reason


class PersistOIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, matching accounts by verified email only."""

    def __init__(self, *args, **kwargs):
        # Listed in AUTHENTICATION_BACKENDS always, so that switching SSO on is configuration
        # only; unconfigured it must neither fail (the base class raises) nor sign anyone in.
        self.enabled = sso_enabled()
        if self.enabled:
            super().__init__(*args, **kwargs)
        else:
            self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        if not self.enabled:
            return None
        return super().authenticate(request, **kwargs)

    def verify_claims(self, claims) -> bool:
        email = claims.get("email")
        if not isinstance(email, str) or not email or len(email) > EMAIL_MAX:
            _note_failure(self.request, NO_ACCOUNT)
            return False
        # An unverified address is whatever someone typed at the provider: matching on it
        # would let anyone who can register there claim a Persist account.
        if settings.OIDC_REQUIRE_VERIFIED_EMAIL and claims.get("email_verified") is not True:
            _note_failure(self.request, UNVERIFIED_EMAIL)
            return False
        return True

    def filter_users_by_claims(self, claims):
        users = self.UserModel.objects.filter(email__iexact=claims["email"], is_active=True)
        return users

    def get_or_create_user(self, access_token, id_token, payload):
        try:
            user = super().get_or_create_user(access_token, id_token, payload)
        except SuspiciousOperation as exc:
            if str(exc) == "Multiple users returned":
                _note_failure(self.request, AMBIGUOUS)
            raise
        if user is None:
            _note_failure(self.request, NO_ACCOUNT)
        return user

    def create_user(self, claims):  # pragma: no cover - OIDC_CREATE_USER is always False
        raise SuspiciousOperation("Persist does not create accounts from single sign-on")
