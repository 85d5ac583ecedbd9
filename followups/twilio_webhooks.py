"""Twilio webhooks: inbound SMS and voice call status callbacks.

Configure in Twilio (both POST, form-encoded as Twilio always sends them):

- ``/webhooks/twilio/sms/`` as the number's "A message comes in" webhook. Parameters read:
  ``MessageSid`` (``SmsSid`` for old requests), ``From``, ``To``, ``Body``, ``NumMedia``,
  ``MediaContentType{N}``; ``SmsStatus``/``MessageStatus`` other than ``received`` means a
  status callback for a message *we* sent was pointed here by mistake: acknowledged, not stored.
- ``/webhooks/twilio/voice-status/`` as the number's "Call status changes" URL (inbound calls)
  and as ``StatusCallback`` of calls the team places (``Direction`` ``outbound-api``, or
  ``outbound-dial`` for a ``<Dial><Number statusCallback=…>`` leg to the candidate). Parameters
  read: ``CallSid``, ``CallStatus``, ``Direction``, ``From``, ``To``, ``CallDuration``,
  ``Timestamp`` (RFC 2822), ``RecordingUrl``, ``AnsweredBy``. Only final statuses
  (``completed``, ``busy``, ``no-answer``, ``failed``, ``canceled``) are stored; ``queued``,
  ``initiated``, ``ringing``, ``in-progress`` (and anything unknown) are acknowledged and
  ignored, so subscribing to every ``StatusCallbackEvent`` is harmless.

The candidate's side is ``From`` for inbound and ``To`` for outbound calls; a number Twilio did
not send in E.164 is read in the country of our own Twilio number on the other side.

Voicemail rule: a call is stored as *voicemail* only when Twilio says so in a documented
parameter: an outbound call answered by a machine (``AnsweredBy`` ``machine_start`` /
``machine_end_beep`` / ``machine_end_silence`` / ``machine_end_other``, sent when answering
machine detection is on) is the team leaving (or reaching) the candidate's voicemail. Every other
call is a *phone* call. In particular an inbound call is never guessed to be a voicemail: the
status callback has no parameter saying the caller left a message, and a ``RecordingUrl``
appears just as well for a recorded conversation; the recording link is kept in the summary so
a recruiter can listen and re-tag it.

Values: ``CallDuration`` and ``NumMedia`` are whole numbers from 0 to 24 hours / 10 media
items, as Twilio sends them; anything else (``1e12``, ``-5``, ``2147483648``) answers 400 and is
logged. Control characters (NUL included, which PostgreSQL text cannot store) are removed from
the text's body and media types, as from email text.

Authenticity: every request must carry a valid ``X-Twilio-Signature`` (HMAC of the URL Twilio
called plus the POST parameters, keyed with ``TWILIO_AUTH_TOKEN``); unsigned or badly signed
requests get 403, and with no token configured the endpoints answer 503 and store nothing.
"""

import logging
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import phonenumbers
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

from followups.email_parsing import without_control_characters
from followups.models import Channel, ContactSource, Direction
from followups.phone import phone_contact_record
from followups.services import FUTURE_TOLERANCE

logger = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
#: CallStatus values after which nothing more happens to the call.
FINAL_CALL_STATUSES = {
    "completed": "completed",
    "busy": "busy",
    "no-answer": "not answered",
    "failed": "failed",
    "canceled": "cancelled",
}
#: Twilio sends at most 10 media items with a message; a larger NumMedia is not Twilio's.
MAX_NUM_MEDIA = 10
#: No phone call lasts longer (Twilio ends calls after 24 hours).
MAX_CALL_SECONDS = 24 * 60 * 60
#: AnsweredBy values (answering machine detection) meaning a machine picked up.
MACHINE_ANSWERS = {"machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other"}


def _twiml() -> HttpResponse:
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


def _signed_url(request) -> str:
    """The URL Twilio called, which is what it signed.

    Behind a TLS-terminating proxy or load balancer Django sees the internal request (e.g.
    ``http://app:8000/...``): the scheme, host or port differ from the public URL configured in
    Twilio, and the signature could never match. ``PUBLIC_BASE_URL`` names the public origin;
    without it the request's own absolute URL is used (direct exposure, development).
    """
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL + request.get_full_path()
    return request.build_absolute_uri()


def _refusal(request) -> HttpResponse | None:
    token = settings.TWILIO_AUTH_TOKEN
    if not token:
        # Refuse rather than accept unauthenticated calls and texts into candidates' timelines.
        return HttpResponse(
            "Twilio webhooks are disabled: set TWILIO_AUTH_TOKEN (and PUBLIC_BASE_URL when "
            "behind a proxy).",
            status=503,
            content_type="text/plain",
        )
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return HttpResponse("Missing X-Twilio-Signature.", status=403, content_type="text/plain")
    url = _signed_url(request)
    if not RequestValidator(token).validate(url, request.POST, signature):
        logger.warning(
            "Refused a Twilio webhook: the signature does not match %s (behind a proxy? "
            "set PUBLIC_BASE_URL to the public origin configured in Twilio)",
            url,
        )
        return HttpResponse("Invalid X-Twilio-Signature.", status=403, content_type="text/plain")
    return None


