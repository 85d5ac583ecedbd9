"""The test client the suite signs in with.

Admins, superusers and staff must pass the second sign-in step (twofactor app) before any page
opens. Most tests are about something else, so ``force_login`` here does what an admin does
after typing their authenticator code: their session is verified by a confirmed device. Tests
of the step itself use ``force_login(user, second_factor=False)`` to get the state right after
the password.
"""

import django.test
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.roles import requires_second_factor


def authenticator_for(user) -> TOTPDevice:
    """The user's confirmed authenticator, enrolled now if they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Test authenticator", confirmed=True)
    return device


def totp_code(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    """The code the user's phone shows now (or ``offset_steps`` time steps later), computed
    from the device's key as an authenticator app does."""
    code = totp(device.bin_key, device.step, device.t0, device.digits, offset_steps)
    return f"{code:0{device.digits}d}"


def second_factor_pass(client: django.test.Client, user) -> TOTPDevice:
    """Give ``client``'s session the verification a correct authenticator code would."""
    device = authenticator_for(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


class Client(django.test.Client):
    def force_login(self, user, backend=None, *, second_factor: bool = True):
        super().force_login(user, backend)
        if second_factor and requires_second_factor(user):
            second_factor_pass(self, user)
