"""The followups app's raw SQL: the only module of the app that talks SQL (docs/design.md, "Raw
SQL"). Table names come from the models and enum values travel as parameters;
tests/integration/test_sql_modules.py compares each function with an ORM reference on small
data."""

from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.db import connection

from candidates.models import Application, CandidateEmail
from candidates.sql import PAGE_APPLICATION, rows_version_sql, users_version_sql
from followups.models import Contact, ContactTag, EmailAttachment, Promise
from hiring.models import OPEN_SILENCE_STATES, SilenceTest

_q = connection.ops.quote_name
_USERS = _q(get_user_model()._meta.db_table)
_APPLICATION = _q(Application._meta.db_table)
_TEST = _q(SilenceTest._meta.db_table)
_EMAIL = _q(CandidateEmail._meta.db_table)

# One round trip instead of three (team emails, candidate addresses, each candidate's
# application): per message the ORM's query building cost more than PostgreSQL's work. The
# application is chosen as ``followups.services.applications_for_candidates`` chooses it (open
# silence test first, then the most recently active).
_ADDRESS_LOOKUP_SQL = f"""
SELECT 'team', lower(u.email), NULL, NULL, NULL
FROM {_USERS} u
WHERE u.is_active AND u.email <> '' AND lower(u.email) = ANY(%(addresses)s)
UNION ALL
SELECT 'candidate', e.address, e.candidate_id, (
    SELECT a.id FROM {_APPLICATION} a
    WHERE a.candidate_id = e.candidate_id
    ORDER BY EXISTS (
        SELECT 1 FROM {_TEST} t WHERE t.application_id = a.id AND t.state = ANY(%(open)s)
    ) DESC, a.updated_at DESC, a.id DESC
    LIMIT 1
), (SELECT count(*) FROM {_APPLICATION} a WHERE a.candidate_id = e.candidate_id)
FROM {_EMAIL} e
WHERE e.address = ANY(%(addresses)s)
"""


def addresses_lookup(addresses: Sequence[str]) -> list[tuple]:
    """What the database knows about these (lower-cased) addresses, in one query: rows
    ``("team", address, None, None, None)`` for an active user's email, and
    ``("candidate", address, candidate id, chosen application id or None, application count)``
    for each candidate who has the address."""
    if not addresses:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            _ADDRESS_LOOKUP_SQL,
            {"addresses": list(addresses), "open": [str(s) for s in OPEN_SILENCE_STATES]},
        )
        return cursor.fetchall()


def application_page_version_parts() -> list[str]:
    """This app's part of the application page's version (``candidates.page_cache``): every
    contact of the application (the timeline shows the newest page; any contact can move into
    it), their tags and attachments, promises and the people who logged contacts."""
    a = PAGE_APPLICATION
    contact = _q(Contact._meta.db_table)
    contact_ids = f"SELECT c.id FROM {contact} c WHERE c.application_id = {a}.id"
    return [
        rows_version_sql(Contact, f"t.application_id = {a}.id"),
        # = ANY(ARRAY(…)), not IN (…): the planner, expecting many contacts, hashed every tag.
        rows_version_sql(ContactTag, f"t.contact_id = ANY(ARRAY({contact_ids}))"),
        rows_version_sql(EmailAttachment, f"t.contact_id = ANY(ARRAY({contact_ids}))"),
        rows_version_sql(Promise, f"t.application_id = {a}.id"),
        users_version_sql(
            f"SELECT c.logged_by_id FROM {contact} c WHERE c.application_id = {a}.id"
        ),
    ]
