from django.urls import path

from followups import views

app_name = "followups"
urlpatterns = [
    path("applications/<int:application_pk>/contacts/", views.contact_log, name="contact_log"),
]
