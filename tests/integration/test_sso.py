"""Single sign-on switched off, forged callbacks, and `sso_discover` against a real provider."""

import http.server
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tests.oidc_provider.server import running_provider

CONFIGURED = {
    "OIDC_RP_CLIENT_ID": "persist",
    "OIDC_RP_CLIENT_SECRET": "secret",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "https://idp.example/authorize",
    "OIDC_OP_TOKEN_ENDPOINT": "https://idp.example/token",
    "OIDC_OP_USER_ENDPOINT": "https://idp.example/userinfo",
    "OIDC_OP_JWKS_ENDPOINT": "https://idp.example/jwks",
    "OIDC_PROVIDER_NAME": "Okta",
}


@pytest.fixture
def configured(settings):
    for name, value in CONFIGURED.items():
        setattr(settings, name, value)


def test_without_configuration_the_sign_in_page_offers_only_the_password(client):
    page = client.get("/login/").content.decode()
    assert "Sign in with" not in page

    response = client.get("/oidc/authenticate/", follow=True)
    assert response.redirect_chain[-1][0] == "/login/"
    assert "Single sign-on is not set up" in response.content.decode()


def test_configured_the_sign_in_page_names_the_provider_and_starts_a_pkce_code_flow(
    client, configured
):
    assert "Sign in with Okta" in client.get("/login/").content.decode()

    response = client.get("/oidc/authenticate/?next=/requisitions/")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("https://idp.example/authorize?")
    assert "code_challenge_method=S256" in location
    assert "response_type=code" in location
    assert "scope=openid+email" in location


@pytest.mark.parametrize(
    "query",
    ["?code=stolen&state=forged", "?error=access_denied&state=forged", "?code=&state="],
)
def test_a_forged_or_cancelled_callback_signs_nobody_in_and_is_not_a_server_error(
    client, configured, query
):
    response = client.get(f"/oidc/callback/{query}")
    assert response.status_code in {302, 400}
    assert "_auth_user_id" not in client.session


def test_sso_discover_prints_the_settings_from_a_real_providers_discovery_document():
    # No live server: the redirect URI is only registered at the provider, never called here.
    # (live_server would make this test flush the database without restoring it.)
    redirect = "http://127.0.0.1:9/oidc/callback/"
    with running_provider(connection.settings_dict, redirect, []) as p:
        out = StringIO()
        call_command("sso_discover", f"{p.url}/o", stdout=out)
    lines = dict(line.split("=", 1) for line in out.getvalue().splitlines())
    assert lines["OIDC_OP_AUTHORIZATION_ENDPOINT"] == f"{p.url}/o/authorize/"
    assert lines["OIDC_OP_TOKEN_ENDPOINT"] == f"{p.url}/o/token/"
    assert lines["OIDC_OP_USER_ENDPOINT"] == f"{p.url}/o/userinfo/"
    assert lines["OIDC_OP_JWKS_ENDPOINT"] == f"{p.url}/o/.well-known/jwks.json"
    assert lines["OIDC_RP_SIGN_ALGO"] == "RS256"


class _Answer(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"not json", "did not answer JSON"),
        (b"[1, 2]", "did not answer a JSON object"),
        (b'{"authorization_endpoint": "x"}', "lacks token_endpoint"),
        (b'{"pad": "' + b"x" * 300_000 + b'"}', "not a discovery document"),
    ],
)
def test_sso_discover_refuses_what_is_not_a_discovery_document(body, error):
    handler = type("Handler", (_Answer,), {"body": body})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(CommandError, match=error):
            call_command("sso_discover", f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()


def test_sso_discover_refuses_a_non_http_issuer():
    with pytest.raises(CommandError, match="http"):
        call_command("sso_discover", "file:///etc/passwd")
