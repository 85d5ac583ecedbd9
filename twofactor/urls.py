from django.urls import path

from twofactor import views

app_name = "twofactor"
urlpatterns = [
    path("account/two-step/setup/", views.setup, name="setup"),
    path("account/two-step/verify/", views.verify, name="verify"),
    path("account/two-step/recovery-codes/", views.recovery_codes_new, name="recovery_codes"),
    path("account/two-step/replace/", views.replace_authenticator, name="replace"),
]
