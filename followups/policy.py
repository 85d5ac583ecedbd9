"""Who may see and triage contacts, the unmatched queue and call-log imports (the rules about
this app's objects; ``hiring.policy`` lists where every other rule lives).

* **Contacts**: admins all; others those on a visible application. A contact with a candidate
  but no application (the candidate had none when it arrived, or its application was deleted)
  is for admins only: it may be part of any team's past with that person.
* **Unmatched queue** (contacts without a candidate): recruiters and admins; a queued contact
  that concerns particular requisitions (a sender with applications in several teams) is seen
  by the recruiters of those requisitions only; one that concerns none (an unknown sender) by
  every recruiter.
* **Call-log imports**: recruiters and admins import; admins see every batch, others their own.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.roles import is_active_user, is_admin, is_recruiter
from candidates.models import Application
from followups.models import QUEUE_STATUSES, Contact, ImportBatch
from hiring.models import Requisition


def may_triage_queue(user) -> bool:
    return is_active_user(user) and (is_recruiter(user) or is_admin(user))


def may_import_calls(user) -> bool:
    return is_active_user(user) and (is_recruiter(user) or is_admin(user))


def _queue_condition(user) -> Q:
    """Queued contacts a recruiter may triage: those for every team, or for one of theirs."""
    concerned = Contact.queue_requisitions.through.objects.filter(contact_id=OuterRef("pk"))
    visible = Requisition.objects.visible_to(user)
    return Q(candidate__isnull=True, match_status__in=QUEUE_STATUSES) & (
        ~Exists(concerned) | Exists(concerned.filter(requisition__in=visible))
    )


def contacts_visible_to(user) -> QuerySet:
    """Contacts on applications the user may see; the queue items they may triage."""
    if not is_active_user(user):
        return Contact.objects.none()
    if is_admin(user):
        return Contact.objects.all()
    visible = Q(application__in=Application.objects.visible_to(user))
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
    if not is_active_user(user):
        return ImportBatch.objects.none()
    if is_admin(user):
        return ImportBatch.objects.all()
    return ImportBatch.objects.filter(uploaded_by_id=user.pk)
