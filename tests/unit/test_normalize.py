"""Pure tests of identifier normalisation and the shared validators (no database)."""

import re

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from hypothesis import example, given, settings
from hypothesis import strategies as st

from candidates.models import E164_REGEX
from candidates.normalize import format_phone, normalize_email, normalize_phone
from hiring.validators import (
    time_zone_choices,
    validate_country,
    validate_time_zone,
)

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
#: The database column is ``CharField(max_length=16)`` with the E.164 check constraint.
PHONE_COLUMN_MAX_LENGTH = 16


def messages_of(excinfo) -> str:
    return " ".join(excinfo.value.messages)


# --- email ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ann@example.com", "ann@example.com"),
        ("Ann.Smith@Example.COM", "ann.smith@example.com"),
        ("  ann@example.com  ", "ann@example.com"),
        ("\tANN+jobs@Mail.Example\n", "ann+jobs@mail.example"),
    ],
)
def test_email_is_lower_cased_and_trimmed(raw, expected):
    assert normalize_email(raw) == expected


def test_emails_differing_only_in_case_and_whitespace_normalise_to_the_same_address():
    assert normalize_email(" Ann@Example.com") == normalize_email("ann@EXAMPLE.COM ")


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "not-an-email",
        "ann@",
        "@example.com",
        "ann@@example.com",
        "ann smith@example.com",
        "ann@example.com, bob@example.com",
        "Ann Smith <ann@example.com>",
    ],
)
def test_invalid_email_is_refused_with_a_message_naming_the_value(raw):
    with pytest.raises(ValidationError) as excinfo:
        normalize_email(raw)
    assert excinfo.value.code == "invalid_email"
    assert f"{raw} is not a valid email address." in messages_of(excinfo)


def test_missing_email_is_refused_rather_than_crashing():
    with pytest.raises(ValidationError):
        normalize_email(None)


# --- phone ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        # United States, national formats
        ("(415) 555-0100", "US", "+14155550100"),
        ("415.555.0100", "US", "+14155550100"),
        ("1 415 555 0100", "US", "+14155550100"),
        # Germany: Berlin landline and a mobile, with the trunk prefix 0
        ("030 901820", "DE", "+4930901820"),
        ("0151 23456789", "DE", "+4915123456789"),
        # Australia: Sydney landline and a mobile
        ("(02) 9374 4000", "AU", "+61293744000"),
        ("0412 345 678", "AU", "+61412345678"),
    ],
)
def test_national_number_is_normalised_to_e164_with_the_default_region(raw, region, expected):
    assert normalize_phone(raw, region=region) == expected


@pytest.mark.parametrize(
    "raw", ["+1 415 555 0100", "+1 (415) 555-0100", "  +14155550100  ", "001 415 555 0100"]
)
def test_international_number_keeps_its_own_country_whatever_the_default_region(raw):
    region = None if raw.strip().startswith("+") else "DE"  # 00 is Germany's exit code
    assert normalize_phone(raw, region=region) == "+14155550100"


def test_explicit_country_code_wins_over_the_default_region():
    assert normalize_phone("+49 30 901820", region="US") == "+4930901820"


def test_same_digits_mean_different_numbers_in_different_default_regions():
    assert normalize_phone("0412 345 678", region="AU") == "+61412345678"
    with pytest.raises(ValidationError):
        normalize_phone("0412 345 678", region="US")


def test_national_number_without_a_default_region_asks_for_the_country_code():
    with pytest.raises(ValidationError) as excinfo:
        normalize_phone("415 555 0100")
    assert excinfo.value.code == "invalid_phone"
    message = messages_of(excinfo)
    assert "415 555 0100 is not a phone number we can read" in message
    assert "Include the country code" in message


def test_unreadable_phone_message_gives_the_parser_reason_not_an_error_number():
    with pytest.raises(ValidationError) as excinfo:
        normalize_phone("call me maybe", region="US")
    message = messages_of(excinfo)
    assert "call me maybe is not a phone number we can read" in message
    assert "did not seem to be a phone number" in message
    assert "(1)" not in message


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("+1 415 555 010", None),  # one digit short
        ("123", "DE"),
        ("(555) 555-55555", "US"),
        ("+1 000 555 0100", None),  # no such area code
    ],
)
def test_number_that_parses_but_is_not_valid_for_its_country_is_refused(raw, region):
    with pytest.raises(ValidationError) as excinfo:
        normalize_phone(raw, region=region)
    assert excinfo.value.code == "invalid_phone"
    message = messages_of(excinfo)
    assert raw in message
    assert "is not a valid phone number" in message or "is not a phone number" in message


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_empty_phone_is_refused(raw):
    with pytest.raises(ValidationError):
        normalize_phone(raw, region="US")


def test_stored_number_is_displayed_in_international_format():
    assert format_phone("+14155550100") == "+1 415-555-0100"
    assert format_phone("+4930901820") == "+49 30 901820"


def test_unparseable_stored_number_is_displayed_as_is():
    assert format_phone("garbage") == "garbage"


def test_e164_pattern_used_by_the_tests_is_the_one_the_database_enforces():
    assert E164.pattern == E164_REGEX


