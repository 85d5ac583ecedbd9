"""ESP inbound-email webhooks (Mailgun, SendGrid, Postmark) through django-anymail.

anymail validates the request (HTTP basic auth with ANYMAIL_WEBHOOK_SECRET, plus Mailgun's
signature) and turns each ESP's format into a standard email message; we store it through the
same ingest service as the pipe and IMAP paths. An error (e.g. the database is down) answers
500, so the ESP retries; a repeated delivery is recognised by its Message-ID.

Hardening on top of anymail:

* A post that is not what the ESP sends (invalid or wrongly typed JSON, missing fields) answers
  400 and is logged: a 5xx would make the ESP retry it for days.
* The body may be up to ``EMAIL_WEBHOOK_MAX_BODY_BYTES`` (a ``MAX_EMAIL_BYTES`` message plus
  its encoding) on these endpoints only; a larger body answers 413, and a message over
  ``MAX_EMAIL_BYTES`` is refused with 413 and recorded, as on every other path.
* Mailgun: the signed timestamp must be within ``MAILGUN_WEBHOOK_MAX_AGE_SECONDS`` of now, and a
  signature token is accepted again only with the same content (a retry), never another body.
* A provider event of another kind posted to the inbound URL (anymail's
  ``AnymailConfigurationError``: a Mailgun tracking event or ``store()`` route, a Postmark
  ``Delivery``/``Bounce``/... webhook) answers 400 and logs what to reconfigure at the provider:
  a 5xx would be retried for days and never succeed.
* The score refresh is not done in the request: the contact's application is marked stale in
  the same transaction and the minutely ``drain_stale_scores`` schedule recomputes it.
* Redeliveries are recognised by Message-ID, by the content fingerprint (SendGrid's parsed
  format and Postmark's JSON are rebuilt into MIME with new boundaries each time) and by the
  provider's own id of the message where it sends one (Postmark ``MessageID``, Mailgun token).
"""

import binascii
import contextlib
import email.errors
import hashlib
import json
import logging
import time
from functools import cache
from io import BytesIO

from anymail.exceptions import AnymailConfigurationError, AnymailWebhookValidationFailure
from anymail.signals import AnymailInboundEvent, EventType, inbound
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import TooManyFieldsSent
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import Http404, HttpResponse, QueryDict
from django.http.multipartparser import FIELD, FILE, ChunkIter, LazyStream, Parser
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.encoding import force_str
from django.views.decorators.csrf import csrf_exempt

from followups.email_parsing import NotAnEmail
from followups.models import ContactSource
from followups.services import email_ingest, email_reject, email_size_refusal, mailgun_token_claim

logger = logging.getLogger(__name__)

#: What anymail's parsers raise on a post that is not in the ESP's format.
_MALFORMED = (
    KeyError,
    IndexError,
    TypeError,
    ValueError,  # json.JSONDecodeError, UnicodeDecodeError, binascii.Error included
    AttributeError,
    email.errors.MessageError,
    RecursionError,  # JSON or MIME nested deeper than the stdlib parsers recurse
)


class MalformedPost(Exception):
    """The post is not in the ESP's documented format: 400, never 500."""


class MessageTooLarge(Exception):
    """The message is over MAX_EMAIL_BYTES: refused (413) after it was recorded."""


class MisconfiguredProvider(Exception):
    """The provider posts another kind of event to the inbound URL: 400, with what to fix."""


class _HardenedInbound:
    """Mixed into anymail's inbound views: malformed posts are 400, oversized messages 413."""

    def parse_events(self, request):
        try:
            # list(): anymail's parsers may be lazy; every error must surface here.
            return list(super().parse_events(request))
        except _MALFORMED as exc:
            raise MalformedPost(f"{type(exc).__name__}: {exc}") from exc
        except AnymailConfigurationError as exc:
            raise MisconfiguredProvider(str(exc)) from exc

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except MalformedPost as exc:
            logger.warning("Refused a malformed %s inbound webhook: %s", self.esp_name, exc)
            return _text(f"Not a {self.esp_name} inbound post.", 400)
        except MisconfiguredProvider as exc:
            logger.warning(
                "Refused a %s webhook posted to the inbound email URL %s: %s Reconfigure it "
                "at %s: only inbound messages may be sent to this URL (point tracking and "
                "delivery webhooks elsewhere or turn them off).",
                self.esp_name,
                request.path,
                exc,
                self.esp_name,
            )
            return _text(f"This URL takes {self.esp_name} inbound messages only: {exc}", 400)
        except MessageTooLarge as exc:
            return _text(str(exc), 413)


