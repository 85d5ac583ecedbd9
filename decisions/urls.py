from django.urls import path

from decisions import views

app_name = "decisions"
urlpatterns = [
    path(
        "applications/<int:application_pk>/advance/",
        views.decision_advance,
        name="advance",
    ),
    path("applications/<int:application_pk>/reject/", views.decision_reject, name="reject"),
    path(
        "scheduled-emails/<int:pk>/cancel/",
        views.scheduled_email_cancel,
        name="scheduled_email_cancel",
    ),
    path("requisitions/<int:pk>/bulk/", views.requisition_bulk, name="bulk"),
]
