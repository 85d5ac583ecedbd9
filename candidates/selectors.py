import re
from collections.abc import Callable, Iterable

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Value
from django.db.models.functions import Concat
from django.shortcuts import get_object_or_404

from candidates.models import (
    Application,
    ApplicationCV,
    Candidate,
    CandidateEmail,
    CandidatePhone,
    InterviewRound,
    Scorecard,
    StageTransition,
)
from candidates.normalize import normalize_phone
from hiring.models import Requisition, SilenceTest

#: Prefetches that apps above this one add to the application page (contacts, promises):
#: registered from their ``AppConfig.ready()``, like the page sections of ``candidates.views``:
#: this layer may not import them.
_page_prefetches: list[Callable[[], list[Prefetch]]] = []


def application_page_prefetch_register(prefetches: Callable[[], list[Prefetch]]) -> None:
    if prefetches not in _page_prefetches:
        _page_prefetches.append(prefetches)


def application_for_page(*, user, pk: int) -> Application:
    """The application page's data, scoped to what the user may see (404 otherwise)."""
    queryset = (
        Application.objects.visible_to(user)
        .select_related(
            "candidate",
            "stage",
            "requisition__pipeline",
            "requisition__hiring_manager",
        )
        .annotate_scorecard_average()
        .prefetch_related(
            "candidate__emails",
            "candidate__phones",
            Prefetch("cvs", queryset=ApplicationCV.objects.select_related("uploaded_by")),
            Prefetch(
                "rounds",
                queryset=InterviewRound.objects.order_by("sequence").prefetch_related(
                    "interviewers",
                    Prefetch(
                        "scorecards",
                        queryset=Scorecard.objects.select_related("interviewer").order_by(
                            "submitted_at"
                        ),
                    ),
                ),
            ),
            Prefetch(
                "silence_tests",
                queryset=SilenceTest.objects.select_related("announced_by").order_by(
                    "-announced_at", "-id"
                ),
            ),
            Prefetch(
                "transitions",
                queryset=StageTransition.objects.select_related(
                    "from_stage", "to_stage", "actor"
                ).order_by("-at", "-id"),
            ),
        )
    )
    for prefetches in _page_prefetches:
        queryset = queryset.prefetch_related(*prefetches())
    return get_object_or_404(queryset, pk=pk)


def other_applications(*, user, application: Application):
    """The candidate's applications on other requisitions the user may also see."""
    return (
        Application.objects.visible_to(user)
        .filter(candidate_id=application.candidate_id)
        .exclude(pk=application.pk)
        .select_related("requisition", "stage")
    )


def candidate_for_new_application(user, *, emails) -> Candidate | None:
    """The existing candidate a new application of ``user``'s should join, if any.

    Only candidates the user may already see are considered: an address that belongs to
    another team's candidate neither links to that person nor reveals that they exist (the new
    application gets a candidate of its own; inbound mail from the shared address is then
    routed by ``followups.routing``). Raises ``ValueError`` when the addresses name several
    candidates the user sees.
    """
    if not emails:
        return None
    matches = list(
        Candidate.objects.visible_to(user)
        .filter(emails__address__in=list(emails))
        .values_list("pk", flat=True)
        .distinct()[:2]
    )
    if len(matches) > 1:
        raise ValueError(
            "These addresses belong to different existing candidates; ask an admin to merge "
            "them before adding an application."
        )
    return Candidate.objects.get(pk=matches[0]) if matches else None


def stage_usage_counts(stage_ids) -> dict[int, int]:
    """Per stage, the applications in it now or moved into it (history), two grouped queries:
    the larger of the two, since an application in a stage normally has history into it."""
    counts: dict[int, int] = {}
    current = (
        Application.objects.filter(stage_id__in=stage_ids)
        .order_by()
        .values("stage_id")
        .annotate(n=Count("pk"))
        .values_list("stage_id", "n")
    )
    history = (
        StageTransition.objects.filter(to_stage_id__in=stage_ids)
        .order_by()
        .values("to_stage_id")
        .annotate(n=Count("application_id", distinct=True))
        .values_list("to_stage_id", "n")
    )
    for stage_id, n in [*current, *history]:
        counts[stage_id] = max(counts.get(stage_id, 0), n)
    return counts