class MailgunInbound(_HardenedInbound, MailgunInboundWebhookView):
    def run_validators(self, request):
        super().run_validators(request)  # basic auth and the HMAC over timestamp + token
        # Checked after the signature, so unsigned posts never reach the token table.
        timestamp, token = _mailgun_timestamp_and_token(request)
        try:
            age = abs(time.time() - int(timestamp))
        except ValueError:
            raise AnymailWebhookValidationFailure("Mailgun timestamp is not a number") from None
        if age > settings.MAILGUN_WEBHOOK_MAX_AGE_SECONDS:
            raise AnymailWebhookValidationFailure("Mailgun signature is too old (replayed?)")
        if not mailgun_token_claim(token=token, digest=_post_digest(request), now=timezone.now()):
            raise AnymailWebhookValidationFailure("Mailgun token reused with other content")


def _mailgun_timestamp_and_token(request) -> tuple[str, str]:
    """Where anymail read them: form fields, or the ``signature`` block of a JSON (tracking)
    post, which must reach parse_events to be refused as a misconfiguration."""
    if request.content_type == "application/json":
        # anymail's signature check has parsed this same body already.
        signature = json.loads(request.body.decode("utf-8"))["signature"]
        return str(signature["timestamp"]), str(signature["token"])
    return request.POST.get("timestamp", ""), request.POST.get("token", "")


class SendGridInbound(_HardenedInbound, SendGridInboundWebhookView):
    pass


class RawInboundEvent(AnymailInboundEvent):
    """An inbound event whose message is the provider's copy of the raw bytes, not parsed."""

    def __init__(self, *, raw: bytes, **kwargs):
        super().__init__(**kwargs)
        self.raw = raw


class PostmarkInbound(_HardenedInbound, PostmarkInboundWebhookView):
    def esp_to_anymail_event(self, esp_event):
        raw = esp_event.get("RawEmail")
        if (
            isinstance(raw, str)
            and esp_event.get("RecordType", "Inbound") == "Inbound"
            and not esp_event.get("BccFull")
        ):
            # Postmark's copy of the message as it was received (the "include raw email"
            # option), stored as it is: anymail would parse it into a message object and
            # serialise that again, most of the request's Python time, for the ingest to parse
            # it a third time. Its own reading stays for what it adds: the Bcc header (which
            # Postmark sends separately) and the parsed JSON format without RawEmail.
            return RawInboundEvent(
                event_type=EventType.INBOUND,
                timestamp=None,
                event_id=esp_event.get("MessageID"),
                esp_event=esp_event,
                raw=raw.encode("utf-8"),
            )
        return super().esp_to_anymail_event(esp_event)


INBOUND_VIEWS = {
    "mailgun": MailgunInbound,
    "sendgrid": SendGridInbound,
    "postmark": PostmarkInbound,
}


def _text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain")


def _post_digest(request) -> str:
    """SHA-256 of the posted fields and files, independent of the multipart boundary."""
    digest = hashlib.sha256()
    for key in sorted(request.POST):
        for value in request.POST.getlist(key):
            digest.update(f"{len(key)}:{key}{len(value)}:{value}".encode("utf-8", "replace"))
    for key in sorted(request.FILES):
        for upload in request.FILES.getlist(key):
            upload.seek(0)
            digest.update(f"file {key} {upload.name} {upload.size}:".encode("utf-8", "replace"))
            digest.update(upload.read())
            upload.seek(0)
    return digest.hexdigest()


