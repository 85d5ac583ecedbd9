from django.urls import path

from candidates import views

app_name = "candidates"
urlpatterns = [
    path("search/", views.search, name="search"),
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
    path("applications/<int:pk>/cv/", views.cv_upload, name="cv_upload"),
    path("applications/<int:pk>/cv/<int:cv_pk>/", views.cv_download, name="cv_download"),
    path(
        "applications/<int:pk>/rounds/<int:round_pk>/reveal/",
        views.scorecards_reveal,
        name="scorecards_reveal",
    ),
]
