"""Services for what recruiters add to a contact: call duration, quality tags, promises.

Promises are resolved set-based by ``promises_sweep`` (run every minute and right after a
contact is logged): an inbound contact from the candidate — on the promised channel when one was
named — between the promise and its due time (plus a grace period) keeps it; a due time that
passes without one breaks it.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery

from candidates.freshness import mark_scores_stale
from followups.models import (
    Contact,
    ContactTag,
    Direction,
    Promise,
    PromiseStatus,
    QualityTag,
)
from followups.services import contact_log

#: "I'll call Monday at 10" still counts as kept at 11:30.
PROMISE_GRACE = timedelta(hours=2)
#: Longest promise horizon accepted (a typo of a year is refused).
MAX_PROMISE_HORIZON = timedelta(days=60)


@transaction.atomic
def contact_details_set(
    *,
    contact: Contact,
    duration_seconds: int | None,
    tags: Iterable[str],
    actor,
) -> Contact:
    """Set a contact's call duration and replace its quality tags."""
    tags = list(dict.fromkeys(tags))
    unknown = [t for t in tags if t not in QualityTag.values]
    if unknown:
        raise ValidationError(f"Unknown quality tags: {', '.join(unknown)}.")
    if duration_seconds is not None and duration_seconds < 0:
        raise ValidationError("A call cannot last less than no time.")
    if duration_seconds != contact.duration_seconds:
        contact.duration_seconds = duration_seconds
        contact.save(update_fields=["duration_seconds"])
    contact.tags.exclude(tag__in=tags).delete()
    existing = set(contact.tags.values_list("tag", flat=True))
    ContactTag.objects.bulk_create(
        ContactTag(contact=contact, tag=tag, added_by=actor) for tag in tags if tag not in existing
    )
    mark_scores_stale([contact.application_id])
    return contact


@transaction.atomic
def promise_record(
    *,
    application,
    description: str,
    due_at: datetime,
    channel: str = "",
    made_in: Contact | None = None,
    created_by=None,
    now: datetime,
) -> Promise:
    """Record what the candidate promised ("I'll call you Monday") and when it is due."""
    if due_at.tzinfo is None:
        raise ValidationError("The promise's due time needs a time zone.")
    if not description.strip():
        raise ValidationError("Say what the candidate promised.")
    if due_at > now + MAX_PROMISE_HORIZON:
        raise ValidationError("That due time is more than two months away; check the date.")
    promise = Promise.objects.create(
        application=application,
        description=description.strip()[:300],
        channel=channel,
        due_at=due_at,
        made_in=made_in,
        created_by=created_by,
    )
    if made_in is not None:
        ContactTag.objects.get_or_create(
            contact=made_in, tag=QualityTag.PROMISE_MADE, defaults={"added_by": created_by}
        )
    mark_scores_stale([application.pk])
    return promise


def _keeping_contacts(*, same_channel: bool):
    """Inbound, human contacts that keep the outer promise, earliest first."""
    contacts = Contact.objects.filter(
        application_id=OuterRef("application_id"),
        direction=Direction.INBOUND,
        is_automated=False,
        occurred_at__gte=OuterRef("created_at"),
        occurred_at__lte=OuterRef("due_at") + PROMISE_GRACE,
    )
    if same_channel:
        contacts = contacts.filter(channel=OuterRef("channel"))
    return contacts.order_by("occurred_at", "id")


def promises_sweep(*, now: datetime, application_id: int | None = None) -> dict[str, int]:
    """Resolve open promises, set-based: kept by a matching inbound contact, broken once the due
    time (plus grace) has passed without one."""
    open_promises = Promise.objects.filter(status=PromiseStatus.OPEN)
    if application_id is not None:
        open_promises = open_promises.filter(application_id=application_id)
    kept = 0
    with transaction.atomic():
        for same_channel, promises in (
            (False, open_promises.filter(channel="")),
            (True, open_promises.exclude(channel="")),
        ):
            keeping = _keeping_contacts(same_channel=same_channel)
            kept += promises.filter(Exists(keeping)).update(
                status=PromiseStatus.KEPT,
                resolved_at=now,
                kept_by=Subquery(keeping.values("pk")[:1]),
            )
        broken = open_promises.filter(due_at__lt=now - PROMISE_GRACE).update(
            status=PromiseStatus.BROKEN, resolved_at=now
        )
    return {"kept": kept, "broken": broken}


@transaction.atomic
def contact_log_with_details(
    *,
    application,
    channel: str,
    direction: str,
    occurred_at: datetime,
    summary: str,
    logged_by,
    now: datetime,
    duration_seconds: int | None = None,
    tags: Iterable[str] = (),
    promise: str = "",
    promise_due: datetime | None = None,
    confirm_contamination: bool = False,
) -> Contact:
    """Everything a recruiter logs about one contact, in one transaction: the contact (with the
    don't-chase check), its duration and tags, the promise made in it, and promise resolution."""
    contact = contact_log(
        application=application,
        channel=channel,
        direction=direction,
        occurred_at=occurred_at,
        summary=summary,
        logged_by=logged_by,
        now=now,
        confirm_contamination=confirm_contamination,
    )
    contact_details_set(
        contact=contact, duration_seconds=duration_seconds, tags=tags, actor=logged_by
    )
    if promise:
        promise_record(
            application=application,
            description=promise,
            due_at=promise_due,
            channel="",
            made_in=contact,
            created_by=logged_by,
            now=now,
        )
    promises_sweep(now=now, application_id=application.pk)
    return contact
