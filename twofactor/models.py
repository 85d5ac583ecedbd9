"""Recovery codes for staff accounts, stored as hashes.

django-otp's own ``otp_static`` plugin stores its one-time tokens in plain text, so anyone who
can read the database (a backup, a read replica, a support dump) could use them to pass the
second factor of every admin. Here a code is kept only as the SHA-256 of its normalised form.

A fast hash is enough because the codes are not chosen by people: each is 12 characters from a
32-character alphabet (60 random bits), so there is no dictionary to try and reversing one
digest by brute force costs on the order of 2^59 hashes, for a code that is still useless
without the account's password. A slow password hash (PBKDF2) would instead cost a real
fraction of a second per stored code on every recovery sign-in.
"""

import hashlib
import re

from django.conf import settings
from django.db import models
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.plugins.otp_totp.models import TOTPDevice

#: Crockford's base-32 alphabet: no I, L, O or U, so a code read aloud or copied from paper
#: has no look-alike characters.
RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
RECOVERY_CODE_LENGTH = 12
RECOVERY_CODE_COUNT = 10
# What people type for the letters the alphabet leaves out (Crockford's decoding rules).
_LOOKALIKES = str.maketrans({"o": "0", "i": "1", "l": "1"})
_NOT_CODE = re.compile(r"[\s-]+")


def recovery_code_normalise(raw: str) -> str:
    """The canonical form of a typed code: lower case, without spaces or dashes."""
    return _NOT_CODE.sub("", raw or "").lower().translate(_LOOKALIKES)


def recovery_code_digest(raw: str) -> str:
    return hashlib.sha256(recovery_code_normalise(raw).encode()).hexdigest()


class RecoveryCodeDevice(TimestampMixin, ThrottlingMixin, Device):
    """A user's set of one-time recovery codes, as one django-otp device.

    Being a device means a recovery code verifies a session exactly as the authenticator app
    does (``django_otp.login``, ``user.is_verified()``), and wrong guesses are throttled the
    same way: each failure doubles the wait before the next attempt is even checked.
    """

    class Meta(Device.Meta):
        verbose_name = "recovery code set"

    def get_throttle_factor(self) -> int:
        return getattr(settings, "OTP_RECOVERY_THROTTLE_FACTOR", 1)

    def verify_token(self, token) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        digest = recovery_code_digest(str(token))
        # Deleting the matching row *is* the check: two requests racing with the same code
        # cannot both delete it, so a code works exactly once.
        used, _ = self.codes.filter(digest=digest).delete()
        if used:
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save()
        else:
            self.throttle_increment(commit=True)
        return bool(used)


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64, help_text="SHA-256 of the normalised code (hex).")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "digest"], name="recovery_code_unique")
        ]

    def __str__(self):
        return f"Recovery code #{self.pk}"


class StaffAuthenticator(TOTPDevice):
    """django-otp's authenticator device under the name the admin shows (a proxy: same table)."""

    class Meta:
        proxy = True
        verbose_name = "two-step sign-in"
        verbose_name_plural = "two-step sign-in"
