"""Who may see and do what with the evidence: the one place these rules are written.

* Self-identification is never shown one person at a time in the product. Holders of
  ``evidence.view_bias_audit`` (the Admins group) see it counted into the bias audit; a
  subject-access export made by an admin (or the system) carries the candidate's own answers
  back to them; nobody else's export does.
* Post-hire outcomes are recorded by admins and the requisition's hiring manager.
* An alternative assessment (accommodation request) is marked by anyone on the team, and only
  while the application has no finished silence test: marking it afterwards would silently take
  a finished test out of the bias audit.
* Requisitions in ``settings.HUMAN_REVIEW_COUNTRIES`` are never rejected by the silence test
  alone (GDPR Art. 22): that stage rule is ``hiring.policy``'s (the sweeper and the move action,
  below this app, apply it).
"""

from accounts.roles import is_admin, is_hiring_manager
from candidates.models import Application
from hiring.models import SilenceTest, SilenceTestState, StageKind

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


def application_visible(user, application) -> bool:
    """Whether ``user`` may see ``application``: ``Application.objects.visible_to``, one query
    — none for an instance that ``candidates.selectors.application_for_page`` just loaded
    through that same filter for this user. A page that asks several of the rules below about
    one application asks this once and passes it as ``visible``."""
    if user is not None and getattr(application, "loaded_visible_to_user_id", None) == user.pk:
        return True
    return Application.objects.visible_to(user).filter(pk=application.pk).exists()


def may_record_outcome(user, application, *, visible: bool | None = None) -> bool:
    return (
        _active(user)
        and application.stage.kind == StageKind.HIRED
        and (is_admin(user) or application.requisition.hiring_manager_id == user.pk)
        and (application_visible(user, application) if visible is None else visible)
    )


def may_record_outcomes_at_all(user) -> bool:
    """Whether the outcomes list is worth showing to ``user`` (admins and hiring managers)."""
    return _active(user) and (is_admin(user) or is_hiring_manager(user))


def outcome_applications_for(user):
    """Hired applications whose outcomes ``user`` may record (``may_record_outcome`` as SQL)."""
    if not may_record_outcomes_at_all(user):
        return Application.objects.none()
    hired = Application.objects.visible_to(user).filter(stage__kind=StageKind.HIRED)
    return hired if is_admin(user) else hired.filter(requisition__hiring_manager_id=user.pk)


def may_mark_alternative_assessment(user, application, *, visible: bool | None = None) -> bool:
    return _active(user) and (
        application_visible(user, application) if visible is None else visible
    )


ALTERNATIVE_TOO_LATE = (
    "The silence test of this application has already finished: an alternative assessment can "
    "no longer be recorded (it would take a finished test out of the bias audit)."
)


def alternative_assessment_too_late(application) -> bool:
    """Whether the application's silence test has finished (closed): the accommodation comes
    too late to replace it. The service refuses and the application page hides the form.

    The application page has the tests prefetched: they answer without another query."""
    prefetched = getattr(application, "_prefetched_objects_cache", {}).get("silence_tests")
    if prefetched is not None:
        return any(test.state == SilenceTestState.CLOSED for test in prefetched)
    return SilenceTest.objects.filter(
        application_id=application.pk, state=SilenceTestState.CLOSED
    ).exists()
