import zoneinfo

from django.utils import timezone

from hiring.models import UserProfile


class UserTimezoneMiddleware:
    """Render every date in the signed-in user's own zone (UTC until they choose one)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone_name = "UTC"
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            zone_name = (
                UserProfile.objects.filter(user_id=user.pk)
                .values_list("time_zone", flat=True)
                .first()
                or "UTC"
            )
        request.time_zone = zoneinfo.ZoneInfo(zone_name)
        timezone.activate(request.time_zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
