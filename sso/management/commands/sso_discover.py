"""Print the OIDC_* settings for a provider, read from its discovery document."""

import json
import urllib.request

from django.core.management.base import BaseCommand, CommandError

# The discovery document is small; a larger answer is not one.
MAX_BYTES = 256 * 1024
SETTINGS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


class Command(BaseCommand):
    help = (
        "Read an OpenID Connect provider's discovery document and print the OIDC_* "
        "environment variables that switch single sign-on on (add the client id and secret)."
    )

    def add_arguments(self, parser):
        parser.add_argument("issuer", help="The provider's issuer URL, e.g. https://idp.example")

    def handle(self, *args, issuer, **options):
        if not issuer.startswith(("https://", "http://")):
            raise CommandError("The issuer must be an http(s) URL.")
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                body = response.read(MAX_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"Could not read {url}: {exc}") from exc
        if len(body) > MAX_BYTES:
            raise CommandError(f"{url} is not a discovery document (over {MAX_BYTES} bytes).")
        try:
            document = json.loads(body)
        except ValueError as exc:
            raise CommandError(f"{url} did not answer JSON: {exc}") from exc
        if not isinstance(document, dict):
            raise CommandError(f"{url} did not answer a JSON object.")
        missing = [key for key in SETTINGS.values() if not isinstance(document.get(key), str)]
        if missing:
            raise CommandError(f"The discovery document lacks {', '.join(missing)}.")
        algorithms = document.get("id_token_signing_alg_values_supported") or ["RS256"]
        for name, key in SETTINGS.items():
            self.stdout.write(f"{name}={document[key]}")
        algorithm = "RS256" if "RS256" in algorithms else algorithms[0]
        self.stdout.write(f"OIDC_RP_SIGN_ALGO={algorithm}")
        self.stdout.write("OIDC_RP_CLIENT_ID=<the client id the provider gave Persist>")
        self.stdout.write("OIDC_RP_CLIENT_SECRET=<its secret>")
