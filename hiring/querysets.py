from django.db import models
from django.db.models import Exists, OuterRef, Q

from hiring.roles import is_admin


class RequisitionQuerySet(models.QuerySet):
    def visible_to(self, user) -> "RequisitionQuerySet":
        """Requisitions a user may open: all for admins, managed or assigned ones otherwise.

        Uses EXISTS rather than a join on recruiters so that rows are never duplicated and the
        queryset stays safe to annotate with aggregates.
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if is_admin(user):
            return self.all()
        assigned = self.model.recruiters.through.objects.filter(
            requisition_id=OuterRef("pk"), user_id=user.pk
        )
        return self.filter(Q(hiring_manager_id=user.pk) | Exists(assigned))
