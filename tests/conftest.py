import os

import pytest
from django.db import connection
from hypothesis import settings as hypothesis_settings

from tests.clients import Client

# CI runs every property and state-machine test with a fixed, derandomised seed, so a red build
# is reproducible and never flaky; locally hypothesis keeps exploring new examples.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


def pytest_itemcollected(item):
    # Integration, browser and security tests get the database. Marked as they are collected,
    # because pytest-django reorders the tests from these marks (transactional ones last: they
    # flush the tables, including the rows data migrations created).
    marker = item.get_closest_marker("django_db")
    if marker is None and any(
        part in str(item.fspath) for part in ("/integration/", "/browser/", "/security/")
    ):
        item.add_marker(pytest.mark.django_db)
    elif (
        marker is not None
        and marker.kwargs.get("transaction")
        and not marker.kwargs.get("serialized_rollback")
    ):
        # A transactional test flushes every table, including the rows data migrations made
        # (roles, schedules, weights); without serialized_rollback later tests lose them.
        raise pytest.UsageError(
            f"{item.nodeid}: use django_db(transaction=True, serialized_rollback=True)"
        )


@pytest.fixture(scope="session", autouse=True)
def _require_postgresql(request):
    """The suite is about real PostgreSQL behaviour (locks, constraints): refuse anything else."""
    if any("/unit/" not in str(item.fspath) for item in request.session.items):
        assert connection.vendor == "postgresql", (
            f"Tests must run on PostgreSQL, not {connection.vendor}: set DATABASE_URL."
        )


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # UserFactory hashes a password per user; PBKDF2 would dominate the suite's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def client():
    """pytest-django's ``client``, signing admins in past the second step (tests/clients.py)."""
    return Client()


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path):
    # Uploaded files (CVs) never land in the checkout's var/ folder, and never leak between tests.
    settings.MEDIA_ROOT = tmp_path / "media"
