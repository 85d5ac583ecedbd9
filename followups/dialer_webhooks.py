"""Call capture from dialers: Aircall and Dialpad webhooks.

Both store each finished call once through ``followups.phone.phone_contact_record`` — the path
the Twilio status callbacks take, which matches the candidate by E.164 number (the dialer
line's country reads a national-format number), queues an unknown or shared number for the
teams concerned, classifies callbacks, contaminates an observing silence test and is
idempotent by the vendor's call id (a replay or retry is a ``duplicate``, stored once, also
when two deliveries race). Requests are bounded (``MAX_BODY_BYTES``); anything malformed
answers 400 and is logged, a bad token or signature 403, and with no secret configured the
endpoint answers 503 and stores nothing.

Aircall (``/webhooks/aircall/``)
    A webhook created in the Aircall dashboard or API with the ``call.ended`` event (sent about
    30 s after hang-up, once duration and voicemail are known; other events are acknowledged
    and ignored). Aircall does not sign requests: every body carries the webhook's ``token``,
    compared in constant time with ``AIRCALL_WEBHOOK_TOKEN``. Read: ``data.id`` (the call id),
    ``data.direction``, ``data.raw_digits`` (the other party), ``data.number.digits`` and
    ``.country`` (our Aircall line), ``data.started_at`` / ``answered_at`` / ``ended_at`` (Unix
    seconds), ``data.duration``, ``data.missed_call_reason`` and ``data.voicemail``.
    Docs: https://developer.aircall.io/docs/webhooks-overview and
    https://developer.aircall.io/api-references/#call-overview.

Dialpad (``/webhooks/dialpad/``)
    A call event subscription (``/api/v2/subscriptions/call``) whose webhook has a secret:
    Dialpad then sends each event as a JWT signed HS256 with it, the whole body being the
    token. It is verified with ``DIALPAD_WEBHOOK_SECRET`` (PyJWT; any other algorithm is
    refused). Stored on the ``hangup`` state (every call ends with one), and on
    ``voicemail_uploaded`` for a call not stored yet; other states are acknowledged. Read:
    ``call_id``, ``state``, ``direction``, ``external_number`` (the other party),
    ``internal_number`` (our line), ``date_started`` / ``date_connected`` / ``date_ended``
    (milliseconds since the epoch), ``voicemail_link``.
    Docs: https://developers.dialpad.com/docs/call-events and
    https://developers.dialpad.com/reference/webhookscreate (the ``signature`` object).

Missed calls and voicemail: an inbound call nobody answered is still the candidate reaching
out (their attempt counts) and is stored as a phone call "Missed call (reason)"; one where the
caller left a voicemail (Aircall's ``voicemail`` URL, Dialpad's ``voicemail_link``) is stored on
the *voicemail* channel. An outbound call that was not answered is the team's outreach,
"Call not answered".
"""

import hmac
import json
import logging
from datetime import UTC, datetime, timedelta

import jwt
import phonenumbers
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from followups.email_parsing import without_control_characters
from followups.models import Channel, ContactSource, Direction
from followups.phone import PhoneOutcome, call_voicemail_set, phone_contact_record
from followups.services import FUTURE_TOLERANCE

logger = logging.getLogger(__name__)

#: A call event is a few kilobytes; anything much larger is not one.
MAX_BODY_BYTES = 256 * 1024
#: No call lasts longer than a day (the Twilio path's bound too).
MAX_CALL_SECONDS = 24 * 60 * 60
DIALPAD_STORED_STATES = {"hangup", "voicemail_uploaded"}


class Malformed(ValueError):
    """The request is not a call event we can read (answered 400)."""


def _text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain")


def _bad_request(vendor: str, message: str) -> HttpResponse:
    # Logged: a 400 is a request the vendor will not retry, so it must leave a trace.
    logger.warning("Refused a %s webhook: %s", vendor, message)
    return _text(message, 400)


def _body(request) -> bytes:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise Malformed("Unreadable Content-Length.") from None
    if length > MAX_BODY_BYTES:
        raise Malformed(f"The body is larger than {MAX_BODY_BYTES} bytes.")
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise Malformed(f"The body is larger than {MAX_BODY_BYTES} bytes.")
    return body


def _region_of(number: str) -> str | None:
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return None
    return region if region and region != "ZZ" else None


