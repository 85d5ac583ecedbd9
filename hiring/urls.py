from django.urls import path

from hiring import views

app_name = "hiring"
urlpatterns = [
    path("", views.home, name="home"),
    path("requisitions/", views.requisition_list, name="requisition_list"),
    path("requisitions/<int:pk>/", views.requisition_board, name="requisition_board"),
    path("profile/", views.profile, name="profile"),
]