# These numbers are "valid" for phonenumbers but do not fit E.164 (at most 15 digits, at least
# 7 here) nor the 16-character column: normalize_phone must refuse them rather than hand the
# database a value its check constraint rejects.
OUT_OF_RANGE_VALID_NUMBERS = [
    ("030 123456000000", "DE"),  # 16 digits in E.164
    ("+49 30 1234560000000", None),  # 17 digits
    ("+98 9601", None),  # Iranian short number, 6 digits
]


@pytest.mark.parametrize(("raw", "region"), OUT_OF_RANGE_VALID_NUMBERS)
def test_normalised_phone_always_fits_the_e164_column_or_is_refused(raw, region):
    try:
        normalized = normalize_phone(raw, region=region)
    except ValidationError:
        return
    assert E164.match(normalized), f"{raw!r} normalised to {normalized!r}, not storable"
    assert len(normalized) <= PHONE_COLUMN_MAX_LENGTH


def _example_numbers():
    types = [
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.TOLL_FREE,
    ]
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for number_type in types:
            number = phonenumbers.example_number_for_type(region, number_type)
            if number is not None:
                yield region, number


def test_every_regions_example_numbers_in_national_format_normalise_to_e164():
    checked = 0
    for region, number in _example_numbers():
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        expected = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        assert normalize_phone(national, region=region) == expected, (region, national)
        checked += 1
    assert checked > 400


# --- property tests ------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(address=st.emails())
def test_normalize_email_is_idempotent_and_lower_case_for_every_address_it_accepts(address):
    try:
        once = normalize_email(address)
    except ValidationError:
        return
    assert normalize_email(once) == once
    assert once == once.strip().lower()
    assert normalize_email(f"  {address.upper()} ") == once


@settings(max_examples=400, deadline=None)
@given(
    region=st.sampled_from(["US", "DE", "AU", "GB", "FR", "IR", "NG", "JP", None]),
    digits=st.text(alphabet="0123456789", min_size=3, max_size=18),
    international=st.booleans(),
)
@example(region="DE", digits="030123456000000", international=False)
@example(region=None, digits="4930123456000000", international=True)
@example(region=None, digits="989601", international=True)
def test_normalize_phone_output_always_matches_the_e164_constraint(region, digits, international):
    raw = f"+{digits}" if international or region is None else digits
    try:
        normalized = normalize_phone(raw, region=region)
    except ValidationError:
        return
    assert E164.match(normalized), f"{raw!r} ({region}) normalised to {normalized!r}"
    assert len(normalized) <= PHONE_COLUMN_MAX_LENGTH
    assert normalize_phone(normalized) == normalized


# --- time zone -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "UTC",
        "Europe/Berlin",
        "America/New_York",
        "Australia/Sydney",
        "America/Argentina/Buenos_Aires",
        "Europe/Kyiv",
        # Legacy names still shipped in the IANA database (backward file / rule-based zones).
        "EST5EDT",
        "US/Eastern",
        "Asia/Calcutta",
    ],
)
def test_iana_time_zone_is_accepted(value):
    validate_time_zone(value)


@pytest.mark.parametrize(
    "value",
    [
        "Mars/Olympus",
        "",
        "europe/berlin",  # case matters: zone keys are case-sensitive
        "Europe/Berlin ",
        "CEST",
        "GMT+2",
        "+02:00",
        "Europe",
        "../etc/passwd",
    ],
)
def test_unknown_time_zone_is_refused_with_a_message_naming_it(value):
    with pytest.raises(ValidationError) as excinfo:
        validate_time_zone(value)
    assert excinfo.value.code == "invalid_time_zone"
    assert f"{value} is not an IANA time zone" in messages_of(excinfo)


@pytest.mark.parametrize("value", ["localtime", "posixrules", "posix/UTC", "right/UTC"])
def test_host_specific_zoneinfo_files_are_not_accepted_as_iana_time_zones(value):
    # "localtime" is a link to the server's /etc/localtime on Debian-like systems: a requisition
    # using it would compute deadlines in whatever zone each worker machine happens to be in.
    with pytest.raises(ValidationError):
        validate_time_zone(value)


def test_time_zone_choices_are_sorted_valid_pairs():
    choices = time_zone_choices()
    keys = [key for key, _label in choices]
    assert keys == sorted(keys)
    assert all(key == label for key, label in choices)
    assert "Europe/Berlin" in keys
    assert "Mars/Olympus" not in keys


# --- country -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["US", "DE", "AU", "GB", "FR", "CA", "NZ"])
def test_supported_country_is_accepted(value):
    validate_country(value)


@pytest.mark.parametrize(
    "value",
    [
        "us",  # lower case: the database stores upper case only
        "De",
        "USA",  # alpha-3 codes are known to holidays but not a phone region
        "DEU",
        "UK",  # not ISO 3166 (GB is)
        "XX",
        "",
        "1",
    ],
)
def test_unsupported_country_is_refused_with_a_message_naming_it(value):
    with pytest.raises(ValidationError) as excinfo:
        validate_country(value)
    assert excinfo.value.code == "invalid_country"
    assert f"{value} is not a supported ISO 3166 country code" in messages_of(excinfo)


def test_every_accepted_country_is_usable_as_a_default_phone_region():
    from hiring.validators import supported_countries

    accepted = [c for c in supported_countries() if c in phonenumbers.SUPPORTED_REGIONS]
    assert "US" in accepted
    for country in accepted:
        validate_country(country)
        assert phonenumbers.country_code_for_region(country) > 0