def _bad_request(message: str) -> HttpResponse:
    # Logged: a 400 to Twilio is a request it will not retry, so it must leave a trace.
    logger.warning("Refused a Twilio webhook: %s", message)
    return HttpResponse(message, status=400, content_type="text/plain")


def _region_of(number: str) -> str | None:
    """The country of our own Twilio number, for reading a national-format candidate number."""
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return None
    return region if region and region != "ZZ" else None


def _event_time(value: str, now: datetime) -> datetime:
    """Twilio's ``Timestamp`` (RFC 2822, GMT), or now when missing, unreadable or ahead."""
    try:
        at = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return now
    if at is None:
        return now
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return now if at > now + FUTURE_TOLERANCE else at


class OutOfRange(ValueError):
    """A numeric parameter that is not a whole number within Twilio's own bounds."""


def _bounded_int(data, name: str, maximum: int) -> int | None:
    """``data[name]`` as 0..``maximum``, None when absent or empty; raises ``OutOfRange``.

    Only ASCII digits: ``int()`` would also take "1_000", "١٢" or " 5 ", and a float form
    ("1e12") is not what Twilio sends.
    """
    value = data.get(name, "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 12 or int(value) > maximum:
        raise OutOfRange(f"{name} must be a whole number from 0 to {maximum}.")
    return int(value)


def _record(**fields) -> HttpResponse:
    try:
        phone_contact_record(**fields)
    except ValidationError as exc:
        return _bad_request(" ".join(exc.messages))
    return _twiml()


@csrf_exempt
@login_not_required
@require_POST
def twilio_sms_webhook(request):
    refusal = _refusal(request)
    if refusal:
        return refusal
    data = request.POST
    status = (data.get("SmsStatus") or data.get("MessageStatus") or "received").lower()
    if status != "received":
        logger.info("Ignored a Twilio message callback with status %s", status)
        return _twiml()
    sid = (data.get("MessageSid") or data.get("SmsSid") or "").strip()
    if not sid:
        return _bad_request("MessageSid is required.")
    summary = without_control_characters(data.get("Body", "")).strip()
    try:
        media = _bounded_int(data, "NumMedia", MAX_NUM_MEDIA) or 0
    except OutOfRange as exc:
        return _bad_request(str(exc))
    if media:
        types = ", ".join(
            without_control_characters(data.get(f"MediaContentType{i}", "")) or "unknown type"
            for i in range(media)
        )
        note = f"[{media} media attachment{'s' if media > 1 else ''}: {types}]"
        summary = f"{summary}\n{note}" if summary else note
    now = timezone.now()
    return _record(
        channel=Channel.SMS,
        direction=Direction.INBOUND,
        candidate_number=data.get("From", ""),
        occurred_at=now,
        external_id=sid,
        summary=summary,
        source=ContactSource.WEBHOOK,
        now=now,
        default_region=_region_of(data.get("To", "")),
    )


@csrf_exempt
@login_not_required
@require_POST
def twilio_voice_status_webhook(request):
    refusal = _refusal(request)
    if refusal:
        return refusal
    data = request.POST
    sid = data.get("CallSid", "").strip()
    if not sid:
        return _bad_request("CallSid is required.")
    status = data.get("CallStatus", "").strip().lower()
    if status not in FINAL_CALL_STATUSES:
        # queued / initiated / ringing / in-progress: the call is not over yet.
        return _twiml()
    twilio_direction = data.get("Direction", "").strip().lower()
    if twilio_direction == "inbound":
        direction, ours, theirs = Direction.INBOUND, data.get("To", ""), data.get("From", "")
    elif twilio_direction.startswith("outbound"):
        direction, ours, theirs = Direction.OUTBOUND, data.get("From", ""), data.get("To", "")
    else:
        return _bad_request(f"Unknown Direction {twilio_direction!r}.")
    answered_by = data.get("AnsweredBy", "").strip().lower()
    voicemail = direction == Direction.OUTBOUND and answered_by in MACHINE_ANSWERS
    try:
        duration = _bounded_int(data, "CallDuration", MAX_CALL_SECONDS)
    except OutOfRange as exc:
        return _bad_request(f"{exc} (seconds; Twilio ends calls after 24 hours)")
    if status != "completed":
        duration = None  # only a completed call has a meaningful duration
    now = timezone.now()
    # Timestamp is when this (final) event fired, i.e. when the call ended: it started
    # CallDuration seconds earlier, which is the time that matters for "calling back".
    occurred_at = _event_time(data.get("Timestamp", ""), now) - timedelta(seconds=duration or 0)

    label = "Voicemail" if voicemail else "Call"
    parts = [f"{label} {FINAL_CALL_STATUSES[status]}"]
    if duration is not None:
        parts.append(f"{duration} s")
    if voicemail:
        parts.append(f"answered by a machine ({answered_by})")
    summary = ", ".join(parts) + "."
    recording = data.get("RecordingUrl", "").strip()
    if recording:
        summary += f" Recording: {recording}"
    return _record(
        channel=Channel.VOICEMAIL if voicemail else Channel.PHONE,
        direction=direction,
        candidate_number=theirs,
        occurred_at=occurred_at,
        external_id=sid,
        duration_seconds=duration,
        summary=summary,
        source=ContactSource.WEBHOOK,
        now=now,
        default_region=_region_of(ours),
    )
