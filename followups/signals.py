"""Keep stored scores current when what they are computed from changes.

Receivers only schedule a recompute after the commit (never inside the transaction); bulk
writes that bypass signals call ``scores_refresh_on_commit`` (CSV imports) or, for the sweeper,
``scores_refresh_in_transaction`` themselves.
"""

from django.db.models.signals import post_delete, post_save

from followups.models import Contact, ContactTag, Promise
from followups.scores import scores_refresh_on_commit


def _contact_changed(sender, instance: Contact, **kwargs) -> None:
    scores_refresh_on_commit([instance.application_id])


def _tag_changed(sender, instance: ContactTag, **kwargs) -> None:
    application_id = (
        Contact.objects.filter(pk=instance.contact_id)
        .values_list("application_id", flat=True)
        .first()
    )
    scores_refresh_on_commit([application_id])


def _promise_changed(sender, instance: Promise, **kwargs) -> None:
    scores_refresh_on_commit([instance.application_id])


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(_contact_changed, sender=Contact, dispatch_uid=f"score-contact-{signal}")
        signal.connect(_tag_changed, sender=ContactTag, dispatch_uid=f"score-tag-{signal}")
        signal.connect(_promise_changed, sender=Promise, dispatch_uid=f"score-promise-{signal}")
