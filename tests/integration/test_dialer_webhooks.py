"""Aircall and Dialpad call capture, fed the vendors' documented payloads
(tests/fixtures/dialers, sources in its README): each call recorded once through the one
recording action, missed calls and voicemail, bad tokens and signatures refused, replays
stored once, malformed bodies answered 400."""

import copy
import json
from pathlib import Path

import jwt
import pytest
from django.urls import reverse
from django.utils import timezone

from followups.imports import call_import_create, call_import_run
from followups.models import Channel, Contact, ContactSource, Direction, MatchStatus
from tests.factories import ApplicationFactory, CandidatePhoneFactory

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "dialers"
AIRCALL_TOKEN = "45XXYYZZa08"
DIALPAD_SECRET = "dialpad-webhook-secret-for-tests"
CANDIDATE_NUMBER = "+16502530000"


def _fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def dialers_on(settings):
    settings.AIRCALL_WEBHOOK_TOKEN = AIRCALL_TOKEN
    settings.DIALPAD_WEBHOOK_SECRET = DIALPAD_SECRET


@pytest.fixture
def candidate_app():
    application = ApplicationFactory()
    CandidatePhoneFactory(candidate=application.candidate, number=CANDIDATE_NUMBER)
    return application


def _aircall(client, payload):
    return client.post(
        reverse("followups:aircall_webhook"),
        data=json.dumps(payload),
        content_type="application/json",
    )


def _dialpad(client, claims, *, secret=DIALPAD_SECRET, algorithm="HS256"):
    token = jwt.encode(claims, secret, algorithm=algorithm)
    return client.post(
        reverse("followups:dialpad_webhook"), data=token, content_type="application/jwt"
    )


# --- Aircall ----------------------------------------------------------------------------------


def test_aircall_call_ended_is_recorded_once_on_the_candidates_timeline(
    client, dialers_on, candidate_app
):
    payload = _fixture("aircall_call_ended.json")
    response = _aircall(client, payload)
    assert response.status_code == 200
    assert response.json() == {"status": "stored"}
    contact = Contact.objects.get()
    assert contact.application_id == candidate_app.pk
    assert (contact.channel, contact.direction, contact.source) == (
        Channel.PHONE,
        Direction.INBOUND,
        ContactSource.WEBHOOK,
    )
    assert contact.external_id == "aircall:812345678"
    assert contact.duration_seconds == 300
    assert contact.occurred_at.timestamp() == payload["data"]["started_at"]
    assert not contact.is_prompted  # the candidate's own initiative: persistence

    # Aircall retries, and anyone who captured the request can replay it: stored once.
    replay = _aircall(client, payload)
    assert replay.status_code == 200
    assert replay.json() == {"status": "duplicate"}
    assert Contact.objects.count() == 1


def test_aircall_voicemail_is_stored_on_the_voicemail_channel(client, dialers_on, candidate_app):
    # The caller's number in national format: read in the Aircall line's country (US).
    response = _aircall(client, _fixture("aircall_call_ended_voicemail.json"))
    assert response.status_code == 200
    contact = Contact.objects.get()
    assert contact.channel == Channel.VOICEMAIL
    assert contact.application_id == candidate_app.pk
    assert contact.duration_seconds is None  # nobody answered: no talk time
    assert "Voicemail left" in contact.summary
    assert "https://voicemails.aircall.io/812345679.mp3" in contact.summary


def test_aircall_missed_call_counts_as_the_candidate_reaching_out(
    client, dialers_on, candidate_app
):
    _aircall(client, _fixture("aircall_call_ended_missed.json"))
    contact = Contact.objects.get()
    assert (contact.channel, contact.direction) == (Channel.PHONE, Direction.INBOUND)
    assert contact.summary.startswith("Missed call (out_of_opening_hours)")
    assert contact.application_id == candidate_app.pk


def test_aircall_with_a_wrong_or_missing_token_is_refused_and_stores_nothing(
    client, dialers_on, candidate_app
):
    payload = _fixture("aircall_call_ended.json")
    payload["token"] = "forged"
    assert _aircall(client, payload).status_code == 403
    del payload["token"]
    assert _aircall(client, payload).status_code == 403
    assert not Contact.objects.exists()