# --- Find anyone (the top bar's search) --------------------------------------------------------

#: Longer queries are refused (a name, an address or a number is far shorter): bounded work.
SEARCH_MAX_LENGTH = 100
#: The most applications one search lists.
SEARCH_LIMIT = 50
#: A query with at least this many digits is also tried as (part of) a phone number.
SEARCH_MIN_PHONE_DIGITS = 6


def _phone_numbers(query: str, regions: Iterable[str]) -> set[str]:
    """The E.164 numbers ``query`` can be, read internationally or in any of ``regions``'
    national formats, by the one normaliser every other path uses (``candidates.normalize``)."""
    numbers = set()
    for region in (None, *regions):
        try:
            numbers.add(normalize_phone(query, region=region))
        except ValidationError:
            continue
    return numbers


def application_search(*, user, query: str):
    """Applications the user may see whose candidate matches ``query``: part of the name, part
    of an address, or a phone number in any format (+1 415…, (415) 555-0100, 0171 …).

    Two queries whatever matches: the countries of the user's requisitions (the national
    formats to read a number in), then the applications. Raises ``ValueError`` for a query
    longer than ``SEARCH_MAX_LENGTH``.
    """
    if len(query) > SEARCH_MAX_LENGTH * 2:  # before any work on it
        raise ValueError(f"Search for at most {SEARCH_MAX_LENGTH} characters.")
    # Control characters (NUL, which PostgreSQL text cannot hold) never belong to a name.
    query = " ".join("".join(ch for ch in query if ch.isprintable()).split())
    if len(query) > SEARCH_MAX_LENGTH:
        raise ValueError(f"Search for at most {SEARCH_MAX_LENGTH} characters.")
    if len(query) < 2:
        return []
    by_email = CandidateEmail.objects.filter(
        candidate_id=OuterRef("candidate_id"), address__icontains=query
    )
    condition = Q(full_name__icontains=query) | Exists(by_email)
    digits = re.sub(r"\D", "", query)
    if len(digits) >= SEARCH_MIN_PHONE_DIGITS:
        regions = sorted(
            set(
                Requisition.objects.visible_to(user)
                .order_by()
                .values_list("country", flat=True)
                .distinct()
            )
        )
        phone = Q(number__in=_phone_numbers(query, regions))
        # A fragment of a number, with its trunk zero dropped: "7700 900" finds +447700900123.
        phone |= Q(number__contains=digits.lstrip("0"))
        condition |= Exists(
            CandidatePhone.objects.filter(phone, candidate_id=OuterRef("candidate_id"))
        )
    return list(
        Application.objects.visible_to(user)
        .annotate(full_name=Concat("candidate__first_name", Value(" "), "candidate__last_name"))
        .filter(condition)
        .select_related("candidate", "requisition", "stage")
        .annotate_primary_email()
        .order_by("candidate__last_name", "candidate__first_name", "-updated_at", "id")[
            :SEARCH_LIMIT
        ]
    )


def cvs_for_export(*, candidate, viewer):
    """The candidate's CVs the exporter may see (``viewer`` None: the system, every one)."""
    cvs = ApplicationCV.objects.filter(application__candidate=candidate)
    if viewer is not None:
        cvs = cvs.visible_to(viewer)
    return cvs.order_by("uploaded_at", "pk")


def cv_export_section(*, candidate, viewer) -> dict:
    """Export hook (``privacy``): the CVs' records; the archive carries the files under
    ``cvs/``."""
    return {
        "cvs": [
            {
                "id": cv.pk,
                "application_id": cv.application_id,
                "filename": cv.filename,
                "content_type": cv.content_type,
                "size": cv.size,
                "uploaded_at": cv.uploaded_at,
                "archive_path": f"cvs/{cv.pk}-{cv.filename}",
            }
            for cv in cvs_for_export(candidate=candidate, viewer=viewer)
        ]
    }
