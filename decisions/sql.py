"""The decisions app's raw SQL: the only module of the app that talks SQL (docs/design.md, "Raw
SQL"). Table names come from the models."""

from django.db import connection

from candidates.sql import PAGE_APPLICATION, rows_version_sql, users_version_sql
from decisions.models import ScheduledEmail

_q = connection.ops.quote_name


def application_page_version_parts() -> list[str]:
    """This app's part of the application page's version (``candidates.page_cache``): the
    emails scheduled after a decision and the people who scheduled or cancelled them."""
    a = PAGE_APPLICATION
    emails = _q(ScheduledEmail._meta.db_table)
    return [
        rows_version_sql(ScheduledEmail, f"t.application_id = {a}.id"),
        users_version_sql(
            f"SELECT e.created_by_id FROM {emails} e WHERE e.application_id = {a}.id "
            f"UNION SELECT e.cancelled_by_id FROM {emails} e WHERE e.application_id = {a}.id"
        ),
    ]
