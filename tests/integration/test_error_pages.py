"""The production error pages (DEBUG off, as the suite runs): the site's frame, a way home."""

import pytest
from django.test import RequestFactory
from django.urls import path, reverse
from django.views.defaults import server_error

from config import urls as config_urls
from config.urls import urlpatterns as project_urlpatterns
from tests.clients import Client
from tests.factories import UserFactory


def _boom(request):
    raise RuntimeError("A deliberate server error.")


urlpatterns = [*project_urlpatterns, path("boom/", _boom)]
handler500 = getattr(config_urls, "handler500", "django.views.defaults.server_error")


def _has_the_frame(text: str) -> None:
    assert '<html lang="en">' in text
    assert 'href="#main"' in text
    assert '<main id="main"' in text
    assert "css/app.css" in text
    assert f'href="{reverse("hiring:home")}"' in text


def test_404_page_has_the_navigation_and_a_link_home(client, settings):
    assert settings.DEBUG is False
    client.force_login(UserFactory(hiring_manager=True))
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    text = response.text
    _has_the_frame(text)
    assert "<title>Page not found · Persist</title>" in text
    assert 'aria-label="Main"' in text  # the signed-in menu
    assert "Not Found" not in text  # not Django's bare page


def test_403_page_explains_the_refusal_with_the_navigation(client):
    client.force_login(UserFactory(hiring_manager=True))
    response = client.get(reverse("followups:call_import_upload"))
    assert response.status_code == 403
    _has_the_frame(response.text)
    assert "Only recruiters and admins import call logs." in response.text
    assert 'aria-label="Main"' in response.text


def test_500_page_renders_without_a_request_or_a_database_query(django_assert_num_queries):
    request = RequestFactory().get("/")
    with django_assert_num_queries(0):
        response = server_error(request)
    assert response.status_code == 500
    text = response.content.decode()
    _has_the_frame(text)
    assert "Something went wrong on our side" in text


@pytest.mark.urls(__name__)
def test_an_unhandled_error_is_served_as_the_500_page_with_the_security_headers():
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(hiring_manager=True))
    response = client.get("/boom/")
    assert response.status_code == 500
    _has_the_frame(response.text)
    assert "Server Error (500)" not in response.text
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_a_csrf_failure_is_the_sites_403_page_with_a_way_back():
    # A form left open across a sign-in elsewhere: Django's bare "403 Forbidden" had no way back.
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(hiring_manager=True))
    response = client.post(reverse("hiring:profile"), {"time_zone": "UTC"})
    assert response.status_code == 403
    _has_the_frame(response.text)
    assert 'aria-label="Main"' in response.text
    assert "This form has expired" in response.text
    assert "CSRF verification failed" not in response.text


@pytest.mark.parametrize(
    ("url_name", "status", "text"),
    [
        ("followups:call_import_upload", 403, "Only recruiters and admins import call logs."),
        (None, 404, "no longer there"),
    ],
)
def test_an_htmx_request_that_fails_gets_a_small_notice_for_the_toasts_region(
    client, url_name, status, text
):
    # htmx swaps no error response: the notice names its own target, and is not a whole page.
    client.force_login(UserFactory(hiring_manager=True))
    url = reverse(url_name) if url_name else "/no-such-page/"
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == status
    assert response.headers["HX-Retarget"] == "#toasts"
    assert "<html" not in response.text
    assert 'role="alert"' in response.text
    assert text in response.text
    assert f'href="{reverse("hiring:home")}"' in response.text


@pytest.mark.urls(__name__)
def test_an_htmx_request_that_errors_gets_a_notice_not_the_500_page():
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(hiring_manager=True))
    response = client.get("/boom/", headers={"HX-Request": "true"})
    assert response.status_code == 500
    assert response.headers["HX-Retarget"] == "#toasts"
    assert "Something went wrong on our side" in response.text
    assert "<html" not in response.text