def _instant(value, *, scale: int, name: str) -> datetime | None:
    """A Unix time (``scale`` 1 for seconds, 1000 for milliseconds) as an aware UTC datetime."""
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Malformed(f"{name} must be a number (Unix time).")
    seconds = value / scale
    if not 0 < seconds < 4102444800:  # 2100-01-01: beyond is not a call's time
        raise Malformed(f"{name} is out of range.")
    return datetime.fromtimestamp(seconds, tz=UTC)


def _string(value, name: str, *, limit: int = 300) -> str:
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise Malformed(f"{name} must be a string.")
    return without_control_characters(value).strip()[:limit]


def _record(vendor: str, **fields) -> tuple[HttpResponse, PhoneOutcome | None]:
    now = timezone.now()
    if fields["occurred_at"] > now + FUTURE_TOLERANCE:
        fields["occurred_at"] = now  # a dialer's clock ahead of ours: the call is happening now
    try:
        outcome = phone_contact_record(source=ContactSource.WEBHOOK, now=now, **fields)
    except ValidationError as exc:
        return _bad_request(vendor, " ".join(exc.messages)), None
    return JsonResponse({"status": outcome.status}), outcome


def _summary(*, label: str, direction: str, answered: bool, duration, reason: str, link: str):
    if label == "Voicemail":
        parts = ["Voicemail left"]
    elif answered:
        parts = ["Call"]
    elif direction == Direction.INBOUND:
        parts = [f"Missed call ({reason})" if reason else "Missed call"]
    else:
        parts = ["Call not answered"]
    if duration is not None and answered:
        parts.append(f"{duration} s")
    summary = ", ".join(parts) + "."
    if link:
        summary += f" Recording: {link}"
    return summary


# --- Aircall --------------------------------------------------------------------------------


def _aircall_call(data: dict) -> dict:
    call = data.get("data")
    if not isinstance(call, dict):
        raise Malformed("data must be the call object.")
    call_id = _string(call.get("id"), "data.id")
    if not call_id:
        raise Malformed("data.id is required.")
    raw_direction = _string(call.get("direction"), "data.direction").lower()
    if raw_direction not in {"inbound", "outbound"}:
        raise Malformed(f"Unknown data.direction {raw_direction!r}.")
    direction = Direction.INBOUND if raw_direction == "inbound" else Direction.OUTBOUND
    started = _instant(call.get("started_at"), scale=1, name="data.started_at")
    answered = _instant(call.get("answered_at"), scale=1, name="data.answered_at")
    ended = _instant(call.get("ended_at"), scale=1, name="data.ended_at")
    duration = call.get("duration")
    if duration is not None and (
        isinstance(duration, bool)
        or not isinstance(duration, int)
        or not 0 <= duration <= MAX_CALL_SECONDS
    ):
        raise Malformed(f"data.duration must be whole seconds from 0 to {MAX_CALL_SECONDS}.")
    number = call.get("number") if isinstance(call.get("number"), dict) else {}
    line = _string(number.get("digits"), "data.number.digits")
    country = _string(number.get("country"), "data.number.country", limit=2).upper()
    voicemail = _string(call.get("voicemail"), "data.voicemail", limit=500)
    is_voicemail = direction == Direction.INBOUND and bool(voicemail)
    label = "Voicemail" if is_voicemail else "Call"
    occurred_at = started or ended or timezone.now()
    return {
        "channel": Channel.VOICEMAIL if is_voicemail else Channel.PHONE,
        "direction": direction,
        "candidate_number": _string(call.get("raw_digits"), "data.raw_digits"),
        "occurred_at": occurred_at,
        "external_id": f"aircall:{call_id}",
        # The talk time when answered; an unanswered call has none worth scoring.
        "duration_seconds": duration if answered else None,
        "summary": _summary(
            label=label,
            direction=direction,
            answered=answered is not None,
            duration=duration,
            reason=_string(call.get("missed_call_reason"), "data.missed_call_reason"),
            link=voicemail,
        ),
        "default_region": country if len(country) == 2 else _region_of(line),
    }


