from django.contrib import admin

from followups.models import Contact


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = [
        "occurred_at",
        "candidate",
        "channel",
        "direction",
        "is_prompted",
        "is_automated",
        "source",
    ]
    list_filter = ["channel", "direction", "source", "is_prompted", "is_automated"]
    list_select_related = ["candidate"]
    search_fields = ["external_id", "summary", "candidate__last_name"]
    raw_id_fields = ["candidate", "application", "logged_by"]
    date_hierarchy = "occurred_at"
