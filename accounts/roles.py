"""Roles are Django groups (created by a data migration); these helpers read them."""

from django.db.models import Q

ADMINS = "Admins"
HIRING_MANAGERS = "Hiring managers"
RECRUITERS = "Recruiters"
ALL_ROLES = (ADMINS, HIRING_MANAGERS, RECRUITERS)


def group_names(user) -> frozenset[str]:
    # Cached on the user object: templates and permission checks ask several times per request.
    cached = getattr(user, "_persist_group_names", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True)) if user.pk else frozenset()
        user._persist_group_names = cached
    return cached


def remember_group_names(user, names) -> None:
    """Cache role names read elsewhere (UserTimezoneMiddleware reads them with the zone)."""
    user._persist_group_names = frozenset(names)


def is_active_user(user) -> bool:
    """A signed-in, active account: every permission rule starts here."""
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_admin(user) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or ADMINS in group_names(user)))


def is_hiring_manager(user) -> bool:
    return bool(user.is_authenticated and HIRING_MANAGERS in group_names(user))


def is_recruiter(user) -> bool:
    return bool(user.is_authenticated and RECRUITERS in group_names(user))


# --- Who may hold which place on a requisition (model validation and the admin's pickers) ------

#: Roles whose holders may be a requisition's hiring manager: hiring decisions are theirs.
HIRING_MANAGER_ROLES = (HIRING_MANAGERS, ADMINS)
#: Roles whose holders may be assigned to a requisition as its recruiters.
RECRUITER_ROLES = (RECRUITERS,)


def may_be_hiring_manager(user) -> bool:
    """A requisition's hiring manager decides offers: an active hiring manager or admin."""
    return bool(
        user is not None
        and user.is_active
        and (user.is_superuser or group_names(user) & set(HIRING_MANAGER_ROLES))
    )


def may_be_recruiter(user) -> bool:
    return bool(user is not None and user.is_active and group_names(user) & set(RECRUITER_ROLES))


def hiring_manager_q() -> Q:
    """``may_be_hiring_manager`` as a filter on users, for pickers (use ``.distinct()``)."""
    return Q(is_active=True) & (Q(is_superuser=True) | Q(groups__name__in=HIRING_MANAGER_ROLES))


def recruiter_q() -> Q:
    """``may_be_recruiter`` as a filter on users, for pickers (use ``.distinct()``)."""
    return Q(is_active=True, groups__name__in=RECRUITER_ROLES)


def requires_second_factor(user) -> bool:
    """Accounts that must pass an authenticator-app code after their password: admins see every
    candidate and configure everything, and staff can open the Django admin. Recruiters and
    hiring managers sign in with their password alone."""
    return bool(user.is_authenticated and (user.is_staff or is_admin(user)))


# --- Who may manage whose account (the Django admin's user and group pages call these) --------

#: Roles that carry account management with them: granting one is a superuser's decision, or an
#: admin could mint peers that outlive their own removal.
SUPERUSER_GRANTED_ROLES = frozenset({ADMINS})


def is_privileged_account(user) -> bool:
    """Superusers, staff (the Django admin) and holders of the Admins role."""
    return bool(user.is_superuser or user.is_staff or ADMINS in group_names(user))


def can_manage_account(actor, target) -> bool:
    """May ``actor`` change or delete ``target``'s account (password, flags, roles, details)?

    Only a superuser may touch a privileged account: otherwise an admin could set a superuser's
    password, or deactivate or demote the people who would notice. ``target`` None is a new
    account, which starts unprivileged.
    """
    if actor.is_superuser:
        return True
    return target is None or not is_privileged_account(target)


def can_grant_role(actor, role_name: str) -> bool:
    return bool(actor.is_superuser or role_name not in SUPERUSER_GRANTED_ROLES)


def can_grant_permissions(actor) -> bool:
    """Superuser, staff and single-permission grants, and any group's permissions: all of these
    reach past the roles, so only a superuser."""
    return bool(actor.is_superuser)
