"""Validators shared by models and forms. Pure: no ORM."""

import zoneinfo
from functools import cache

import holidays
import phonenumbers
from django.core.exceptions import ValidationError
from django_countries import countries

#: Names the system zoneinfo database may carry that are not IANA zones: "localtime" is whatever
#: the server happens to be set to, so deadlines would depend on the machine.
NOT_IANA_ZONES = frozenset({"localtime", "posixrules", "Factory"})


#: The years a contact or an announcement can have happened in. A year outside them is a typo:
#: year 1 overflows every time-zone conversion downstream (a 500), and no rep calls in 2999.
PLAUSIBLE_YEARS = range(2000, 2100)


def validate_plausible_instant(value) -> None:
    """Refuse an instant outside ``PLAUSIBLE_YEARS`` (forms and the API call this)."""
    if value is not None and value.year not in PLAUSIBLE_YEARS:
        raise ValidationError(
            f"Give a date between {PLAUSIBLE_YEARS.start} and {PLAUSIBLE_YEARS.stop - 1}.",
            code="implausible_date",
        )


@cache
def available_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) - NOT_IANA_ZONES


def validate_time_zone(value: str) -> None:
    if value not in available_time_zones():
        raise ValidationError(
            "%(value)s is not an IANA time zone (for example Europe/Berlin or America/New_York).",
            code="invalid_time_zone",
            params={"value": value},
        )


@cache
def supported_countries() -> frozenset[str]:
    return frozenset(holidays.list_supported_countries())


def validate_country(value: str) -> None:
    # The country drives both the public-holiday calendar and the default phone region, so it
    # must be known to both libraries.
    if value not in supported_countries() or value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(
            "%(value)s is not a supported ISO 3166 country code (for example US, DE or AU).",
            code="invalid_country",
            params={"value": value},
        )


def time_zone_choices() -> list[tuple[str, str]]:
    return [(tz, tz) for tz in sorted(available_time_zones())]


@cache
def country_choices() -> tuple[tuple[str, str], ...]:
    """Every country ``validate_country`` accepts, as ``(code, "Sweden (SE)")`` by name."""
    usable = supported_countries() & frozenset(phonenumbers.SUPPORTED_REGIONS)
    named = ((code, f"{countries.name(code) or code} ({code})") for code in usable)
    return tuple(sorted(named, key=lambda choice: choice[1]))
