from django.urls import path

from followups import import_views, views
from followups.dialer_webhooks import aircall_webhook, dialpad_webhook
from followups.twilio_webhooks import twilio_sms_webhook, twilio_voice_status_webhook
from followups.webhooks import inbound_email_webhook

# No app_name: config/urls.py puts these and the scoring pages under the "followups" namespace.
urlpatterns = [
    path("applications/<int:application_pk>/contacts/", views.contact_log, name="contact_log"),
    path("applications/<int:application_pk>/email/", views.email_send, name="email_send"),
    path(
        "applications/<int:application_pk>/timeline/",
        views.contact_timeline,
        name="contact_timeline",
    ),
    path("contacts/<int:pk>/raw/", views.contact_raw, name="contact_raw"),
    path("contacts/<int:pk>/tags/", views.contact_tags_set, name="contact_tags_set"),
    path("log/", views.quick_log, name="quick_log"),
    path("log/search/", views.quick_log_search, name="quick_log_search"),
    path("contacts/unmatched/", views.unmatched_queue, name="unmatched_queue"),
    path("contacts/<int:pk>/attach/", views.unmatched_attach, name="unmatched_attach"),
    path("contacts/<int:pk>/dismiss/", views.unmatched_dismiss, name="unmatched_dismiss"),
    path("webhooks/email/<slug:esp>/", inbound_email_webhook, name="inbound_email_webhook"),
    path("webhooks/twilio/sms/", twilio_sms_webhook, name="twilio_sms_webhook"),
    path(
        "webhooks/twilio/voice-status/",
        twilio_voice_status_webhook,
        name="twilio_voice_status_webhook",
    ),
    path("webhooks/aircall/", aircall_webhook, name="aircall_webhook"),
    path("webhooks/dialpad/", dialpad_webhook, name="dialpad_webhook"),
    path("imports/calls/", import_views.call_import_upload, name="call_import_upload"),
    path("imports/calls/<int:pk>/", import_views.call_import_detail, name="call_import_detail"),
    path(
        "imports/calls/<int:pk>/errors.csv",
        import_views.call_import_errors_csv,
        name="call_import_errors_csv",
    ),
]
