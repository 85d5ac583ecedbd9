from django.urls import path

from hiring import views

# No app_name: config/urls.py puts these, the silence and the dashboards pages under the
# "hiring" namespace that every reverse() and {% url %} uses.
urlpatterns = [
    path("profile/", views.profile, name="profile"),
]
