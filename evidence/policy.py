"""Who may see and do what with the evidence: the one place these rules are written.

* Self-identification is never shown one person at a time in the product. Holders of
  ``evidence.view_bias_audit`` (the Admins group) see it counted into the bias audit; a
  subject-access export made by an admin (or the system) carries the candidate's own answers
  back to them; nobody else's export does.
* Post-hire outcomes are recorded by admins and the requisition's hiring manager.
* An alternative assessment (accommodation request) is marked by anyone on the team.
* Requisitions in ``settings.HUMAN_REVIEW_COUNTRIES`` are never rejected by the silence test
  alone (GDPR Art. 22): a rejection there names the person who decided.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q

from candidates.models import Application
from hiring import policy as hiring_policy
from hiring.models import Requisition, StageKind
from hiring.roles import is_admin, is_hiring_manager

VIEW_BIAS_AUDIT = "evidence.view_bias_audit"


def _active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def may_view_evidence(user) -> bool:
    """The bias audit and validity pages: aggregates only, for the permission's holders."""
    return _active(user) and user.has_perm(VIEW_BIAS_AUDIT)


def export_includes_self_id(viewer) -> bool:
    """Whether a subject-access export made by ``viewer`` carries the self-identification.
    None is the system."""
    return viewer is None or (_active(viewer) and is_admin(viewer))


def may_record_outcome(user, application) -> bool:
    return (
        _active(user)
        and application.stage.kind == StageKind.HIRED
        and (is_admin(user) or application.requisition.hiring_manager_id == user.pk)
        and hiring_policy.applications_visible_to(user).filter(pk=application.pk).exists()
    )


def may_record_outcomes_at_all(user) -> bool:
    """Whether the outcomes list is worth showing to ``user`` (admins and hiring managers)."""
    return _active(user) and (is_admin(user) or is_hiring_manager(user))


def outcome_applications_for(user):
    """Hired applications whose outcomes ``user`` may record (``may_record_outcome`` as SQL)."""
    if not may_record_outcomes_at_all(user):
        return Application.objects.none()
    hired = hiring_policy.applications_visible_to(user).filter(stage__kind=StageKind.HIRED)
    return hired if is_admin(user) else hired.filter(requisition__hiring_manager_id=user.pk)


def may_mark_alternative_assessment(user, application) -> bool:
    return _active(user) and (
        hiring_policy.applications_visible_to(user).filter(pk=application.pk).exists()
    )


def requires_human_review(country: str) -> bool:
    """A requisition in this country is never rejected by the silence test alone."""
    return (country or "").upper() in settings.HUMAN_REVIEW_COUNTRIES


def auto_rejection_excluded(prefix: str = "") -> Q:
    """Applications the silence test never rejects on its own, as a condition on the
    application (``prefix`` is the path to it, e.g. ``"application__"``): those of requisitions
    where a human must decide, and those on an alternative assessment."""
    return Q(**{f"{prefix}requisition__country__in": sorted(settings.HUMAN_REVIEW_COUNTRIES)}) | Q(
        **{f"{prefix}alternative_assessment": True}
    )


def require_human_decision(*, requisition, to_stage, actor) -> None:
    """A rejection of a requisition where a human must decide names the person who decided."""
    if (
        actor is None
        and to_stage.kind == StageKind.REJECTED
        and requires_human_review(requisition.country)
    ):
        raise ValidationError(
            f"Requisitions in {requisition.country} need a person to decide a rejection.",
            code="human_decision_required",
        )


def pipeline_requires_human_review(pipeline_id: int | None) -> bool:
    """Whether any requisition on the pipeline is in a country where a human must decide."""
    if not pipeline_id:
        return False
    return Requisition.objects.filter(
        pipeline_id=pipeline_id, country__in=sorted(settings.HUMAN_REVIEW_COUNTRIES)
    ).exists()
