"""django-q2 entry points: one-line wrappers around services. Arguments are ids only."""

from django.utils import timezone

from decisions.services import scheduled_emails_send_due


def send_scheduled_emails() -> dict:
    return scheduled_emails_send_due(now=timezone.now())
