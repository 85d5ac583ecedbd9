from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from dashboards import urls as dashboards_urls
from followups import urls as followups_urls
from hiring import urls as hiring_urls
from hiring.views import healthz
from scoring import urls as scoring_urls
from silence import urls as silence_urls
from sso import views as sso_views
from twofactor.middleware import second_factor_exempt

# The URL namespaces predate the layered apps (issue #14): the silence and dashboard pages keep
# their "hiring:" names and the scoring pages their "followups:" names, so that no link, test or
# bookmark changes. A namespace is one include, so the apps' patterns are joined here.
hiring_namespace = hiring_urls.urlpatterns + silence_urls.urlpatterns + dashboards_urls.urlpatterns
followups_namespace = followups_urls.urlpatterns + scoring_urls.urlpatterns

urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", sso_views.login, name="login"),
    path("", include("sso.urls")),
    # Signing out is always possible, also halfway through the second sign-in step.
    path("logout/", second_factor_exempt(auth_views.LogoutView.as_view()), name="logout"),
    path("healthz", login_not_required(healthz), name="healthz"),
    path("", include("candidates.urls")),
    path("", include((followups_namespace, "followups"))),
    path("", include((hiring_namespace, "hiring"))),
    path("", include("privacy.urls")),
    path("", include("twofactor.urls")),
    path("", include("evidence.urls")),
    path("", include("api.urls")),
    path("", include("decisions.urls")),
]

# Error pages keep the site's frame; HTMX requests get a small notice instead (config/views.py).
handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
