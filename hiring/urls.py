from django.urls import path

from hiring import calendar_views, insights_views, views

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
    path("calendar/", calendar_views.calendar_settings, name="calendar_settings"),
    path("calendar/<str:token>.ics", calendar_views.calendar_feed, name="calendar_feed"),
    path(
        "requisitions/<int:pk>/insights/",
        insights_views.requisition_insights,
        name="insights",
    ),
]
