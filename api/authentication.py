"""Who is calling: a personal token (``Authorization: Bearer pst_…``) or the browser session.

Either way the request then runs as that user, and every permission rule is the pages' own
(``visible_to``, ``hiring.policy``, …): the API has no rules of its own.
"""

import hmac

from django.utils import timezone
from rest_framework import authentication, exceptions

from accounts.roles import is_active_user, requires_second_factor
from api.models import ApiToken
from api.services import TOKEN_PREFIX, api_token_touch, token_digest

#: Longest header value considered; anything longer is not one of our tokens.
MAX_TOKEN_LENGTH = 200


class PersonalTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request)
        if not header:
            return None
        parts = header.split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2 or len(parts[1]) > MAX_TOKEN_LENGTH:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.")
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.") from None
        return self._check(raw)

    def _check(self, raw: str):
        prefix = raw[len(TOKEN_PREFIX) :].split("_", 1)[0] if raw.startswith(TOKEN_PREFIX) else ""
        token = (
            ApiToken.objects.select_related("user").filter(prefix=prefix).first()
            if prefix
            else None
        )
        # Constant-time comparison of the digests; the same answer for every kind of failure.
        if (
            token is None
            or not hmac.compare_digest(token.key_hash, token_digest(raw))
            or not token.is_active
            or not is_active_user(token.user)
        ):
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        api_token_touch(token=token, now=timezone.now())
        return token.user, token

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


class VerifiedSessionAuthentication(authentication.SessionAuthentication):
    """The signed-in browser session (the browsable API and the docs), with DRF's CSRF check
    on every unsafe method. An account that needs the second sign-in step gets nothing until
    its session has passed it, as on the pages (``twofactor.middleware``)."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, _ = result
        if requires_second_factor(user) and not user.is_verified():
            raise exceptions.AuthenticationFailed(
                "Finish two-step sign-in first, or use a personal API token."
            )
        return result
