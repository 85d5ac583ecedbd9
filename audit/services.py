"""Writing the audit trail. Callers pass ids, stage names, numbers and field *names* in
``details`` — never a candidate's name, address, number or any free text (see models.py)."""

from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models

from audit.models import AuditAction, AuditEvent

__all__ = [
    "REFUSED_CODE",
    "AuditAction",
    "audit_record",
    "audit_record_many",
    "audit_request_context",
]

#: The ``code`` of a ValidationError raised by a permission rule (not a typo): the admin records
#: a form refused with it as an ``admin_refused`` event.
REFUSED_CODE = "refused"

# The request being served, so events raised deep inside a service or a signal (role changes
# made in the Django admin) still know who made them and from which address.
_current_request: ContextVar = ContextVar("audit_current_request", default=None)

# Marker default: "the signed-in user of the current request"; an explicit None is the system.
FROM_REQUEST = object()


@contextmanager
def audit_request_context(request):
    token = _current_request.set(request)
    try:
        yield
    finally:
        _current_request.reset(token)


def _client_ip(request) -> str | None:
    if request is None:
        return None
    # The same resolution django-axes uses for lockouts (REMOTE_ADDR unless a trusted proxy
    # count is configured), so the log and the lockout agree about who the client is.
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request)


def _actor_from(actor, request):
    if actor is not FROM_REQUEST:
        return actor
    user = getattr(request, "user", None) if request is not None else None
    return user if user is not None and user.is_authenticated else None


def _event(*, action, actor, object_type, object_id, details, request) -> AuditEvent:
    actor = _actor_from(actor, request)
    return AuditEvent(
        action=action,
        actor=actor,
        actor_username=actor.get_username() if actor is not None else "",
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        details=details or {},
        ip_address=_client_ip(request),
    )


def audit_record(
    *,
    action: AuditAction,
    actor=FROM_REQUEST,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: int | str | None = None,
    details: dict | None = None,
    request=None,
) -> AuditEvent:
    """Insert one event, in the caller's transaction (a rolled-back change leaves none)."""
    if obj is not None:
        object_type, object_id = obj._meta.label_lower, obj.pk
    event = _event(
        action=action,
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        details=details,
        request=request if request is not None else _current_request.get(),
    )
    event.save()
    return event


def audit_record_many(
    *,
    action: AuditAction,
    model: type[models.Model],
    items: Iterable[tuple[int, dict]],
    actor=FROM_REQUEST,
) -> int:
    """One event per (object id, details), in one INSERT: for set-based services."""
    request = _current_request.get()
    events = [
        _event(
            action=action,
            actor=actor,
            object_type=model._meta.label_lower,
            object_id=object_id,
            details=details,
            request=request,
        )
        for object_id, details in items
    ]
    AuditEvent.objects.bulk_create(events)
    return len(events)