def test_aircall_other_events_are_acknowledged_and_ignored(client, dialers_on, candidate_app):
    payload = _fixture("aircall_call_ended.json")
    payload["event"] = "call.created"
    response = _aircall(client, payload)
    assert response.status_code == 200
    assert response.json() == {"status": "ignored"}
    assert not Contact.objects.exists()


def test_aircall_unknown_number_goes_to_the_unmatched_queue(client, dialers_on):
    _aircall(client, _fixture("aircall_call_ended.json"))
    contact = Contact.objects.get()
    assert contact.match_status == MatchStatus.UNMATCHED
    assert contact.candidate_id is None


def _mutations():
    def set_path(path, value):
        def mutate(payload):
            target = payload
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value
            return payload

        return mutate

    return [
        set_path(("data",), "not an object"),
        set_path(("data", "id"), None),
        set_path(("data", "direction"), "sideways"),
        set_path(("data", "started_at"), "yesterday"),
        set_path(("data", "started_at"), 10**15),
        set_path(("data", "duration"), -5),
        set_path(("data", "duration"), 10**12),
        set_path(("data", "duration"), True),
        set_path(("data", "raw_digits"), {"nested": "object"}),
        set_path(("data", "id"), "\x00"),
    ]


@pytest.mark.parametrize("mutate", _mutations())
def test_aircall_malformed_call_is_a_400_never_a_500(client, dialers_on, candidate_app, mutate):
    payload = mutate(copy.deepcopy(_fixture("aircall_call_ended.json")))
    response = _aircall(client, payload)
    assert response.status_code == 400
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    "body", [b"", b"not json", b"[1, 2]", b"{" * 100000, b"\xff\xfe", b'"token"']
)
def test_aircall_body_that_is_not_an_event_is_a_400(client, dialers_on, body):
    response = client.post(
        reverse("followups:aircall_webhook"), data=body, content_type="application/json"
    )
    assert response.status_code == 400


def test_aircall_oversized_body_is_refused_before_it_is_read(client, dialers_on):
    body = json.dumps({"token": AIRCALL_TOKEN, "padding": "x" * 300_000})
    response = client.post(
        reverse("followups:aircall_webhook"), data=body, content_type="application/json"
    )
    assert response.status_code == 400


def test_aircall_without_a_configured_token_is_disabled(client, settings, candidate_app):
    settings.AIRCALL_WEBHOOK_TOKEN = ""
    response = _aircall(client, _fixture("aircall_call_ended.json"))
    assert response.status_code == 503
    assert not Contact.objects.exists()


# --- Dialpad ----------------------------------------------------------------------------------


def test_dialpad_hangup_signed_with_the_secret_is_recorded_once(client, dialers_on, candidate_app):
    claims = _fixture("dialpad_hangup.json")
    response = _dialpad(client, claims)
    assert response.status_code == 200
    assert response.json() == {"status": "stored"}
    contact = Contact.objects.get()
    assert (contact.channel, contact.direction) == (Channel.PHONE, Direction.OUTBOUND)
    assert contact.application_id == candidate_app.pk
    assert contact.external_id == "dialpad:6342343299792896"
    assert contact.duration_seconds == 180  # connected → ended
    assert contact.occurred_at.timestamp() * 1000 == claims["date_started"]

    replay = _dialpad(client, claims)
    assert replay.json() == {"status": "duplicate"}
    assert Contact.objects.count() == 1


def test_dialpad_missed_inbound_call_and_voicemail(client, dialers_on, candidate_app):
    _dialpad(client, _fixture("dialpad_missed_hangup.json"))
    _dialpad(client, _fixture("dialpad_voicemail_hangup.json"))
    missed, voicemail = Contact.objects.order_by("occurred_at")
    assert (missed.channel, missed.direction) == (Channel.PHONE, Direction.INBOUND)
    assert missed.summary.startswith("Missed call")
    assert missed.duration_seconds is None
    assert voicemail.channel == Channel.VOICEMAIL
    assert "https://dialpad.com/voicemail/6342343299792898" in voicemail.summary


