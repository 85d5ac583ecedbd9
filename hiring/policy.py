"""Who may see what and do what to which object: where each rule is written, once.

Views, templates (through the context the views build), services, the admin, commands and
webhooks call these; none of them decides access on its own. A rule copied into a view drifts
from the original (issue #13, findings 3 and 4, were such copies). Each app holds the rules about
its own objects, so that the layers stay one-way (``[tool.importlinter]`` in pyproject.toml):

* **Roles** (admin, hiring manager, recruiter; who may manage whose account):
  ``accounts.roles``.
* **Requisitions**: admins all; others those they manage or are assigned to —
  ``Requisition.objects.visible_to(user)`` (``hiring.models``).
* **Stages** (here): offers and hires are the requisition's hiring manager's (or an admin's)
  decision; every other stage is open to the team. A move back to an earlier stage needs a
  reason (``is_move_back``), like a rejection or a reopening. The rule holds on every path that
  sets a stage: creating an application, moving it (one by one or the sweeper's
  auto-reject), and the admin — all go through ``candidates.services``.
* **Applications**: those on a visible requisition — ``Application.objects.visible_to(user)``.
  Everything about an application — stage history, rounds and scorecards, contacts with their
  raw emails and attachments, promises, scores, silence tests — is seen only through it.
* **Candidates**: admins all; others those with a visible application —
  ``Candidate.objects.visible_to(user)`` (``candidates.models``). The candidate's identity is
  shared by the teams that hold an application of theirs, and by nobody else:
  ``candidates.selectors.candidate_for_new_application``.
* **Scorecards** (blind until you rated the round; the hiring manager or an admin may reveal a
  round): ``candidates.policy``. **CVs**: through their application —
  ``ApplicationCV.objects.visible_to(user)``. **Find anyone** searches
  ``Application.objects.visible_to(user)`` only (``candidates.selectors.application_search``).
* **Who may hold a requisition's places** (hiring manager: Hiring managers or Admins role;
  recruiters: Recruiters role): ``accounts.roles``, enforced by ``Requisition.clean`` and
  ``hiring.models.validate_recruiters``.
* **Contacts, the unmatched queue, call-log imports**: ``followups.policy``.
* **Rank overrides and scoring weights**: ``scoring.policy``.
* **Subject-access exports and erasure**: ``privacy.policy``.
* **Rejecting and the emails that follow** (here): ``may_reject``; the one-click decisions,
  bulk moves and scheduled emails (``decisions``) move through ``candidates.services``.
* **Human review** (here): requisitions in ``settings.HUMAN_REVIEW_COUNTRIES`` (GDPR Art. 22)
  are never rejected by the silence test alone — the sweeper skips them, the stage admin does
  not offer automatic rejection for their pipelines, and a rejection there names a person.
* **Fairness evidence** (self-identification, outcomes, the audit): ``evidence.policy``.

The visibility rules are the models' ``visible_to`` query-set methods rather than functions
here: the query sets are part of the model modules, which a policy module importing them could
not be imported by without a cycle.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet

from accounts.roles import is_active_user, is_admin
from hiring.models import DECISION_KINDS, TERMINAL_KINDS, Requisition, Stage, StageKind


def _decides(user, requisition: Requisition) -> bool:
    """The requisition's hiring decisions are its hiring manager's, or an admin's."""
    return is_active_user(user) and (is_admin(user) or requisition.hiring_manager_id == user.pk)


def may_set_stage(user, requisition: Requisition, stage: Stage) -> bool:
    """Whether ``user`` may put an application of ``requisition`` in ``stage``, by creating it
    there or moving it there. Offers and hires are the hiring manager's decision."""
    return stage.kind not in DECISION_KINDS or _decides(user, requisition)


def stages_settable(user, requisition: Requisition) -> QuerySet:
    """The requisition's stages ``user`` may put an application in (``may_set_stage`` as SQL)."""
    stages = Stage.objects.filter(pipeline_id=requisition.pipeline_id)
    return stages if _decides(user, requisition) else stages.exclude(kind__in=DECISION_KINDS)


def is_move_back(from_stage: Stage, to_stage: Stage) -> bool:
    """Whether moving from ``from_stage`` to ``to_stage`` goes back in the pipeline (between
    open stages: leaving or reopening a terminal one has rules of its own). A move back undoes
    progress, e.g. sends a candidate whose silence test is running back to Applied, so it
    needs a reason in the history."""
    return (
        from_stage.kind not in TERMINAL_KINDS
        and to_stage.kind not in TERMINAL_KINDS
        and to_stage.order < from_stage.order
    )


def may_reject(user, requisition: Requisition) -> bool:
    """Whether ``user`` may reject the requisition's candidates — and so schedule, preview and
    cancel the rejection emails that follow. The stage rule for the Rejected kind (open to the
    team unless it is made a decision kind); visibility is the caller's ``visible_to``."""
    return is_active_user(user) and (
        StageKind.REJECTED not in DECISION_KINDS or _decides(user, requisition)
    )


def require_stage(user, requisition: Requisition, stage: Stage) -> None:
    """Raise ``PermissionDenied`` unless ``user`` may put an application in ``stage``."""
    if not may_set_stage(user, requisition, stage):
        raise PermissionDenied(f"Only the hiring manager can move a candidate to “{stage.name}”.")


# --- Human review where the law wants it (GDPR Art. 22) ------------------------------------


def requires_human_review(country: str) -> bool:
    """A requisition in this country is never rejected by the silence test alone."""
    return (country or "").upper() in settings.HUMAN_REVIEW_COUNTRIES


def auto_rejection_excluded(prefix: str = "") -> Q:
    """Applications the silence test never rejects on its own, as a condition on the
    application (``prefix`` is the path to it, e.g. ``"application__"``): those of requisitions
    where a human must decide, and those on an alternative assessment (an accommodation)."""
    return Q(**{f"{prefix}requisition__country__in": sorted(settings.HUMAN_REVIEW_COUNTRIES)}) | Q(
        **{f"{prefix}alternative_assessment": True}
    )


def require_human_decision(*, requisition: Requisition, to_stage: Stage, actor) -> None:
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
