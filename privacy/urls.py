from django.urls import path

from privacy import views

app_name = "privacy"
urlpatterns = [
    path("candidates/<int:pk>/export.zip", views.candidate_export, name="candidate_export"),
    path("candidates/<int:pk>/erase/", views.candidate_erase, name="candidate_erase"),
]
