"""Who may export or erase a candidate's personal data (``hiring.policy`` lists where every
other rule lives)."""

from accounts.roles import is_active_user, is_admin, is_recruiter


def may_export_candidates(user) -> bool:
    """Subject-access exports: admins, and recruiters for the candidates they may see (what the
    archive holds is scoped to the exporter: ``privacy.services.candidate_data``)."""
    return is_active_user(user) and (is_admin(user) or is_recruiter(user))


def may_erase_candidates(user) -> bool:
    return is_active_user(user) and is_admin(user)
