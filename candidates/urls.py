from django.urls import path

from candidates import views

app_name = "candidates"
urlpatterns = [
    path(
        "requisitions/<int:requisition_pk>/applications/new/",
        views.application_create,
        name="application_create",
    ),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("applications/<int:pk>/move/", views.application_move, name="application_move"),
    path("applications/<int:pk>/rounds/", views.interview_round_create, name="round_create"),
    path(
        "applications/<int:pk>/rounds/<int:round_pk>/scorecard/",
        views.scorecard_submit,
        name="scorecard_submit",
    ),
]
