"""The privacy app's raw SQL: the only module of the app that talks SQL (docs/design.md, "Raw
SQL"). Column names come from the models; tests/integration/test_sql_modules.py compares each
function with an ORM reference on small data."""

from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from followups.models import InboundMessage

_RAW = connection.ops.quote_name(InboundMessage._meta.get_field("raw").column)


def raw_message_matches(pattern: str) -> RawSQL:
    """A condition on ``InboundMessage``: its bytes, read as text (non-ASCII bytes escaped as
    ``\\ooo``) and lower-cased, match the regular expression ``pattern``. The ORM has no lookup
    for a regular expression over ``bytea``, and ``encode(…, 'escape')`` keeps the test in the
    database, so only the candidate messages travel to Python."""
    return RawSQL(f"lower(encode({_RAW}, 'escape')) ~ %s", [pattern], output_field=BooleanField())
