from django.db import models


class RequisitionQuerySet(models.QuerySet):
    def visible_to(self, user) -> "RequisitionQuerySet":
        """Requisitions a user may open (the rule: ``hiring.policy.requisitions_visible_to``)."""
        # Imported when called: the policy module imports this app's models.
        from hiring import policy

        return policy.requisitions_visible_to(user, self)
