from collections.abc import Callable

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from candidates.models import Application, Candidate, InterviewRound, Scorecard, StageTransition
from hiring.models import SilenceTest, Stage

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
            # The forms' choices (stages to move to, the team to name) render from these.
            Prefetch("requisition__pipeline__stages", queryset=Stage.objects.order_by("order")),
            "requisition__recruiters",
            Prefetch(
                "silence_tests",
                queryset=SilenceTest.objects.select_related("announced_by", "stage").order_by(
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
