"""Reads for the personal-data features: which candidates the retention policy is due to erase."""

from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet

from candidates.models import Application, Candidate, InterviewRound, Scorecard, StageTransition
from followups.models import Contact, Promise
from hiring.models import SilenceTest
from privacy.models import ErasureRecord, RetentionPolicy
from privacy.retention import months_before


def retention_months() -> int | None:
    """The policy's months, or None when retention is disabled (no policy row or no value)."""
    return (
        RetentionPolicy.objects.filter(singleton=True)
        .values_list("anonymise_after_months", flat=True)
        .first()
    )


def erased_candidate_pks() -> QuerySet:
    return ErasureRecord.objects.values("candidate_pk")


def candidates_without_activity_since(*, cutoff: datetime) -> QuerySet:
    """Candidates (not yet erased) with nothing at or after ``cutoff``: one SQL query.

    Activity is anything that shows the candidate is still in play: the candidate's creation,
    a contact (logged or received), an application created or edited, a stage change, an
    interview round created or scheduled, a scorecard, a promise or a silence test.
    """

    candidate = OuterRef("pk")
    recent = {
        "contact": Contact.objects.filter(
            Q(occurred_at__gte=cutoff) | Q(created_at__gte=cutoff), candidate_id=candidate
        ),
        "application": Application.objects.filter(
            Q(created_at__gte=cutoff) | Q(updated_at__gte=cutoff), candidate_id=candidate
        ),
        "transition": StageTransition.objects.filter(
            application__candidate_id=candidate, at__gte=cutoff
        ),
        "round": InterviewRound.objects.filter(
            Q(created_at__gte=cutoff) | Q(scheduled_at__gte=cutoff),
            application__candidate_id=candidate,
        ),
        "scorecard": Scorecard.objects.filter(
            round__application__candidate_id=candidate, submitted_at__gte=cutoff
        ),
        "promise": Promise.objects.filter(
            Q(created_at__gte=cutoff) | Q(due_at__gte=cutoff), application__candidate_id=candidate
        ),
        "silence_test": SilenceTest.objects.filter(
            application__candidate_id=candidate, updated_at__gte=cutoff
        ),
    }
    queryset = Candidate.objects.filter(created_at__lt=cutoff).exclude(
        pk__in=erased_candidate_pks()
    )
    for subquery in recent.values():
        queryset = queryset.exclude(Exists(subquery))
    return queryset.order_by("pk")


def retention_due_candidate_pks(*, now: datetime, limit: int) -> list[int]:
    """Up to ``limit`` pks the policy says to erase now; empty when the policy is disabled."""
    months = retention_months()
    if not months:
        return []
    cutoff = months_before(now, months)
    return list(
        candidates_without_activity_since(cutoff=cutoff).values_list("pk", flat=True)[:limit]
    )
