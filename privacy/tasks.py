"""django-q2 entry points: one-line wrappers around services. Arguments are ids only."""

from dataclasses import asdict

from django.utils import timezone

from privacy.services import retention_apply


def apply_retention_policy() -> dict:
    return asdict(retention_apply(now=timezone.now()))
