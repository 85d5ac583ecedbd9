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


def phone_search_prefix(value: str, *, region: str | None = None) -> str | None:
    """The E.164 start of a phone number, or of its first digits, as typed into a search.

    A whole number reads exactly as ``normalize_phone`` reads it on the add-candidate form (the
    same ``region`` default). Its first digits in national format (``070-123`` in Sweden) drop
    the country's trunk prefix and gain its calling code (``+4670123``), so they match the
    stored E.164 numbers by prefix. ``None`` when the text cannot start a number of ``region``.
    """
    raw = (value or "").strip()
    try:
        return normalize_phone(raw, region=region)
    except ValidationError:
        pass
    digits = re.sub(r"\D", "", raw)
    if not digits:
        return None
    if raw.startswith("+"):
        return f"+{digits}"
    metadata = phonenumbers.PhoneMetadata.metadata_for_region((region or "").upper())
    if metadata is None:
        return None
    international = metadata.international_prefix or ""
    if international.isdigit() and digits.startswith(international):
        return f"+{digits[len(international) :]}"
    trunk = metadata.national_prefix or ""
    if trunk and digits.startswith(trunk):
        digits = digits[len(trunk) :]
    return f"+{metadata.country_code}{digits}" if digits else None


def format_phone(e164: str) -> str:
    """Human-readable international form of a stored E.164 number."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
