"""Personal API tokens and the idempotency keys of contacts created through the API.

A token acts as its user, with exactly the user's role and team (docs/api.md). Only a SHA-256
digest of the secret is stored: the secret has 256 bits of entropy, so a fast hash is enough
(a password hash's slowness protects guessable secrets, which these are not), and the lookup
prefix lets the server find the row without comparing against every token.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. “CRM sync”.")
    prefix = models.CharField(max_length=16, unique=True, help_text="Public part, for lookup.")
    key_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token.")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="apitoken_user_revoked")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ApiContactKey(models.Model):
    """The caller's ``external_id`` for a contact it created: a retried or concurrent identical
    post finds this row instead of storing a second contact. Unique per user (a token acts as
    its user, so all of one user's tokens share the namespace)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=200)
    # SHA-256 of the canonical request: the same key with a different body is a conflict.
    request_hash = models.CharField(max_length=64)
    # CASCADE: erasing a candidate deletes their contacts, and with them the keys.
    contact = models.ForeignKey(
        "followups.Contact", null=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "external_id"], name="apicontactkey_unique_user_external_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.external_id} → contact {self.contact_id}"
