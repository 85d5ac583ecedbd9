from django.urls import path

from silence import views

# Under the "hiring" namespace (config/urls.py): the URL names predate this app.
urlpatterns = [
    path("requisitions/<int:pk>/silence/", views.silence_board, name="silence_board"),
    path(
        "applications/<int:application_pk>/silence-test/",
        views.silence_announce,
        name="silence_announce",
    ),
]
