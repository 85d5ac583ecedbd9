from django.urls import path

from sso import views

# The names mozilla-django-oidc reverses (OIDC_AUTHENTICATION_CALLBACK_URL's default).
urlpatterns = [
    path("oidc/authenticate/", views.authenticate, name="oidc_authentication_init"),
    path("oidc/callback/", views.callback, name="oidc_authentication_callback"),
]
