"""The second sign-in step for staff: enrolling an authenticator app, checking its codes and the
recovery codes, and resetting both. Every change is audited in the same transaction."""

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import FROM_REQUEST, AuditAction, audit_record
from twofactor.models import (
    RECOVERY_ALPHABET,
    RECOVERY_CODE_COUNT,
    RECOVERY_CODE_LENGTH,
    RecoveryCode,
    RecoveryCodeDevice,
    recovery_code_digest,
)

User = get_user_model()

TOTP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
TOTP = "totp"
RECOVERY = "recovery_code"


@dataclass(frozen=True)
class CodeCheck:
    """What became of one typed code. ``device`` is set when it was accepted; ``locked_until``
    when earlier wrong codes mean this one was not even compared; ``retry_at`` when it was
    wrong and the next attempt must wait."""

    device: TOTPDevice | RecoveryCodeDevice | None = None
    kind: str = TOTP
    locked_until: datetime | None = None
    retry_at: datetime | None = None
    recovery_codes: tuple[str, ...] = ()
    recovery_codes_left: int | None = None

    @property
    def ok(self) -> bool:
        return self.device is not None


def _code_kind(token: str) -> str:
    # Six digits are an authenticator code; anything else can only be a recovery code. Routing
    # by shape means a mistyped recovery code does not count against the authenticator app's
    # throttle, and the other way round.
    compact = "".join(token.split())
    return TOTP if compact.isdigit() and len(compact) <= 8 else RECOVERY


def _locked_until(device) -> datetime | None:
    allowed, info = device.verify_is_allowed()
    return None if allowed else (info or {}).get("locked_until")


def _audit(action, *, user, actor=FROM_REQUEST, details=None) -> None:
    audit_record(action=action, actor=actor, obj=user, details=details)


def totp_enrolment_start(*, user) -> TOTPDevice:
    """The unconfirmed authenticator being set up. The same secret is returned until it is
    confirmed, so reloading the page never invalidates a QR code that was already scanned."""
    with transaction.atomic():
        # The user row serialises two tabs opening the page at once: one pending device.
        User.objects.select_for_update().filter(pk=user.pk).first()
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def has_confirmed_totp(*, user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_enrolment_confirm(*, user, token: str) -> CodeCheck:
    """Confirm the pending authenticator with a code it generated; on success the user also
    gets a fresh set of recovery codes (returned in plain text, this once only)."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("pk")
            .first()
        )
        if device is None:
            return CodeCheck()
        locked = _locked_until(device)
        if locked is not None or not device.verify_token("".join(token.split())):
            _audit(
                AuditAction.SECOND_FACTOR_FAILED,
                user=user,
                details={"second_factor": TOTP, "enrolment": True, "throttled": bool(locked)},
            )
            return CodeCheck(locked_until=locked, retry_at=locked or _locked_until(device))
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        _audit(AuditAction.SECOND_FACTOR_ENROLLED, user=user, details={"second_factor": TOTP})
        codes = recovery_codes_generate(user=user)
    return CodeCheck(device=device, recovery_codes=tuple(codes))


def recovery_code_new() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, RECOVERY_CODE_LENGTH, 4))


def recovery_codes_generate(*, user) -> list[str]:
    """Replace the user's recovery codes with RECOVERY_CODE_COUNT new ones. Only their hashes
    are stored; the plain codes are returned to be shown once."""
    codes = [recovery_code_new() for _ in range(RECOVERY_CODE_COUNT)]
    with transaction.atomic():
        device, _ = RecoveryCodeDevice.objects.select_for_update().get_or_create(
            user=user, defaults={"name": RECOVERY_DEVICE_NAME, "confirmed": True}
        )
        device.codes.all().delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(device=device, digest=recovery_code_digest(code)) for code in codes
        )
        _audit(AuditAction.RECOVERY_CODES_GENERATED, user=user, details={"count": len(codes)})
    return codes


def recovery_codes_left(*, user) -> int:
    return RecoveryCode.objects.filter(device__user=user, device__confirmed=True).count()


def second_factor_verify(*, user, token: str) -> CodeCheck:
    """Check a code typed after the password: a six-digit authenticator code or a recovery code
    (which is then used up). Wrong codes are throttled per device by django-otp: each failure
    doubles the wait (OTP_TOTP_THROTTLE_FACTOR / OTP_RECOVERY_THROTTLE_FACTOR seconds, then 2x,
    4x …) before another code is even compared."""
    token = (token or "").strip()
    kind = _code_kind(token)
    model = TOTPDevice if kind == TOTP else RecoveryCodeDevice
    with transaction.atomic():
        # Row lock: concurrent guesses are checked one at a time, so the throttle counts them
        # all and a code (or a TOTP time step) cannot be accepted twice.
        device = (
            model.objects.select_for_update()
            .filter(user=user, confirmed=True)
            .order_by("pk")
            .first()
        )
        if device is None:
            _audit(
                AuditAction.SECOND_FACTOR_FAILED,
                user=user,
                details={"second_factor": kind, "no_device": True},
            )
            return CodeCheck(kind=kind)
        locked = _locked_until(device)
        if locked is None and device.verify_token("".join(token.split())):
            left = recovery_codes_left(user=user) if kind == RECOVERY else None
            details = {"second_factor": kind}
            if left is not None:
                details["recovery_codes_left"] = left
            _audit(AuditAction.SECOND_FACTOR_PASSED, user=user, details=details)
            return CodeCheck(device=device, kind=kind, recovery_codes_left=left)
        _audit(
            AuditAction.SECOND_FACTOR_FAILED,
            user=user,
            details={
                "second_factor": kind,
                "throttled": locked is not None,
                "failures": device.throttling_failure_count,
            },
        )
        return CodeCheck(kind=kind, locked_until=locked, retry_at=locked or _locked_until(device))


def second_factor_reset(*, user, actor=FROM_REQUEST) -> int:
    """Remove the user's authenticator and recovery codes (a lost phone). Their current
    sessions stop counting as verified at once, and their next page is the enrolment page.
    Returns the number of devices removed."""
    with transaction.atomic():
        removed, _ = TOTPDevice.objects.filter(user=user).delete()
        _, deleted = RecoveryCodeDevice.objects.filter(user=user).delete()
        if not (removed or deleted):
            return 0
        _audit(
            AuditAction.SECOND_FACTOR_RESET,
            user=user,
            actor=actor,
            details={
                "authenticators": removed,
                "recovery_codes": deleted.get(RecoveryCode._meta.label, 0),
            },
        )
    return removed
