"""Normalisation of candidate identifiers. Pure functions: no ORM, no clock."""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

#: What the database accepts (the candidate_phone_e164 check): ITU-T E.164, 7 to 15 digits.
E164_REGEX = r"^\+[1-9][0-9]{6,14}$"


def normalize_email(value: str) -> str:
    """Lower-case and trim an address, refusing anything that is not one address."""
    address = (value or "").strip().lower()
    try:
        validate_email(address)
    except ValidationError as exc:
        raise ValidationError(
            "%(value)s is not a valid email address.", code="invalid_email", params={"value": value}
        ) from exc
    return address


def normalize_phone(value: str, *, region: str | None = None) -> str:
    """Return the E.164 form of a phone number, parsed with ``region`` as the default country."""
    raw = (value or "").strip()
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            "%(value)s is not a phone number we can read (%(reason)s). Include the country code, "
            "e.g. +1 415 555 0100.",
            code="invalid_phone",
            params={"value": value, "reason": str(exc.args[0]) if exc.args else "unparseable"},
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            "%(value)s is not a valid phone number for its country.",
            code="invalid_phone",
            params={"value": value},
        )
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    # libphonenumber accepts some numbers that E.164 (and so the database) does not.
    if not re.fullmatch(E164_REGEX, e164):
        raise ValidationError(
            "%(value)s is not a valid phone number for its country.",
            code="invalid_phone",
            params={"value": value},
        )
    return e164


def format_phone(e164: str) -> str:
    """Human-readable international form of a stored E.164 number."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
