from django.urls import path

from dashboards import calendar_views, insights_views, views

# Under the "hiring" namespace (config/urls.py): the URL names predate this app.
urlpatterns = [
    path("", views.home, name="home"),
    path("requisitions/", views.requisition_list, name="requisition_list"),
    path("requisitions/<int:pk>/", views.requisition_board, name="requisition_board"),
    path("calendar/", calendar_views.calendar_settings, name="calendar_settings"),
    path("calendar/<str:token>.ics", calendar_views.calendar_feed, name="calendar_feed"),
    path(
        "requisitions/<int:pk>/insights/",
        insights_views.requisition_insights,
        name="insights",
    ),
]
