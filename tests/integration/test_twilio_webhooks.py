"""Twilio webhooks (inbound SMS, call status callbacks) in Twilio's documented wire format,
signed the way Twilio signs them, and the call/text classification they share with the manual
contact log."""

import datetime as dt
import threading
from email.utils import format_datetime
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from twilio.request_validator import RequestValidator

from followups.models import Channel, Contact, ContactSource, Direction, MatchStatus
from followups.phone import phone_contact_record
from followups.rules import contact_is_persistence
from followups.services import contact_log
from tests.factories import (
    ApplicationFactory,
    CandidatePhoneFactory,
    ContactFactory,
    SilenceTestFactory,
    UserFactory,
)

TOKEN = "twilio-auth-token-for-tests"
ACCOUNT_SID = "AC" + "0" * 32
OUR_NUMBER = "+14155550199"
CANDIDATE_NUMBER = "+16502530000"
SMS_URL = "/webhooks/twilio/sms/"
VOICE_URL = "/webhooks/twilio/voice-status/"


@pytest.fixture
def twilio_on(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.PUBLIC_BASE_URL = ""
    settings.CALLBACK_WINDOW_HOURS = 24


@pytest.fixture
def candidate_app():
    """An application whose candidate has the number +1 650 253 0000."""
    application = ApplicationFactory()
    CandidatePhoneFactory(candidate=application.candidate, number=CANDIDATE_NUMBER)
    return application


def _sid(prefix: str, n: int) -> str:
    return f"{prefix}{n:032x}"


def _sms(**overrides) -> dict[str, str]:
    sid = overrides.pop("sid", _sid("SM", 1))
    params = {
        "ToCountry": "US",
        "ToState": "CA",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "SAN FRANCISCO",
        "FromZip": "94043",
        "SmsSid": sid,
        "FromState": "CA",
        "SmsStatus": "received",
        "FromCity": "MOUNTAIN VIEW",
        "Body": "Hi Morgan, I sketched a territory plan. Can we talk Thursday?",
        "FromCountry": "US",
        "To": OUR_NUMBER,
        "ToZip": "94103",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": CANDIDATE_NUMBER,
        "ApiVersion": "2010-04-01",
    }
    params.update(overrides)
    return params


def _call(*, at: dt.datetime | None = None, **overrides) -> dict[str, str]:
    """A final status callback of an inbound call from the candidate, ending at ``at``."""
    at = at or timezone.now()
    params = {
        "Called": OUR_NUMBER,
        "ToState": "CA",
        "CallerCountry": "US",
        "Direction": "inbound",
        "Timestamp": format_datetime(at.astimezone(dt.UTC)),
        "CallbackSource": "call-progress-events",
        "CallerState": "CA",
        "ToZip": "94103",
        "SequenceNumber": "2",
        "CallSid": _sid("CA", 1),
        "To": OUR_NUMBER,
        "CallerZip": "94043",
        "ToCountry": "US",
        "CalledZip": "94103",
        "ApiVersion": "2010-04-01",
        "CalledCity": "SAN FRANCISCO",
        "CallStatus": "completed",
        "Duration": "2",
        "From": CANDIDATE_NUMBER,
        "CallDuration": "95",
        "AccountSid": ACCOUNT_SID,
        "CalledCountry": "US",
        "CallerCity": "MOUNTAIN VIEW",
        "Caller": CANDIDATE_NUMBER,
        "FromCountry": "US",
        "ToCity": "SAN FRANCISCO",
        "FromCity": "MOUNTAIN VIEW",
        "CalledState": "CA",
        "FromZip": "94043",
        "FromState": "CA",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def _outbound_call(**overrides) -> dict[str, str]:
    """A status callback of a call the team placed through the API to the candidate."""
    fields = {
        "Direction": "outbound-api",
        "From": OUR_NUMBER,
        "Caller": OUR_NUMBER,
        "To": CANDIDATE_NUMBER,
        "Called": CANDIDATE_NUMBER,
        "CallSid": _sid("CA", 2),
    }
    fields.update(overrides)
    return _call(**fields)


def _post(
    client,
    path: str,
    params: dict[str, str],
    *,
    signed_url: str | None = None,
    token: str = TOKEN,
    signature: str | None = None,
    query: str = "",
):
    """POST form-encoded, as Twilio does, signed for ``signed_url`` (default: the URL called)."""
    full_path = path + (f"?{query}" if query else "")
    if signature is None:
        signature = RequestValidator(token).compute_signature(
            signed_url or f"http://testserver{full_path}", params
        )
    headers = {"HTTP_X_TWILIO_SIGNATURE": signature} if signature else {}
    return client.post(
        full_path,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        **headers,
    )


def _assert_empty_twiml(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.decode().endswith("<Response/>")


# --- signature ----------------------------------------------------------------------------------


def test_signed_sms_is_accepted_and_stored_on_the_timeline(client, twilio_on, candidate_app):
    response = _post(client, SMS_URL, _sms())
    _assert_empty_twiml(response)
    contact = Contact.objects.get()
    assert contact.candidate == candidate_app.candidate
    assert contact.application == candidate_app
    assert (contact.channel, contact.direction) == (Channel.SMS, Direction.INBOUND)
    assert contact.source == ContactSource.WEBHOOK
    assert contact.match_status == MatchStatus.MATCHED
    assert contact.external_id == _sid("SM", 1)
    assert contact.phone_number == CANDIDATE_NUMBER
    assert "territory plan" in contact.summary
    assert not contact.is_prompted


def test_signed_call_status_callback_is_accepted_and_stored(client, twilio_on, candidate_app):
    ended = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=1)
    _assert_empty_twiml(_post(client, VOICE_URL, _call(at=ended)))
    contact = Contact.objects.get()
    assert contact.application == candidate_app
    assert (contact.channel, contact.direction) == (Channel.PHONE, Direction.INBOUND)
    assert contact.duration_seconds == 95
    # Timestamp is when the call ended; the contact is when it started.
    assert contact.occurred_at == ended - dt.timedelta(seconds=95)
    assert contact.external_id == _sid("CA", 1)


@pytest.mark.parametrize("path", [SMS_URL, VOICE_URL], ids=["sms", "voice"])
@pytest.mark.parametrize(
    "refusal",
    ["missing", "wrong token", "another URL", "another scheme", "tampered body"],
)
def test_unsigned_or_badly_signed_requests_are_refused(
    client, twilio_on, candidate_app, path, refusal
):
    params = _sms() if path == SMS_URL else _call()
    signed_url, token, sent = f"http://testserver{path}", TOKEN, params
    if refusal == "wrong token":
        token = "not-the-auth-token"
    elif refusal == "another URL":
        signed_url = f"http://testserver{path}other/"
    elif refusal == "another scheme":
        signed_url = f"https://testserver{path}"
    elif refusal == "tampered body":
        sent = {**params, "Body": "Something Twilio never sent"}
    signature = RequestValidator(token).compute_signature(signed_url, params)
    if refusal == "missing":
        signature = ""
    response = _post(client, path, sent, signature=signature)
    assert response.status_code == 403
    assert not Contact.objects.exists()


def test_the_documented_urls_are_routed():
    assert reverse("followups:twilio_sms_webhook") == SMS_URL
    assert reverse("followups:twilio_voice_status_webhook") == VOICE_URL


@pytest.mark.parametrize("path", [SMS_URL, VOICE_URL], ids=["sms", "voice"])
def test_webhooks_answer_503_until_the_auth_token_is_configured(
    client, settings, candidate_app, path
):
    settings.TWILIO_AUTH_TOKEN = ""
    params = _sms() if path == SMS_URL else _call()
    response = _post(client, path, params, token="")
    assert response.status_code == 503
    assert b"TWILIO_AUTH_TOKEN" in response.content
    assert not Contact.objects.exists()


def test_webhooks_need_no_login_and_no_csrf_token(twilio_on, candidate_app):
    strict = Client(enforce_csrf_checks=True)
    _assert_empty_twiml(_post(strict, SMS_URL, _sms()))
    assert Contact.objects.count() == 1


def test_get_is_not_allowed(client, twilio_on):
    assert client.get(SMS_URL).status_code == 405


# --- behind a proxy -------------------------------------------------------------------------------


PUBLIC = "https://persist.example.com"


def test_behind_a_proxy_the_public_base_url_is_what_twilio_signed(
    client, settings, twilio_on, candidate_app
):
    """Twilio called https://persist.example.com/...; the proxy forwards it as plain HTTP to
    the app, which sees http://testserver/...: the signature must be checked against the public
    URL, query string included."""
    settings.PUBLIC_BASE_URL = PUBLIC
    query = "team=sales"
    signed = f"{PUBLIC}{SMS_URL}?{query}"
    _assert_empty_twiml(_post(client, SMS_URL, _sms(), signed_url=signed, query=query))
    assert Contact.objects.count() == 1

    # What Django itself sees is not what Twilio signed: refused.
    internal = _post(
        client,
        SMS_URL,
        _sms(sid=_sid("SM", 2)),
        signed_url=f"http://testserver{SMS_URL}?{query}",
        query=query,
    )
    assert internal.status_code == 403
    assert Contact.objects.count() == 1


def test_without_a_public_base_url_a_request_signed_for_the_public_url_is_refused(
    client, twilio_on, candidate_app
):
    response = _post(client, SMS_URL, _sms(), signed_url=f"{PUBLIC}{SMS_URL}")
    assert response.status_code == 403
    assert not Contact.objects.exists()


# --- duplicates -----------------------------------------------------------------------------------


def test_a_replayed_sms_is_stored_once(client, twilio_on, candidate_app):
    for _ in range(3):
        _assert_empty_twiml(_post(client, SMS_URL, _sms()))
    _assert_empty_twiml(_post(client, SMS_URL, _sms(sid=_sid("SM", 9), Body="And another")))
    assert Contact.objects.count() == 2
    assert Contact.objects.filter(external_id=_sid("SM", 1)).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_duplicate_callbacks_are_stored_once(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.PUBLIC_BASE_URL = ""
    application = ApplicationFactory()
    CandidatePhoneFactory(candidate=application.candidate, number=CANDIDATE_NUMBER)
    params = _call()
    statuses, errors, barrier = [], [], threading.Barrier(4)

    def deliver():
        try:
            barrier.wait()
            statuses.append(_post(Client(), VOICE_URL, params).status_code)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert statuses == [200, 200, 200, 200]
    contact = Contact.objects.get()
    assert contact.application_id == application.pk


def test_one_call_is_stored_once_whichever_channel_it_was_classified_as(candidate_app):
    now = timezone.now()
    fields = {
        "direction": Direction.OUTBOUND,
        "candidate_number": CANDIDATE_NUMBER,
        "occurred_at": now,
        "external_id": _sid("CA", 5),
        "source": ContactSource.CSV,
        "now": now,
    }
    first = phone_contact_record(channel=Channel.VOICEMAIL, **fields)
    again = phone_contact_record(channel=Channel.PHONE, **fields)
    assert (first.status, again.status) == ("stored", "duplicate")
    assert again.contact == first.contact
    assert Contact.objects.count() == 1


# --- matching -------------------------------------------------------------------------------------


def test_an_unknown_number_goes_to_the_unmatched_queue(client, twilio_on, candidate_app):
    _assert_empty_twiml(_post(client, SMS_URL, _sms(From="+12025550123")))
    contact = Contact.objects.get()
    assert contact.match_status == MatchStatus.UNMATCHED
    assert contact.candidate is None
    assert contact.application is None
    assert contact.phone_number == "+12025550123"
    assert "No candidate has the sender's number +12025550123" in contact.match_note


def test_a_withheld_number_goes_to_the_queue_not_dropped(client, twilio_on, candidate_app):
    _assert_empty_twiml(_post(client, VOICE_URL, _call(From="Anonymous", Caller="Anonymous")))
    contact = Contact.objects.get()
    assert contact.match_status == MatchStatus.UNMATCHED
    assert contact.phone_number == ""
    assert "Anonymous" in contact.match_note


def test_a_number_several_candidates_share_is_ambiguous(client, twilio_on, candidate_app):
    CandidatePhoneFactory(number=CANDIDATE_NUMBER)
    _assert_empty_twiml(_post(client, VOICE_URL, _call()))
    contact = Contact.objects.get()
    assert contact.match_status == MatchStatus.AMBIGUOUS
    assert contact.candidate is None
    assert "2 candidates share" in contact.match_note


@pytest.mark.parametrize(
    ("from_", "to", "e164"),
    [
        ("(650) 253-0000", OUR_NUMBER, CANDIDATE_NUMBER),
        ("020 7946 0958", "+442079460000", "+442079460958"),
    ],
    ids=["US", "GB"],
)
def test_a_national_format_number_is_matched_and_stored_in_e164(client, twilio_on, from_, to, e164):
    application = ApplicationFactory()
    CandidatePhoneFactory(candidate=application.candidate, number=e164)
    _assert_empty_twiml(_post(client, SMS_URL, _sms(From=from_, To=to)))
    contact = Contact.objects.get()
    assert contact.match_status == MatchStatus.MATCHED
    assert contact.candidate == application.candidate
    assert contact.phone_number == e164


# --- prompted or unprompted ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("team_contact_ago", "window_hours", "prompted"),
    [
        (dt.timedelta(hours=2), 24, True),
        (dt.timedelta(days=3), 24, False),
        (dt.timedelta(hours=2), 1, False),
    ],
    ids=["2 h after: callback", "3 days after: own initiative", "window configurable"],
)
def test_an_inbound_call_after_the_teams_call_is_prompted_within_the_window(
    client, settings, twilio_on, candidate_app, team_contact_ago, window_hours, prompted
):
    settings.CALLBACK_WINDOW_HOURS = window_hours
    now = timezone.now()
    ContactFactory(application=candidate_app, outbound=True, occurred_at=now - team_contact_ago)
    _assert_empty_twiml(_post(client, VOICE_URL, _call(at=now, CallDuration="60")))
    inbound = Contact.objects.get(direction=Direction.INBOUND)
    assert inbound.is_prompted is prompted
    assert contact_is_persistence(inbound) is not prompted


def test_a_text_after_the_teams_email_is_prompted(client, twilio_on, candidate_app):
    ContactFactory(
        application=candidate_app,
        outbound=True,
        channel=Channel.EMAIL,
        occurred_at=timezone.now() - dt.timedelta(hours=5),
    )
    _assert_empty_twiml(_post(client, SMS_URL, _sms()))
    assert Contact.objects.get(direction=Direction.INBOUND).is_prompted


def test_the_teams_contact_with_another_candidate_does_not_prompt(client, twilio_on, candidate_app):
    ContactFactory(outbound=True, occurred_at=timezone.now() - dt.timedelta(hours=1))
    _assert_empty_twiml(_post(client, SMS_URL, _sms()))
    assert not Contact.objects.get(candidate=candidate_app.candidate).is_prompted


# --- outbound calls and the silence test ---------------------------------------------------------


def test_an_outbound_call_while_observing_contaminates_the_silence_test(client, twilio_on):
    test = SilenceTestFactory(observing=True)
    CandidatePhoneFactory(candidate=test.application.candidate, number=CANDIDATE_NUMBER)
    _assert_empty_twiml(_post(client, VOICE_URL, _outbound_call()))
    contact = Contact.objects.get()
    assert contact.direction == Direction.OUTBOUND
    assert contact.application == test.application
    assert contact.phone_number == CANDIDATE_NUMBER
    test.refresh_from_db()
    assert test.is_contaminated
    assert test.contaminated_by == contact
    assert test.contaminated_at == contact.occurred_at


def test_an_outbound_call_while_waiting_does_not_contaminate(client, twilio_on):
    test = SilenceTestFactory()
    CandidatePhoneFactory(candidate=test.application.candidate, number=CANDIDATE_NUMBER)
    _assert_empty_twiml(_post(client, VOICE_URL, _outbound_call()))
    assert Contact.objects.get().direction == Direction.OUTBOUND
    test.refresh_from_db()
    assert not test.is_contaminated


def test_a_late_callback_for_a_call_before_the_deadline_does_not_contaminate(client, twilio_on):
    """The test observes from its deadline: a call placed before it (its status callback
    arriving late, or imported later) was not chasing."""
    test = SilenceTestFactory(observing=True)
    CandidatePhoneFactory(candidate=test.application.candidate, number=CANDIDATE_NUMBER)
    ended = test.deadline_at - dt.timedelta(hours=3)
    _assert_empty_twiml(_post(client, VOICE_URL, _outbound_call(at=ended)))
    assert Contact.objects.get().occurred_at < test.deadline_at
    test.refresh_from_db()
    assert not test.is_contaminated


def test_an_inbound_call_while_observing_does_not_contaminate(client, twilio_on):
    test = SilenceTestFactory(observing=True)
    CandidatePhoneFactory(candidate=test.application.candidate, number=CANDIDATE_NUMBER)
    _assert_empty_twiml(_post(client, VOICE_URL, _call()))
    contact = Contact.objects.get()
    assert contact_is_persistence(contact)
    test.refresh_from_db()
    assert not test.is_contaminated


# --- call statuses and voicemail ------------------------------------------------------------------


@pytest.mark.parametrize("status", ["queued", "initiated", "ringing", "in-progress"])
def test_intermediate_call_statuses_are_acknowledged_but_not_stored(
    client, twilio_on, candidate_app, status
):
    _assert_empty_twiml(_post(client, VOICE_URL, _call(CallStatus=status, CallDuration=None)))
    assert not Contact.objects.exists()
    # The final callback of the same call is stored.
    _assert_empty_twiml(_post(client, VOICE_URL, _call()))
    assert Contact.objects.count() == 1


@pytest.mark.parametrize("status", ["busy", "no-answer", "failed", "canceled"])
def test_unanswered_outbound_calls_are_recorded_without_a_duration(
    client, twilio_on, candidate_app, status
):
    _assert_empty_twiml(_post(client, VOICE_URL, _outbound_call(CallStatus=status)))
    contact = Contact.objects.get()
    assert (contact.channel, contact.direction) == (Channel.PHONE, Direction.OUTBOUND)
    assert contact.duration_seconds is None


def test_an_outbound_call_answered_by_a_machine_is_a_voicemail(client, twilio_on, candidate_app):
    _assert_empty_twiml(
        _post(client, VOICE_URL, _outbound_call(AnsweredBy="machine_end_beep", CallDuration="31"))
    )
    contact = Contact.objects.get()
    assert (contact.channel, contact.direction) == (Channel.VOICEMAIL, Direction.OUTBOUND)
    assert contact.duration_seconds == 31


def test_an_inbound_recorded_call_stays_a_phone_call_with_its_recording(
    client, twilio_on, candidate_app
):
    recording = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/RE1"
    _assert_empty_twiml(_post(client, VOICE_URL, _call(RecordingUrl=recording)))
    contact = Contact.objects.get()
    assert contact.channel == Channel.PHONE
    assert recording in contact.summary


def test_a_status_callback_for_a_message_we_sent_is_not_an_inbound_text(
    client, twilio_on, candidate_app
):
    params = _sms(SmsStatus="delivered", MessageStatus="delivered", From=OUR_NUMBER)
    _assert_empty_twiml(_post(client, SMS_URL, params))
    assert not Contact.objects.exists()


def test_an_mms_notes_its_media(client, twilio_on, candidate_app):
    params = _sms(
        Body="",
        NumMedia="1",
        MediaContentType0="image/jpeg",
        MediaUrl0=f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/x/Media/y",
    )
    _assert_empty_twiml(_post(client, SMS_URL, params))
    assert Contact.objects.get().summary == "[1 media attachment: image/jpeg]"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (SMS_URL, _sms(MessageSid="", SmsSid="", SmsMessageSid="")),
        (VOICE_URL, _call(CallSid="")),
        (VOICE_URL, _call(Direction="sideways")),
    ],
    ids=["sms without sid", "call without sid", "unknown direction"],
)
def test_malformed_signed_requests_are_400(client, twilio_on, path, params):
    assert _post(client, path, params).status_code == 400
    assert not Contact.objects.exists()


