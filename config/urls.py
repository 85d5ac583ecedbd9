from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from hiring.views import healthz
from twofactor.middleware import second_factor_exempt

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    # Signing out is always possible, also halfway through the second sign-in step.
    path("logout/", second_factor_exempt(auth_views.LogoutView.as_view()), name="logout"),
    path("healthz", login_not_required(healthz), name="healthz"),
    path("", include("candidates.urls")),
    path("", include("followups.urls")),
    path("", include("hiring.urls")),
    path("", include("privacy.urls")),
    path("", include("twofactor.urls")),
    path("", include("evidence.urls")),
]