class _WebhookMultipart(FileUploadHandler):
    """Parses a webhook's multipart body (already read, within the webhook limit) itself.

    Django's parser caps form fields at DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB for every page),
    and SendGrid and Mailgun post the whole message as one field: this handler takes over the
    parsing (Django's documented ``handle_raw_input`` hook) with Django's own multipart reader
    and the same field and file counts, for these endpoints only.
    """

    def receive_data_chunk(self, raw_data, start):  # pragma: no cover - parsing is taken over
        return raw_data

    def file_complete(self, file_size):  # pragma: no cover
        return None

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        post, files = QueryDict(mutable=True, encoding=encoding), MultiValueDict()
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + (
            settings.DATA_UPLOAD_MAX_NUMBER_FILES or 0
        )
        parts = 0
        stream = LazyStream(ChunkIter(input_data, 64 * 1024))
        for item_type, meta, field_stream in Parser(stream, boundary):
            parts += 1
            if parts > limit:
                raise TooManyFieldsSent("Too many parts in the webhook post.")
            try:
                disposition = meta["content-disposition"][1]
                # Django's reader gives a file part's name as bytes (its own parser decodes it
                # too): as bytes, anymail never found SendGrid's or Mailgun's attachments.
                name = force_str(disposition["name"], encoding or "utf-8", errors="replace").strip()
            except (KeyError, IndexError, AttributeError):
                continue
            data = field_stream.read()
            transfer_encoding = meta.get("content-transfer-encoding", [""])[0].strip().lower()
            if transfer_encoding == "base64":
                with contextlib.suppress(binascii.Error):
                    data = binascii.a2b_base64(data)
            if item_type == FIELD:
                post.appendlist(name, data.decode(encoding or "utf-8", "replace"))
            elif item_type == FILE and disposition.get("filename"):
                content_type = meta.get("content-type", ("application/octet-stream", {}))[0]
                files.appendlist(
                    name,
                    SimpleUploadedFile(
                        force_str(disposition["filename"], encoding or "utf-8", errors="replace"),
                        data,
                        content_type.strip(),
                    ),
                )
        post._mutable = False
        return post, files


def _read_body(request) -> HttpResponse | None:
    """Read the body within the webhook limit (not Django's page-wide one), or refuse it."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _text("Bad Content-Length.", 400)
    limit = settings.EMAIL_WEBHOOK_MAX_BODY_BYTES
    if length > limit:
        logger.warning("Refused an inbound email webhook of %s bytes (limit %s)", length, limit)
        return _text(email_size_refusal(length), 413)
    if request.content_type == "multipart/form-data":
        request.upload_handlers = [_WebhookMultipart(request)]
    # Django reads .body and POST from this copy without its DATA_UPLOAD_MAX_MEMORY_SIZE check.
    body = request.read(limit + 1)
    request._body = body
    request._stream = BytesIO(body)
    return None


@cache
def _view(esp: str):
    return INBOUND_VIEWS[esp].as_view()


def _missing_configuration(esp: str) -> str | None:
    anymail = getattr(settings, "ANYMAIL", {})
    if not anymail.get("WEBHOOK_SECRET"):
        return "Inbound email webhooks are disabled: set ANYMAIL_WEBHOOK_SECRET (user:password)."
    if esp == "mailgun" and not anymail.get("MAILGUN_WEBHOOK_SIGNING_KEY"):
        return "Mailgun inbound is disabled: set MAILGUN_WEBHOOK_SIGNING_KEY."
    return None


@csrf_exempt
@login_not_required
def inbound_email_webhook(request, esp: str):
    if esp not in INBOUND_VIEWS:
        raise Http404("Unknown email provider")
    problem = _missing_configuration(esp)
    if problem:
        # Refuse rather than accept unauthenticated mail into candidates' timelines.
        return _text(problem, 503)
    if request.method == "POST":
        refusal = _read_body(request)
        if refusal:
            return refusal
    return _view(esp)(request)


def handle_inbound(sender, event, esp_name, **kwargs) -> None:
    try:
        raw = event.raw if isinstance(event, RawInboundEvent) else event.message.as_bytes()
    except _MALFORMED as exc:  # a message anymail built but cannot serialise
        raise MalformedPost(f"{type(exc).__name__}: {exc}") from exc
    now = timezone.now()
    # The provider's own id of this message: a redelivery carries it whatever the rebuilt bytes.
    provider_id = f"{esp_name.lower()}:{event.event_id}" if event.event_id else ""
    try:
        # The score refresh is left to the minutely drain (``candidates.freshness``): the
        # provider waits for our answer, and the refresh was half of each request's work. The
        # stale mark is written in the same transaction as the contact, so nothing is lost.
        outcome = email_ingest(
            raw=raw,
            source=ContactSource.WEBHOOK,
            now=now,
            provider_id=provider_id,
            drain_scores=False,
        )
    except NotAnEmail as exc:
        email_reject(raw=raw, source=ContactSource.WEBHOOK, now=now, reason=str(exc))
        return
    if outcome.status == "too large":
        raise MessageTooLarge(outcome.detail)


def connect_signals() -> None:
    inbound.connect(handle_inbound, dispatch_uid="followups.webhooks.handle_inbound")
