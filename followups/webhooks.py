"""ESP inbound-email webhooks (Mailgun, SendGrid, Postmark) through django-anymail.

anymail validates the request (HTTP basic auth with ANYMAIL_WEBHOOK_SECRET, plus Mailgun's
signature) and turns each ESP's format into a standard email message; we store it through the
same ingest service as the pipe and IMAP paths. An error (e.g. the database is down) answers
500, so the ESP retries; a repeated delivery is recognised by its Message-ID.
"""

from functools import cache

from anymail.signals import inbound
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from followups.email_parsing import NotAnEmail
from followups.models import ContactSource
from followups.services import email_ingest, email_reject

INBOUND_VIEWS = {
    "mailgun": MailgunInboundWebhookView,
    "sendgrid": SendGridInboundWebhookView,
    "postmark": PostmarkInboundWebhookView,
}


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
        return HttpResponse(problem, status=503, content_type="text/plain")
    return _view(esp)(request)


def handle_inbound(sender, event, esp_name, **kwargs) -> None:
    raw = event.message.as_bytes()
    now = timezone.now()
    try:
        email_ingest(raw=raw, source=ContactSource.WEBHOOK, now=now)
    except NotAnEmail as exc:
        email_reject(raw=raw, source=ContactSource.WEBHOOK, now=now, reason=str(exc))


def connect_signals() -> None:
    inbound.connect(handle_inbound, dispatch_uid="followups.webhooks.handle_inbound")
