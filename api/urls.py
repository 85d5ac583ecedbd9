from django.contrib.auth.decorators import login_not_required
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api import token_views, views
from twofactor.middleware import second_factor_exempt

app_name = "api"


def _api(view_class):
    """An API endpoint: DRF authenticates it (token or session) and answers 401 as a problem,
    so the pages' sign-in redirect and second-step redirect stay out of its way (the session
    authenticator applies the second-step rule itself)."""
    return login_not_required(second_factor_exempt(view_class.as_view()))


_docs = SpectacularSwaggerSplitView.as_view(
    url_name="api:schema", template_name="api/swagger_ui.html"
)


def docs(request, *args, **kwargs):
    """Swagger UI, a page: DRF marks its views exempt from LoginRequiredMiddleware, so this plain
    wrapper puts the docs back behind sign-in (and, for admins, the second step)."""
    return _docs(request, *args, **kwargs)


urlpatterns = [
    path("api/v1/requisitions/", _api(views.RequisitionList), name="requisition_list"),
    path("api/v1/requisitions/<int:pk>/", _api(views.RequisitionDetail), name="requisition_detail"),
    path("api/v1/requisitions/<int:pk>/ranking/", _api(views.Ranking), name="ranking"),
    path("api/v1/applications/", _api(views.ApplicationList), name="application_list"),
    path("api/v1/applications/<int:pk>/", _api(views.ApplicationDetail), name="application_detail"),
    path(
        "api/v1/applications/<int:pk>/contacts/", _api(views.ContactCreate), name="contact_create"
    ),
    path(
        "api/v1/applications/<int:pk>/move/", _api(views.ApplicationMove), name="application_move"
    ),
    path(
        "api/v1/applications/<int:pk>/silence-test/announcement/",
        _api(views.SilenceAnnounce),
        name="silence_announce",
    ),
    path("api/v1/candidates/", _api(views.CandidateList), name="candidate_list"),
    path("api/v1/candidates/<int:pk>/", _api(views.CandidateDetail), name="candidate_detail"),
    path("api/v1/schema/", _api(SpectacularAPIView), name="schema"),
    # The browsable docs are a page: signed-in users (and admins past the second step) only.
    path("api/v1/docs/", docs, name="docs"),
    re_path(r"^api/", _api(views.NotFoundView)),
    # The settings page's token section.
    path("profile/api-tokens/", token_views.token_create, name="token_create"),
    path("profile/api-tokens/<int:pk>/revoke/", token_views.token_revoke, name="token_revoke"),
]