def test_dialpad_states_before_the_end_of_the_call_are_ignored(client, dialers_on, candidate_app):
    response = _dialpad(client, _fixture("dialpad_ringing.json"))
    assert response.json() == {"status": "ignored"}
    assert not Contact.objects.exists()


def test_dialpad_with_a_bad_signature_is_refused(client, dialers_on, candidate_app):
    claims = _fixture("dialpad_hangup.json")
    assert _dialpad(client, claims, secret="someone-elses-secret").status_code == 403
    # A token re-signed after changing its content: the signature no longer matches.
    header, _payload, signature = jwt.encode(claims, DIALPAD_SECRET, algorithm="HS256").split(".")
    forged_claims = jwt.encode({**claims, "direction": "inbound"}, "x", algorithm="HS256")
    forged = f"{header}.{forged_claims.split('.')[1]}.{signature}"
    response = client.post(
        reverse("followups:dialpad_webhook"), data=forged, content_type="application/jwt"
    )
    assert response.status_code == 403
    assert not Contact.objects.exists()


def test_dialpad_unsigned_or_other_algorithm_tokens_are_refused(client, dialers_on, candidate_app):
    claims = _fixture("dialpad_hangup.json")
    unsigned = jwt.encode(claims, None, algorithm="none")
    response = client.post(
        reverse("followups:dialpad_webhook"), data=unsigned, content_type="application/jwt"
    )
    assert response.status_code in {400, 403}
    assert _dialpad(client, claims, algorithm="HS512").status_code in {400, 403}
    # Plain JSON (a subscription without a secret) is not accepted either.
    response = client.post(
        reverse("followups:dialpad_webhook"),
        data=json.dumps(claims),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"call_id": None},
        {"direction": "sideways"},
        {"date_started": "yesterday"},
        {"date_connected": 1772442190000, "date_ended": 1772442000000},
        {"external_number": ["+1"]},
    ],
)
def test_dialpad_malformed_event_is_a_400(client, dialers_on, candidate_app, change):
    response = _dialpad(client, {**_fixture("dialpad_hangup.json"), **change})
    assert response.status_code == 400
    assert not Contact.objects.exists()


def test_dialpad_without_a_configured_secret_is_disabled(client, settings, candidate_app):
    settings.DIALPAD_WEBHOOK_SECRET = ""
    response = _dialpad(client, _fixture("dialpad_hangup.json"))
    assert response.status_code == 503
    assert not Contact.objects.exists()


# --- The CSV export of the same calls ----------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "post", "preset", "csv"),
    [
        (
            "aircall_call_ended.json",
            _aircall,
            "aircall",
            "ID,Started at,Direction,Raw digits,Number digits,Duration\n"
            "812345678,1772441700,inbound,+1 650-253-0000,+1 415-555-0199,300\n",
        ),
        (
            "dialpad_hangup.json",
            _dialpad,
            "dialpad",
            "call_id,date_started,direction,external_number,internal_number\n"
            "6342343299792896,1772442000000,outbound,+16502530000,+14155550199\n",
        ),
    ],
)
def test_a_call_delivered_by_webhook_and_then_imported_is_stored_once(
    client, dialers_on, candidate_app, fixture, post, preset, csv
):
    post(client, _fixture(fixture))
    batch = call_import_create(
        uploaded_by=None,
        filename="export.csv",
        content=csv.encode(),
        preset=preset,
        default_region="US",
        enqueue=False,
    )
    call_import_run(batch_id=batch.pk, now=timezone.now())
    assert Contact.objects.count() == 1


def test_dialpad_voicemail_uploaded_after_the_hangup_makes_the_missed_call_a_voicemail(
    client, dialers_on, candidate_app
):
    _dialpad(client, _fixture("dialpad_missed_hangup.json"))
    assert Contact.objects.get().channel == Channel.PHONE
    _dialpad(client, _fixture("dialpad_voicemail_uploaded.json"))
    _dialpad(client, _fixture("dialpad_voicemail_uploaded.json"))  # a retry changes nothing
    contact = Contact.objects.get()
    assert contact.channel == Channel.VOICEMAIL
    assert "https://dialpad.com/voicemail/6342343299792897" in contact.summary
    assert contact.application_id == candidate_app.pk
