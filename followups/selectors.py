from django.db.models import Q

from followups.models import QUEUE_STATUSES, Contact
from hiring.roles import is_admin, is_recruiter


def contacts_visible_to(user):
    """Contacts of candidates the user may see; the unmatched queue for recruiters and admins."""
    from candidates.models import Candidate

    if not user.is_authenticated or not user.is_active:
        return Contact.objects.none()
    if is_admin(user):
        return Contact.objects.all()
    visible = Q(candidate__in=Candidate.objects.visible_to(user))
    if is_recruiter(user):
        visible |= Q(candidate__isnull=True, match_status__in=QUEUE_STATUSES)
    return Contact.objects.filter(visible)
