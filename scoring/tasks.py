"""django-q2 entry points: one-line wrappers around services. Arguments are ids only."""

from django.utils import timezone

from scoring.scores import scores_recompute_all, stale_scores_drain


def drain_stale_scores() -> int:
    """Every minute, and after a commit that marked many: recompute every stale score."""
    return stale_scores_drain()


def rescore_all() -> int:
    return scores_recompute_all(now=timezone.now())
