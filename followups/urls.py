from django.urls import path

from followups import views
from followups.webhooks import inbound_email_webhook

app_name = "followups"
urlpatterns = [
    path("applications/<int:application_pk>/contacts/", views.contact_log, name="contact_log"),
    path("applications/<int:application_pk>/email/", views.email_send, name="email_send"),
    path("contacts/<int:pk>/raw/", views.contact_raw, name="contact_raw"),
    path("webhooks/email/<slug:esp>/", inbound_email_webhook, name="inbound_email_webhook"),
]
