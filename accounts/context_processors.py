from accounts.roles import is_admin, is_hiring_manager, is_recruiter


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "is_admin_user": is_admin(user),
        "is_hiring_manager_user": is_hiring_manager(user),
        "is_recruiter_user": is_recruiter(user),
        "user_time_zone": getattr(request, "time_zone", None),
    }
