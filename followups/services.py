from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from followups.models import Channel, Contact, ContactSource, Direction

#: Contacts logged by hand may be back-dated, but not into the future beyond clock skew.
FUTURE_TOLERANCE = timedelta(minutes=5)


class WouldContaminate(ValidationError):
    """Logging this outbound contact would contaminate a running silence test."""


DONT_CHASE_MESSAGE = (
    "Don't chase — the silence test is running. Contacting the candidate now makes the test "
    "not comparable. Confirm only if the contact really happened."
)


@transaction.atomic
def contact_log(
    *,
    application,
    channel: str,
    direction: str,
    occurred_at: datetime,
    summary: str,
    logged_by,
    now: datetime,
    confirm_contamination: bool = False,
) -> Contact:
    """Log a contact on an application's timeline.

    An outbound contact while the application's silence test is observing raises
    ``WouldContaminate`` unless ``confirm_contamination``; once confirmed, the test is marked
    contaminated (and shows so everywhere).
    """
    from hiring.models import SilenceTest, SilenceTestState
    from hiring.services import silence_test_contaminate

    if occurred_at.tzinfo is None:
        raise ValidationError("The contact time needs a time zone.")
    if occurred_at > now + FUTURE_TOLERANCE:
        raise ValidationError("A contact cannot be logged in the future.", code="future")
    Channel(channel)
    Direction(direction)
    observing = (
        direction == Direction.OUTBOUND
        and SilenceTest.objects.filter(
            application_id=application.pk,
            state=SilenceTestState.OBSERVING,
            deadline_at__lte=occurred_at,
        ).exists()
    )
    if observing and not confirm_contamination:
        raise WouldContaminate(DONT_CHASE_MESSAGE, code="would_contaminate")
    contact = Contact.objects.create(
        candidate_id=application.candidate_id,
        application=application,
        channel=channel,
        direction=direction,
        occurred_at=occurred_at,
        summary=summary.strip(),
        logged_by=logged_by,
        source=ContactSource.MANUAL,
    )
    if observing:
        silence_test_contaminate(application_id=application.pk, contact=contact, now=now)
    return contact
