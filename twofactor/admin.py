from django.contrib import admin
from django_otp.plugins.otp_totp.models import TOTPDevice

from twofactor.models import StaffAuthenticator
from twofactor.services import second_factor_reset

# django-otp's own admin lets anyone with the model permissions add a device for another user
# and read its secret key: replaced by the superuser-only reset below.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(StaffAuthenticator)
class StaffAuthenticatorAdmin(admin.ModelAdmin):
    """Superusers only: who has two-step sign-in, and a reset for someone who lost their phone
    and their recovery codes (deleting a row resets that user: app and recovery codes go, and
    their next page is the enrolment page). No adding or editing: only its owner enrols a
    device, and nobody else ever sees its secret."""

    list_display = ["user", "confirmed", "created_at", "last_used_at", "throttling_failure_count"]
    list_filter = ["confirmed"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]
    fields = list_display
    readonly_fields = list_display

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def delete_model(self, request, obj):
        second_factor_reset(user=obj.user)

    def delete_queryset(self, request, queryset):
        for user in {device.user for device in queryset.select_related("user")}:
            second_factor_reset(user=user)
