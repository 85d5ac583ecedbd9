"""Set the provider up for one test run: people, and Persist as a client.

``python -m tests.oidc_provider.bootstrap REDIRECT_URI`` with people as JSON on stdin
(``[{"username", "email", "password", "verified"}]``); prints the client's id and secret as
JSON.
"""

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.oidc_provider.settings")
django.setup()

from django.contrib.auth.models import User  # noqa: E402 - after django.setup()
from oauth2_provider.models import Application  # noqa: E402


def main() -> None:
    redirect_uri = sys.argv[1]
    for person in json.load(sys.stdin):
        User.objects.create_user(
            person["username"],
            email=person["email"],
            password=person["password"],
            last_name="" if person.get("verified", True) else "unverified",
        )
    secret = "persist-client-secret-for-tests"
    application = Application.objects.create(
        name="Persist",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=redirect_uri,
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
        client_secret=secret,
    )
    json.dump({"client_id": application.client_id, "client_secret": secret}, sys.stdout)


if __name__ == "__main__":
    main()
