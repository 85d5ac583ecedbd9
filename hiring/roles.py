"""Roles are Django groups (created by a data migration); these helpers read them."""

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


def is_admin(user) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or ADMINS in group_names(user)))


def is_hiring_manager(user) -> bool:
    return bool(user.is_authenticated and HIRING_MANAGERS in group_names(user))


def is_recruiter(user) -> bool:
    return bool(user.is_authenticated and RECRUITERS in group_names(user))


def requires_second_factor(user) -> bool:
    """Accounts that must pass an authenticator-app code after their password: admins see every
    candidate and configure everything, and staff can open the Django admin. Recruiters and
    hiring managers sign in with their password alone."""
    return bool(user.is_authenticated and (user.is_staff or is_admin(user)))
