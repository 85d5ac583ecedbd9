from django.urls import path

from scoring import views

# Under the "followups" namespace (config/urls.py): the URL names predate this app.
urlpatterns = [
    path("requisitions/<int:pk>/ranking/", views.ranking, name="ranking"),
    path("requisitions/<int:pk>/ranking.csv", views.ranking_csv, name="ranking_csv"),
    path(
        "applications/<int:application_pk>/rank-override/",
        views.rank_override,
        name="rank_override",
    ),
    path("scoring/weights/", views.weights_edit, name="weights_edit"),
]
