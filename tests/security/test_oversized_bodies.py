"""Bodies larger than a page accepts get a clear answer in the caller's language: a person gets
the site's page with a way back, an API client a problem document — never a bare line or an
HTML page where JSON was expected."""

from django.core.cache import cache
from django.urls import reverse

from api.services import api_token_create
from tests.factories import ApplicationFactory, RequisitionFactory, UserFactory

MB = 1024 * 1024


def _bearer(user) -> dict:
    _token, secret = api_token_create(user=user, name="oversized")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_a_30_mb_api_body_is_a_413_problem_document(client):
    cache.clear()
    manager = UserFactory(hiring_manager=True)
    application = ApplicationFactory(requisition=RequisitionFactory(hiring_manager=manager))
    response = client.post(
        reverse("api:contact_create", kwargs={"pk": application.pk}),
        b'{"summary": "' + b"x" * (30 * MB) + b'"}',
        content_type="application/json",
        **_bearer(manager),
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 413


def test_an_oversized_form_post_gets_the_sites_413_page_with_a_way_back(client):
    manager = UserFactory(hiring_manager=True)
    application = ApplicationFactory(requisition=RequisitionFactory(hiring_manager=manager))
    client.force_login(manager)
    response = client.post(
        reverse("followups:quick_log") + f"?application={application.pk}",
        {"summary": "x" * (3 * MB)},
    )
    assert response.status_code == 413
    page = response.content.decode()
    assert "too large" in page.lower()
    assert 'href="/"' in page


def test_a_cv_over_the_limit_gets_the_sites_page_with_a_link_back_to_the_application(client):
    manager = UserFactory(hiring_manager=True)
    application = ApplicationFactory(requisition=RequisitionFactory(hiring_manager=manager))
    client.force_login(manager)
    response = client.generic(
        "POST",
        reverse("candidates:cv_upload", args=[application.pk]),
        data=b"x" * 10,
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(12 * MB),
    )
    assert response.status_code == 413
    page = response.content.decode()
    assert "larger than 10 MB" in page
    assert reverse("candidates:application_detail", args=[application.pk]) in page
    assert "<html" in page.lower()


def test_a_huge_call_log_upload_is_refused_from_its_declared_length_without_reading_it(client):
    recruiter = UserFactory(recruiter=True)
    RequisitionFactory(recruiters=[recruiter])
    client.force_login(recruiter)
    response = client.generic(
        "POST",
        reverse("followups:call_import_upload"),
        # Ten bytes of a body declared as 2 GB: reading it would wait for the rest.
        data=b"x" * 10,
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(2048 * MB),
    )
    assert response.status_code == 413
    page = response.content.decode()
    assert "larger than 20 MB" in page
    assert reverse("followups:call_import_upload") in page


def test_a_hiring_manager_cannot_reach_the_import_even_with_a_huge_body(client):
    manager = UserFactory(hiring_manager=True)
    client.force_login(manager)
    response = client.generic(
        "POST",
        reverse("followups:call_import_upload"),
        data=b"x",
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(2048 * MB),
    )
    assert response.status_code == 403