@csrf_exempt
@login_not_required
@require_POST
def aircall_webhook(request):
    token = settings.AIRCALL_WEBHOOK_TOKEN
    if not token:
        return _text("Aircall webhooks are disabled: set AIRCALL_WEBHOOK_TOKEN.", 503)
    try:
        data = json.loads(_body(request))
    except Malformed as exc:
        return _bad_request("Aircall", str(exc))
    except (ValueError, RecursionError):
        return _bad_request("Aircall", "The body is not JSON.")
    if not isinstance(data, dict):
        return _bad_request("Aircall", "The body is not a JSON object.")
    sent = data.get("token")
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), token.encode()):
        logger.warning("Refused an Aircall webhook: wrong or missing token")
        return _text("Invalid token.", 403)
    if data.get("event") != "call.ended":
        return JsonResponse({"status": "ignored"})
    try:
        fields = _aircall_call(data)
    except Malformed as exc:
        return _bad_request("Aircall", str(exc))
    response, _outcome = _record("Aircall", **fields)
    return response


# --- Dialpad --------------------------------------------------------------------------------


def _dialpad_call(event: dict) -> dict:
    call_id = _string(event.get("call_id"), "call_id")
    if not call_id:
        raise Malformed("call_id is required.")
    raw_direction = _string(event.get("direction"), "direction").lower()
    if raw_direction not in {"inbound", "outbound"}:
        raise Malformed(f"Unknown direction {raw_direction!r}.")
    direction = Direction.INBOUND if raw_direction == "inbound" else Direction.OUTBOUND
    started = _instant(event.get("date_started"), scale=1000, name="date_started")
    connected = _instant(event.get("date_connected"), scale=1000, name="date_connected")
    ended = _instant(event.get("date_ended"), scale=1000, name="date_ended")
    duration = None
    if connected and ended:
        seconds = round((ended - connected).total_seconds())
        if not 0 <= seconds <= MAX_CALL_SECONDS:
            raise Malformed("date_connected and date_ended are not a call's times.")
        duration = seconds
    voicemail = _string(event.get("voicemail_link"), "voicemail_link", limit=500)
    is_voicemail = direction == Direction.INBOUND and (
        bool(voicemail) or event.get("state") == "voicemail_uploaded"
    )
    line = _string(event.get("internal_number"), "internal_number")
    return {
        "channel": Channel.VOICEMAIL if is_voicemail else Channel.PHONE,
        "direction": direction,
        "candidate_number": _string(event.get("external_number"), "external_number"),
        "occurred_at": started or ended or timezone.now(),
        "external_id": f"dialpad:{call_id}",
        "duration_seconds": duration,
        "summary": _summary(
            label="Voicemail" if is_voicemail else "Call",
            direction=direction,
            answered=connected is not None,
            duration=duration,
            reason="",
            link=voicemail,
        ),
        "default_region": _region_of(line),
    }


@csrf_exempt
@login_not_required
@require_POST
def dialpad_webhook(request):
    secret = settings.DIALPAD_WEBHOOK_SECRET
    if not secret:
        return _text("Dialpad webhooks are disabled: set DIALPAD_WEBHOOK_SECRET.", 503)
    try:
        token = _body(request).strip().decode("ascii")
    except Malformed as exc:
        return _bad_request("Dialpad", str(exc))
    except UnicodeDecodeError:
        return _bad_request("Dialpad", "The body is not a JWT.")
    try:
        event = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            # Dialpad's events carry no audience; expiry is checked when present.
            options={"verify_aud": False},
            leeway=timedelta(minutes=5),
        )
    except jwt.InvalidSignatureError:
        logger.warning("Refused a Dialpad webhook: bad signature")
        return _text("Invalid signature.", 403)
    except jwt.InvalidAlgorithmError:
        logger.warning("Refused a Dialpad webhook: not HS256")
        return _text("Only HS256-signed events are accepted.", 403)
    except jwt.ExpiredSignatureError:
        return _text("The event has expired.", 403)
    except jwt.InvalidTokenError:
        return _bad_request("Dialpad", "The body is not a JWT signed with the webhook secret.")
    if not isinstance(event, dict):
        return _bad_request("Dialpad", "The event is not a JSON object.")
    state = event.get("state")
    if state not in DIALPAD_STORED_STATES:
        return JsonResponse({"status": "ignored"})
    try:
        fields = _dialpad_call(event)
    except Malformed as exc:
        return _bad_request("Dialpad", str(exc))
    response, outcome = _record("Dialpad", **fields)
    if state == "voicemail_uploaded" and outcome is not None and outcome.status == "duplicate":
        # The hangup usually comes first and stored a missed call: the recording makes it the
        # voicemail it was. Repeats change nothing (it is a voicemail by then).
        link = _string(event.get("voicemail_link"), "voicemail_link", limit=500)
        call_voicemail_set(contact_id=outcome.contact.pk, link=link, now=timezone.now())
    return response
