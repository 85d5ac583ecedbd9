from django.urls import path

from hiring import views

app_name = "hiring"
urlpatterns = [
    path("", views.home, name="home"),
    path("requisitions/", views.requisition_list, name="requisition_list"),
    path("requisitions/<int:pk>/", views.requisition_board, name="requisition_board"),
    path("requisitions/<int:pk>/silence/", views.silence_board, name="silence_board"),
    path(
        "applications/<int:application_pk>/silence-test/",
        views.silence_announce,
        name="silence_announce",
    ),
    path("profile/", views.profile, name="profile"),
]
