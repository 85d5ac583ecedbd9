import pytest
from django.db import connection


def pytest_collection_modifyitems(config, items):
    # Tests under tests/unit are pure; everything else is allowed the database by its own marks.
    for item in items:
        if "/integration/" in str(item.fspath) or "/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.django_db)


@pytest.fixture(scope="session", autouse=True)
def _require_postgresql(request):
    """The suite is about real PostgreSQL behaviour (locks, constraints): refuse anything else."""
    if any("/unit/" not in str(item.fspath) for item in request.session.items):
        assert connection.vendor == "postgresql", (
            f"Tests must run on PostgreSQL, not {connection.vendor}: set DATABASE_URL."
        )
