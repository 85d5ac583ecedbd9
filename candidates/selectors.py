from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from candidates.models import Application, InterviewRound, Scorecard, StageTransition
from followups.models import Contact, Promise
from hiring.models import SilenceTest


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
            Prefetch(
                "silence_tests",
                queryset=SilenceTest.objects.select_related("announced_by").order_by(
                    "-announced_at", "-id"
                ),
            ),
            Prefetch(
                "contacts",
                queryset=Contact.objects.select_related("logged_by")
                .prefetch_related("attachments", "tags")
                .order_by("-occurred_at", "-id"),
            ),
            Prefetch("promises", queryset=Promise.objects.order_by("due_at", "id")),
            Prefetch(
                "transitions",
                queryset=StageTransition.objects.select_related(
                    "from_stage", "to_stage", "actor"
                ).order_by("-at", "-id"),
            ),
        )
    )
    return get_object_or_404(queryset, pk=pk)


def other_applications(*, user, application: Application):
    """The candidate's applications on other requisitions the user may also see."""
    return (
        Application.objects.visible_to(user)
        .filter(candidate_id=application.candidate_id)
        .exclude(pk=application.pk)
        .select_related("requisition", "stage")
    )
