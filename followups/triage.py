"""Services for the unmatched queue: attach a contact to a candidate, or dismiss it."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.services import AuditAction, audit_record
from candidates.services import candidate_email_add, candidate_phone_add
from followups.email_parsing import NotAnEmail, parse_email
from followups.models import QUEUE_STATUSES, Channel, Contact, Direction, MatchStatus
from followups.recording import contact_record
from followups.services import email_answers_ours


def _lock_queued(contact_id: int) -> Contact:
    contact = (
        Contact.objects.select_for_update(of=("self",)).select_related("message").get(pk=contact_id)
    )
    if contact.match_status not in QUEUE_STATUSES:
        raise ValidationError(
            "This contact was already resolved by someone else.", code="already_resolved"
        )
    return contact


@transaction.atomic
def contact_attach(
    *, contact_id: int, application, add_identifier: bool, actor, now: datetime
) -> Contact:
    """Attach a queued contact to an application, optionally teaching the candidate the address
    or number it came from, and classify it again as if it had matched on arrival."""
    contact = _lock_queued(contact_id)
    candidate = application.candidate
    parsed = None
    if contact.channel == Channel.EMAIL and contact.message is not None:
        try:
            parsed = parse_email(bytes(contact.message.raw))
        except NotAnEmail:
            parsed = None
    if add_identifier:
        if parsed is not None and parsed.from_address and contact.direction == Direction.INBOUND:
            candidate_email_add(candidate=candidate, address=parsed.from_address)
        elif contact.phone_number:
            candidate_phone_add(candidate=candidate, number=contact.phone_number)
    contact.candidate = candidate
    contact.application = application
    contact.match_status = MatchStatus.MATCHED
    contact.match_note = f"Attached by {actor.get_full_name() or actor.get_username()}"
    # Classified, checked for contamination and scored as if it had matched on arrival.
    contact_record(
        contact=contact, now=now, answers_ours=parsed is not None and email_answers_ours(parsed)
    )
    audit_record(
        action=AuditAction.CONTACT_ATTACHED,
        actor=actor,
        obj=contact,
        details={
            "application": application.pk,
            "candidate": candidate.pk,
            "identifier_added": add_identifier,
        },
    )
    return contact


@transaction.atomic
def contact_dismiss(*, contact_id: int, actor, now: datetime) -> Contact:
    """Not a candidate (a vendor, a newsletter): keep it, but out of the queue."""
    contact = _lock_queued(contact_id)
    contact.match_status = MatchStatus.DISMISSED
    contact.match_note = (
        f"Dismissed as not a candidate by {actor.get_full_name() or actor.get_username()} "
        f"on {now:%Y-%m-%d}"
    )
    contact.save(update_fields=["match_status", "match_note"])
    audit_record(action=AuditAction.CONTACT_DISMISSED, actor=actor, obj=contact)
    return contact
