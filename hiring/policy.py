"""Who may see what and do what to which object: the one place these rules are written.

Views, templates (through the context the views build from here), services, the admin,
commands and webhooks call these functions; none of them decides access on its own. A rule
copied into a view drifts from the original (issue #13, findings 3 and 4, were such copies).

Teams
-----
A user's team is the requisitions they manage or are assigned to; admins see everything.

* **Requisitions**: admins all; others those they manage or are assigned to.
* **Applications**: those on a visible requisition. Everything about an application — stage
  history, rounds and scorecards, contacts with their raw emails and attachments, promises,
  scores, silence tests — is seen only through it.
* **Candidates**: admins all; others those with a visible application. The candidate's
  identity (name, addresses, numbers, profile) is shared by the teams that hold an application
  of theirs, and by nobody else: adding an address that belongs to a candidate the user cannot
  see creates the team's own candidate (``candidate_for_new_application``), it never links to
  or names the other.
* **Contacts**: admins all; others those on a visible application. A contact with a candidate
  but no application (the candidate had none when it arrived, or its application was deleted)
  is for admins only: it may be part of any team's past with that person.
* **Unmatched queue** (contacts without a candidate): recruiters and admins; a queued contact
  that concerns particular requisitions (a sender with applications in several teams) is seen
  by the recruiters of those requisitions only; one that concerns none (an unknown sender) by
  every recruiter.
* **Stages**: offers and hires are the requisition's hiring manager's (or an admin's) decision;
  every other stage is open to the team. The rule holds on every path that sets a stage:
  creating an application, moving it, and the admin.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet

from candidates.models import Application, Candidate
from followups.models import QUEUE_STATUSES, Contact, ImportBatch
from hiring.models import DECISION_KINDS, Requisition, Stage
from hiring.roles import is_admin, is_recruiter


def _active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


# --- Visibility ---------------------------------------------------------------------------------


def requisitions_visible_to(user, requisitions: QuerySet | None = None) -> QuerySet:
    """Requisitions a user may open: all for admins, managed or assigned ones otherwise.

    EXISTS rather than a join on recruiters, so that rows are never duplicated and the queryset
    stays safe to annotate with aggregates.
    """
    requisitions = Requisition.objects.all() if requisitions is None else requisitions
    if not _active(user):
        return requisitions.none()
    if is_admin(user):
        return requisitions.all()
    assigned = Requisition.recruiters.through.objects.filter(
        requisition_id=OuterRef("pk"), user_id=user.pk
    )
    return requisitions.filter(Q(hiring_manager_id=user.pk) | Exists(assigned))


def applications_visible_to(user, applications: QuerySet | None = None) -> QuerySet:
    applications = Application.objects.all() if applications is None else applications
    return applications.filter(requisition__in=requisitions_visible_to(user))


def candidates_visible_to(user, candidates: QuerySet | None = None) -> QuerySet:
    """Candidates with an application the user may see; admins see every candidate, including
    those without an application."""
    candidates = Candidate.objects.all() if candidates is None else candidates
    if _active(user) and is_admin(user):
        return candidates.all()
    applications = Application.objects.filter(
        candidate_id=OuterRef("pk"), requisition__in=requisitions_visible_to(user)
    )
    return candidates.filter(Exists(applications))


def _queue_condition(user) -> Q:
    """Queued contacts a recruiter may triage: those for every team, or for one of theirs."""
    concerned = Contact.queue_requisitions.through.objects.filter(contact_id=OuterRef("pk"))
    return Q(candidate__isnull=True, match_status__in=QUEUE_STATUSES) & (
        ~Exists(concerned) | Exists(concerned.filter(requisition__in=requisitions_visible_to(user)))
    )


def contacts_visible_to(user) -> QuerySet:
    """Contacts on applications the user may see; the queue items they may triage."""
    if not _active(user):
        return Contact.objects.none()
    if is_admin(user):
        return Contact.objects.all()
    visible = Q(application__in=applications_visible_to(user))
    if may_triage_queue(user):
        visible |= _queue_condition(user)
    return Contact.objects.filter(visible)


def unmatched_queue_visible_to(user) -> QuerySet:
    """Contacts waiting in the unmatched queue that this user may attach or dismiss."""
    if not may_triage_queue(user):
        return Contact.objects.none()
    queued = Contact.objects.filter(candidate__isnull=True, match_status__in=QUEUE_STATUSES)
    return queued if is_admin(user) else queued.filter(_queue_condition(user))


def import_batches_visible_to(user) -> QuerySet:
    """Call-log imports: admins all, others their own uploads."""
    if not _active(user):
        return ImportBatch.objects.none()
    if is_admin(user):
        return ImportBatch.objects.all()
    return ImportBatch.objects.filter(uploaded_by_id=user.pk)


# --- Actions ------------------------------------------------------------------------------------


def may_triage_queue(user) -> bool:
    return _active(user) and (is_recruiter(user) or is_admin(user))


def may_import_calls(user) -> bool:
    return _active(user) and (is_recruiter(user) or is_admin(user))


def may_export_candidates(user) -> bool:
    """Subject-access exports: admins, and recruiters for the candidates they may see (what the
    archive holds is scoped to the exporter: ``privacy.services.candidate_data``)."""
    return _active(user) and (is_admin(user) or is_recruiter(user))


def may_erase_candidates(user) -> bool:
    return _active(user) and is_admin(user)


def may_edit_weights(user) -> bool:
    return _active(user) and is_admin(user)


def may_override_rank(user, requisition: Requisition) -> bool:
    return _active(user) and (is_admin(user) or requisition.hiring_manager_id == user.pk)


def may_set_stage(user, requisition: Requisition, stage: Stage) -> bool:
    """Whether ``user`` may put an application of ``requisition`` in ``stage``, by creating it
    there or moving it there. Offers and hires are the hiring manager's decision."""
    if stage.kind not in DECISION_KINDS:
        return True
    return _active(user) and (is_admin(user) or requisition.hiring_manager_id == user.pk)


def stages_settable(user, requisition: Requisition) -> QuerySet:
    """The requisition's stages ``user`` may put an application in (``may_set_stage`` as SQL)."""
    stages = Stage.objects.filter(pipeline_id=requisition.pipeline_id)
    if _active(user) and (is_admin(user) or requisition.hiring_manager_id == user.pk):
        return stages
    return stages.exclude(kind__in=DECISION_KINDS)


def require_stage(user, requisition: Requisition, stage: Stage) -> None:
    """Raise ``PermissionDenied`` unless ``user`` may put an application in ``stage``."""
    if not may_set_stage(user, requisition, stage):
        raise PermissionDenied(f"Only the hiring manager can move a candidate to “{stage.name}”.")


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
        candidates_visible_to(user)
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
