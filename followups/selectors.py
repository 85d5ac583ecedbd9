import re

from django.db.models import Case, Exists, OuterRef, Q, Value, When
from django.db.models.functions import Concat

from candidates.models import Application, CandidateEmail, CandidatePhone
from candidates.normalize import phone_search_prefix
from followups import policy
from hiring.models import TERMINAL_KINDS, Requisition


def contacts_visible_to(user):
    """Contacts the user may see: ``followups.policy.contacts_visible_to`` (the one rule)."""
    return policy.contacts_visible_to(user)


#: Results shown while typing in the quick-log search.
QUICK_SEARCH_LIMIT = 10
#: Digits needed before a search also looks at phone numbers.
MIN_PHONE_DIGITS = 4


def applications_matching(*, user, query: str):
    """Applications the user may see whose candidate matches a name, address or number."""

    query = query.strip()
    if len(query) < 2:
        return Application.objects.none()
    by_email = CandidateEmail.objects.filter(
        candidate_id=OuterRef("candidate_id"), address__icontains=query
    )
    condition = Q(full_name__icontains=query) | Exists(by_email)
    digits = re.sub(r"\D", "", query)
    if len(digits) >= MIN_PHONE_DIGITS:
        by_phone = CandidatePhone.objects.filter(
            candidate_id=OuterRef("candidate_id"), number__contains=digits
        )
        condition |= Exists(by_phone)
        # A number typed the way the add-candidate form reads it (national format, with the
        # requisition's country as the default region) matches that requisition's candidates.
        countries = Requisition.objects.visible_to(user).values_list("country", flat=True)
        for country in sorted(set(countries)):
            prefix = phone_search_prefix(query, region=country)
            if prefix is not None:
                by_national = CandidatePhone.objects.filter(
                    candidate_id=OuterRef("candidate_id"), number__startswith=prefix
                )
                condition |= Q(requisition__country=country) & Exists(by_national)
    return (
        Application.objects.visible_to(user)
        .annotate(
            full_name=Concat("candidate__first_name", Value(" "), "candidate__last_name"),
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
