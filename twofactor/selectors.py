from dataclasses import dataclass
from datetime import datetime

from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.roles import requires_second_factor
from twofactor.models import RECOVERY_CODE_COUNT
from twofactor.services import recovery_codes_left


@dataclass(frozen=True)
class SecondFactorStatus:
    enrolled_at: datetime | None
    last_used_at: datetime | None
    recovery_codes_left: int
    recovery_codes_total: int = RECOVERY_CODE_COUNT

    @property
    def recovery_codes_low(self) -> bool:
        return self.recovery_codes_left <= 3


def second_factor_status(*, user) -> SecondFactorStatus | None:
    """For the settings page: None for accounts that sign in with a password alone."""
    if not requires_second_factor(user):
        return None
    device = (
        TOTPDevice.objects.filter(user=user, confirmed=True)
        .only("created_at", "last_used_at")
        .first()
    )
    return SecondFactorStatus(
        enrolled_at=device.created_at if device else None,
        last_used_at=device.last_used_at if device else None,
        recovery_codes_left=recovery_codes_left(user=user),
    )
