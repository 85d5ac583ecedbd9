from dataclasses import dataclass

from django.contrib.postgres.aggregates import ArrayAgg, JSONBAgg
from django.db.models import Case, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import JSONObject
from django.shortcuts import get_object_or_404

from candidates.models import Application
from candidates.selectors import candidate_match
from followups import policy
from followups.models import (
    Contact,
    ContactTag,
    EmailAttachment,
    QualityTag,
    RequisitionVersion,
)
from hiring.models import TERMINAL_KINDS


def contacts_visible_to(user):
    """Contacts the user may see: ``followups.policy.contacts_visible_to`` (the one rule)."""
    return policy.contacts_visible_to(user)


#: Results shown while typing in the quick-log search.
QUICK_SEARCH_LIMIT = 10


def applications_matching(*, user, query: str):
    """Applications the user may see whose candidate matches what was typed (the one rule:
    ``candidates.selectors.candidate_match``), open ones first, most recently active first.
    An over-long query finds nothing."""
    try:
        condition = candidate_match(user=user, query=query)
    except ValueError:
        condition = None
    if condition is None:
        return Application.objects.none()
    return (
        Application.objects.visible_to(user)
        .annotate(
            finished=Case(
                When(stage__kind__in=TERMINAL_KINDS, then=Value(True)),
                default=Value(False),
            ),
        )
        .filter(condition)
        .select_related("candidate", "requisition", "stage")
        .annotate_primary_email()
        .order_by("finished", "-updated_at", "id")[:QUICK_SEARCH_LIMIT]
    )


def unmatched_queue(*, user):
    """Inbound contacts waiting for this user to attach or dismiss, newest first."""
    return policy.unmatched_queue_visible_to(user).order_by("-occurred_at", "-id")


def application_for_timeline(*, user, pk: int) -> Application:
    """The application whose timeline the user pages through: the page's own visibility."""
    return get_object_or_404(Application.objects.visible_to(user).only("pk"), pk=pk)


#: Contacts per page of an application's timeline (the rest load with "Older contacts").
TIMELINE_PAGE_SIZE = 20


@dataclass
class TimelinePage:
    contacts: list
    #: The id to ask the next page with (``before``), None on the last page.
    older_than: int | None


def timeline_page(
    *, application, before: int | None = None, size: int = TIMELINE_PAGE_SIZE
) -> TimelinePage:
    """One page of the application's contacts, newest first, in exactly one query.

    Keyset-paged on (occurred_at, id), not by offset: contacts logged at the same instant are
    neither repeated nor skipped from one page to the next, and a contact arriving while the
    user reads does not shift the pages. ``before`` is the id of the last contact already shown
    (a contact of another application yields an empty page). Tags and attachments come as
    arrays aggregated in subqueries, so an empty page costs the same as a full one."""
    contacts = Contact.objects.filter(application_id=application.pk)
    if before is not None:
        anchor = Subquery(
            Contact.objects.filter(application_id=application.pk, pk=before).values("occurred_at")[
                :1
            ]
        )
        contacts = contacts.filter(Q(occurred_at__lt=anchor) | Q(occurred_at=anchor, pk__lt=before))
    tags = (
        ContactTag.objects.filter(contact_id=OuterRef("pk"))
        .order_by()
        .values("contact_id")
        .annotate(tags=ArrayAgg("tag", order_by="tag"))
        .values("tags")
    )
    attachments = (
        EmailAttachment.objects.filter(contact_id=OuterRef("pk"))
        .order_by()
        .values("contact_id")
        .annotate(
            items=JSONBAgg(
                JSONObject(
                    filename="filename",
                    content_type="content_type",
                    size="size",
                    oversized="oversized",
                ),
                order_by="id",
            )
        )
        .values("items")
    )
    rows = list(
        contacts.select_related("logged_by")
        .annotate(tag_values=Subquery(tags), attachment_items=Subquery(attachments))
        .order_by("-occurred_at", "-id")[: size + 1]
    )
    for contact in rows:
        contact.tag_list = [
            {"tag": tag, "label": QualityTag(tag).label} for tag in contact.tag_values or ()
        ]
        contact.attachment_list = contact.attachment_items or []
    more = len(rows) > size
    rows = rows[:size]
    return TimelinePage(contacts=rows, older_than=rows[-1].pk if more else None)


def requisitions_with_version(requisitions):
    """``requisitions`` (a query set, already ``visible_to`` the viewer) with
    ``page_version``: the requisition's ``RequisitionVersion``, which changes with every write to
    what its ranking, board and the manager's home show (None only if its row is missing, in
    which case nothing may be cached). A subquery of the caller's own query: the visibility
    check and the version cost one round trip."""
    version = RequisitionVersion.objects.filter(requisition_id=OuterRef("pk")).values("version")
    return requisitions.annotate(page_version=Subquery(version[:1]))
