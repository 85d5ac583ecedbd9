"""Who may change how candidates are ranked (``hiring.policy`` lists where every other rule
lives)."""

from accounts.roles import is_active_user, is_admin
from hiring.models import Requisition


def may_edit_weights(user) -> bool:
    return is_active_user(user) and is_admin(user)


def may_override_rank(user, requisition: Requisition) -> bool:
    return is_active_user(user) and (is_admin(user) or requisition.hiring_manager_id == user.pk)