# --- the service's own checks ---------------------------------------------------------------------


def test_the_service_refuses_a_channel_that_is_not_a_call_or_text(candidate_app):
    now = timezone.now()
    with pytest.raises(ValidationError):
        phone_contact_record(
            channel=Channel.EMAIL,
            direction=Direction.INBOUND,
            candidate_number=CANDIDATE_NUMBER,
            occurred_at=now,
            external_id="x",
            source=ContactSource.CSV,
            now=now,
        )
    assert not Contact.objects.exists()


# --- the manual contact log classifies calls and texts too ---------------------------------------


@pytest.mark.parametrize(
    ("channel", "direction", "team_contact_ago", "prompted"),
    [
        (Channel.PHONE, Direction.INBOUND, dt.timedelta(hours=2), True),
        (Channel.SMS, Direction.INBOUND, dt.timedelta(hours=2), True),
        (Channel.VOICEMAIL, Direction.INBOUND, dt.timedelta(hours=2), True),
        (Channel.PHONE, Direction.INBOUND, dt.timedelta(days=3), False),
        (Channel.PHONE, Direction.OUTBOUND, dt.timedelta(hours=2), False),
        (Channel.IN_PERSON, Direction.INBOUND, dt.timedelta(hours=2), False),
    ],
    ids=[
        "call 2 h after",
        "text 2 h after",
        "voicemail 2 h after",
        "call 3 days after",
        "outbound",
        "not a call or text",
    ],
)
def test_a_call_logged_by_hand_is_classified_by_the_callback_window(
    twilio_on, candidate_app, channel, direction, team_contact_ago, prompted
):
    now = timezone.now()
    ContactFactory(application=candidate_app, outbound=True, occurred_at=now - team_contact_ago)
    contact = contact_log(
        application=candidate_app,
        channel=channel,
        direction=direction,
        occurred_at=now,
        summary="Called back about the offer timeline.",
        logged_by=UserFactory(),
        now=now,
    )
    contact.refresh_from_db()
    assert contact.is_prompted is prompted
