from django.urls import path

from evidence import views

app_name = "evidence"
urlpatterns = [
    path("self-identification/<str:token>/", views.self_id, name="self_id"),
    path("evidence/bias-audit/", views.bias_audit, name="bias_audit"),
    path("evidence/bias-audit.csv", views.bias_audit_csv, name="bias_audit_csv"),
    path("evidence/validity/", views.validity, name="validity"),
    path("evidence/outcomes/", views.outcome_list, name="outcome_list"),
    path("applications/<int:pk>/outcome/", views.outcome_edit, name="outcome_edit"),
    path(
        "applications/<int:pk>/alternative-assessment/",
        views.alternative_assessment,
        name="alternative_assessment",
    ),
    path(
        "applications/<int:pk>/self-identification-invite/",
        views.self_id_invite,
        name="self_id_invite",
    ),
]
