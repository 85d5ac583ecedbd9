"""The Django admin, behind the second sign-in step.

``default_site`` of the admin app (config.apps.PersistAdminConfig), so every ``admin.site``
registration in the project lands here without any admin.py knowing. The gate for staff is
twofactor.middleware.SecondFactorMiddleware; this is the second lock on the most powerful
door, in case the middleware is ever left out of a settings file or a test's.
"""

from django.contrib import admin


class PersistAdminSite(admin.AdminSite):
    def has_permission(self, request):
        # As django-otp's OTPAdminSite, but keeping Django's own login form: the second step
        # is the app's code page, which the middleware sends an unverified account to.
        is_verified = getattr(request.user, "is_verified", None)
        return super().has_permission(request) and bool(is_verified and is_verified())
