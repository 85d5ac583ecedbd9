"""Standard Webhooks signing, the retry schedule and which addresses outbound webhooks may
reach: pure functions, no database, no network (names are not resolved here)."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook

from integrations import outbound, signing


def test_the_signature_matches_the_specifications_published_example():
    # The example of the Standard Webhooks specification's reference libraries.
    assert (
        signing.signature(
            secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            message_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
            timestamp=1614265330,
            body=b'{"test": 2432232314}',
        )
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


# No deadline: the machine running the suite is shared, and the property is not about speed.
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=st.dictionaries(st.text(), st.text() | st.integers()), seconds=st.integers(0, 10**9))
def test_any_payload_signed_here_verifies_with_the_reference_library(payload, seconds):
    secret = signing.secret_generate()
    at = dt.datetime.fromtimestamp(1_700_000_000 + seconds % 1000, tz=dt.UTC)
    body = signing.body_bytes(payload)
    headers = signing.headers(secret=secret, message_id="msg_1", at=at, body=body)
    assert headers["webhook-signature"] == Webhook(secret).sign("msg_1", at, body)


def test_secrets_are_whsec_and_random_and_masked():
    one, two = signing.secret_generate(), signing.secret_generate()
    assert one.startswith("whsec_")
    assert one != two
    assert signing.secret_masked(one) == "whsec_…" + one[-4:]


def test_backoff_is_exponential_and_capped():
    assert signing.backoff(0) == dt.timedelta(0)
    assert signing.backoff(1) == dt.timedelta(seconds=30)
    assert signing.backoff(2) == dt.timedelta(minutes=1)
    assert signing.backoff(10**9) == dt.timedelta(hours=1)


def test_an_endpoint_is_disabled_after_a_day_of_failures_not_before():
    now = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    assert not signing.should_disable(failing_since=None, now=now)
    assert not signing.should_disable(failing_since=now - dt.timedelta(hours=23), now=now)
    assert signing.should_disable(failing_since=now - dt.timedelta(days=1), now=now)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:169.254.169.254",
        "224.0.0.1",
    ],
)
def test_private_loopback_and_reserved_addresses_are_not_public(address):
    assert not outbound._public(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_internet_addresses_are_public(address):
    assert outbound._public(address)


@pytest.mark.parametrize(
    "url",
    [
        "gopher://example.com/",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "https://user:secret@example.com/",
        "https:///no-host",
        "http://example.com:99999/",
    ],
)
def test_urls_that_are_not_plain_http_are_refused(url):
    with pytest.raises(outbound.UrlRefused):
        outbound.url_check(url)


def test_a_url_keeps_its_path_query_and_port():
    assert outbound.url_check("https://example.com:8443/hook?x=1") == (
        "https",
        "example.com",
        8443,
        "/hook?x=1",
    )
