"""Each app's ``sql.py`` (the only place the app talks SQL) against an ORM reference on small
data, and a guard that no raw SQL appears anywhere else in the apps."""

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from candidates import sql as candidates_sql
from candidates.models import Application, Candidate, CandidateEmail, StaleScore
from devdata import scale
from devdata import sql as devdata_sql
from followups import sql as followups_sql
from followups.models import (
    Contact,
    ContactTag,
    Direction,
    InboundMessage,
    PersistenceScore,
    Promise,
    QualityTag,
    ScoringWeights,
)
from followups.services import applications_for_candidates
from hiring.models import SilenceDigest, SilenceOutcome, SilenceTest, SilenceTestState, StageKind
from hiring.sql import compiled_execute
from privacy import sql as privacy_sql
from scoring import sql as scoring_sql
from scoring.rules import IMPATIENCE_LOOKBACK
from silence import sql as silence_sql
from tests.factories import (
    ApplicationFactory,
    CandidateEmailFactory,
    ContactFactory,
    RequisitionFactory,
    SilenceTestFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 6, 10, 12, 0, tzinfo=dt.UTC)
ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "accounts",
    "audit",
    "twofactor",
    "hiring",
    "candidates",
    "followups",
    "silence",
    "scoring",
    "dashboards",
    "privacy",
    "devdata",
    "api",
    "config",
)


# --- candidates.sql -----------------------------------------------------------------------------


def test_stale_scores_upsert_marks_existing_applications_as_the_orm_would():
    a, b, c = ApplicationFactory.create_batch(3)
    StaleScore.objects.all().delete()
    StaleScore.objects.create(application=a, marked_at=NOW - dt.timedelta(days=1))
    StaleScore.objects.create(application=c, marked_at=NOW - dt.timedelta(days=1))
    missing = max(a.pk, b.pk, c.pk) + 1000

    candidates_sql.stale_scores_upsert([b.pk, a.pk, missing], at=NOW)

    # ORM reference: update_or_create for each existing application, others untouched.
    expected = {c.pk: NOW - dt.timedelta(days=1)}
    for application in Application.objects.filter(pk__in=[a.pk, b.pk, missing]):
        expected[application.pk] = NOW
    assert dict(StaleScore.objects.values_list("application_id", "marked_at")) == expected


# --- followups.sql ------------------------------------------------------------------------------


def test_addresses_lookup_agrees_with_the_orm():
    UserFactory(username="pat", email="Pat@Team.example")
    UserFactory(username="gone", email="gone@team.example", is_active=False)
    requisition = RequisitionFactory()
    one = ApplicationFactory(requisition=requisition)
    CandidateEmailFactory(candidate=one.candidate, address="one@mail.example")
    two_old = ApplicationFactory(requisition=requisition)
    two_new = ApplicationFactory(candidate=two_old.candidate)
    SilenceTestFactory(application=two_old)  # an open test wins over recent activity
    CandidateEmailFactory(candidate=two_old.candidate, address="two@mail.example")
    shared = ApplicationFactory()
    CandidateEmailFactory(candidate=shared.candidate, address="one@mail.example")
    wanted = ["gone@team.example", "nobody@mail.example", "one@mail.example", "pat@team.example"]
    wanted.append("two@mail.example")

    rows = followups_sql.addresses_lookup(wanted)

    team = {
        u.email.lower()
        for u in get_user_model().objects.filter(is_active=True)
        if u.email.lower() in wanted
    }
    candidate_rows = set()
    for email in CandidateEmail.objects.filter(address__in=wanted):
        chosen = applications_for_candidates({email.candidate_id}).get(email.candidate_id)
        count = Application.objects.filter(candidate_id=email.candidate_id).count()
        candidate_rows.add(("candidate", email.address, email.candidate_id, chosen, count))
    assert {r for r in rows if r[0] == "team"} == {("team", e, None, None, None) for e in team}
    assert {r for r in rows if r[0] == "candidate"} == candidate_rows
    assert ("candidate", "two@mail.example", two_old.candidate_id, two_old.pk, 2) in rows
    assert two_new.pk not in {r[3] for r in rows}
    assert followups_sql.addresses_lookup([]) == []


# --- silence.sql --------------------------------------------------------------------------------


def test_digests_ensure_creates_the_missing_groups_as_the_orm_would():
    requisition = RequisitionFactory()
    closes = NOW - dt.timedelta(hours=1)
    tests = [
        SilenceTestFactory(
            application=ApplicationFactory(requisition=requisition, at_silence_test=True),
            announced_at=closes - dt.timedelta(days=5),
            deadline_at=closes - dt.timedelta(days=3),
            window_closes_at=window,
        )
        for window in (closes, closes, NOW + dt.timedelta(days=1))
    ]
    other = SilenceTestFactory(
        announced_at=closes - dt.timedelta(days=5),
        deadline_at=closes - dt.timedelta(days=3),
        window_closes_at=closes,
    )
    SilenceDigest.objects.create(
        requisition=other.application.requisition, window_closes_at=closes, created_at=NOW
    )
    ids = [t.pk for t in [*tests, other]]

    silence_sql.digests_ensure(ids, now=NOW)
    silence_sql.digests_ensure(ids, now=NOW)  # idempotent

    expected = {
        (t.application.requisition_id, t.window_closes_at)
        for t in SilenceTest.objects.filter(pk__in=ids, window_closes_at__lte=NOW).select_related(
            "application"
        )
    }
    assert set(SilenceDigest.objects.values_list("requisition_id", "window_closes_at")) == expected


# --- scoring.sql --------------------------------------------------------------------------------


@pytest.fixture
def scoring_data():
    """Applications without a test, with an earlier closed, a closed and a cancelled test, and
    contacts of every kind around the impatience lookback and the window."""
    with_test = ApplicationFactory(at_silence_test=True)
    deadline = NOW - dt.timedelta(days=5)
    SilenceTestFactory(
        application=with_test,
        announced_at=deadline - dt.timedelta(days=2),
        deadline_at=deadline,
        window_closes_at=deadline + dt.timedelta(days=3),
        state=SilenceTestState.CLOSED,
        outcome=SilenceOutcome.REACHED_OUT,
    )
    SilenceTestFactory(
        application=with_test,
        announced_at=deadline - dt.timedelta(days=40),  # closed before: not the latest
        deadline_at=deadline - dt.timedelta(days=38),
        window_closes_at=deadline - dt.timedelta(days=35),
        state=SilenceTestState.CLOSED,
        outcome=SilenceOutcome.SILENT,
    )
    SilenceTestFactory(
        application=with_test,
        announced_at=deadline - dt.timedelta(days=1),  # later, but cancelled: not the latest
        deadline_at=deadline + dt.timedelta(days=1),
        window_closes_at=deadline + dt.timedelta(days=4),
        state=SilenceTestState.CANCELLED,
    )
    without_test = ApplicationFactory()
    for application in (with_test, without_test):
        for days, fields in (
            (-10, {}),
            (-6, {}),
            (-1, {}),
            (1, {}),
            (2, {"is_prompted": True}),
            (2.5, {"is_prompted": True}),
            (3, {"direction": Direction.OUTBOUND}),
            (1, {"is_automated": True}),
            (4, {}),
            (20, {}),
        ):
            contact = ContactFactory(
                application=application,
                occurred_at=deadline + dt.timedelta(days=days),
                **fields,
            )
            if days in (-10, 2.5):
                ContactTag.objects.create(contact=contact, tag=QualityTag.PUSHY)
                ContactTag.objects.create(contact=contact, tag=QualityTag.OPT_OUT)
        Promise.objects.create(application=application, description="Send refs", due_at=NOW)
    return [with_test.pk, without_test.pk, 10**9]


def _contacts_reference(ids, now):
    """``score_batch_rows``' contact selection written with the ORM."""
    rows = set()
    for application in Application.objects.filter(pk__in=ids):
        test = (
            SilenceTest.objects.filter(application=application)
            .exclude(state=SilenceTestState.CANCELLED)
            .order_by("-announced_at", "-id")
            .first()
        )
        in_scope = Contact.objects.filter(
            application=application,
            direction=Direction.INBOUND,
            is_automated=False,
            occurred_at__lte=now,
        )
        if test is not None:
            in_scope = in_scope.filter(occurred_at__lte=test.window_closes_at)
        for c in in_scope.prefetch_related("tags"):
            tags = [t.tag for t in c.tags.all()]
            for tag in tags:
                rows.add((c.pk, application.pk, c.occurred_at, c.channel, c.is_prompted, tag))
            early = test is None or c.occurred_at < test.deadline_at - IMPATIENCE_LOOKBACK
            if not tags and not c.is_prompted and not early:
                rows.add((c.pk, application.pk, c.occurred_at, c.channel, False, None))
        first_reply = in_scope.filter(is_prompted=True, tags__isnull=True).order_by("id").first()
        if first_reply is not None:
            reply = first_reply
            rows.add((reply.pk, application.pk, reply.occurred_at, reply.channel, True, None))
    return rows


def test_score_batch_rows_agree_with_the_orm(scoring_data):
    ids = scoring_data
    applications, contacts, promises = scoring_sql.score_batch_rows(
        ids, now=NOW, lookback=IMPATIENCE_LOOKBACK
    )

    expected_apps = {}
    for application in Application.objects.filter(pk__in=ids).select_related(
        "requisition", "stage"
    ):
        test = (
            SilenceTest.objects.filter(application=application)
            .exclude(state=SilenceTestState.CANCELLED)
            .order_by("-announced_at", "-id")
            .first()
        )
        expected_apps[application.pk] = (
            (test.pk, test.deadline_at, test.state, test.contaminated_at is not None, test.outcome)
            if test
            else (None, None, None, None, None),
            application.requisition.country,
            application.stage.kind == StageKind.WITHDRAWN,
            SilenceTest.objects.filter(application=application, state=SilenceTestState.CLOSED)
            .exclude(pk=test.pk if test else None)
            .exists(),
        )
    assert {
        row[0]: (
            (row[1], row[2], row[4], row[5] if row[1] else None, row[10]),
            row[7],
            row[9],
            row[11],
        )
        for row in applications
    } == expected_apps
    assert {(r[0], r[1], r[2], r[3], r[4], r[6]) for r in contacts} == _contacts_reference(ids, NOW)
    assert sorted((p[0], p[1], p[2]) for p in promises) == sorted(
        Promise.objects.filter(application_id__in=ids).values_list(
            "application_id", "status", "description"
        )
    )


def test_scores_replace_retires_and_inserts_as_the_orm_would(scoring_data):
    application_id = scoring_data[0]
    weights = ScoringWeights.objects.order_by("-id").first() or ScoringWeights.objects.create()
    old = PersistenceScore.objects.create(
        application_id=application_id,
        weights=weights,
        score=10,
        outcome="pending",
        lines=[],
        computed_at=NOW - dt.timedelta(days=1),
    )
    lines = [{"rule": "base", "text": "Reached out (+40)", "points": 40}]
    rows = [
        {"a": application_id, "t": None, "s": 40, "o": "reached_out", "c": True, "l": lines},
    ]
    rows[0]["f"] = NOW.isoformat()

    scoring_sql.scores_lock([application_id])
    scoring_sql.scores_replace(
        retire=[application_id], rows_json=json.dumps(rows), weights_id=weights.pk, now=NOW
    )

    old.refresh_from_db()
    assert not old.is_current
    new = PersistenceScore.objects.get(application_id=application_id, is_current=True)
    assert (new.score, new.outcome, new.comparable, new.lines, new.first_follow_up_at) == (
        40,
        "reached_out",
        True,
        lines,
        NOW,
    )
    assert (new.weights_id, new.computed_at, new.silence_test_id) == (weights.pk, NOW, None)
    # The lock is held until the transaction ends (one per application, in its namespace).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s "
            "AND objid = %s AND pid = pg_backend_pid()",
            [scoring_sql.SCORE_LOCK_NAMESPACE, application_id],
        )
        assert cursor.fetchone()[0] == 1


# --- privacy.sql --------------------------------------------------------------------------------


def _pg_escape(raw: bytes) -> str:
    """PostgreSQL's ``encode(bytes, 'escape')``: NUL and high bytes as \\ooo, \\ doubled."""
    return "".join(
        f"\\{b:03o}" if b == 0 or b >= 0x80 else "\\\\" if b == 0x5C else chr(b) for b in raw
    )


def test_raw_message_matches_agrees_with_python_on_the_escaped_bytes():
    bodies = [
        b"From: Dana <dana@mail.example>\r\n\r\nCall me on 555 0100",
        "Grüße von DANA".encode(),
        b"nothing to see\x00here",
        b"back\\slash 5550100",
    ]
    messages = [
        InboundMessage.objects.create(
            fingerprint=f"{i:064x}", source="pipe", received_at=timezone.now(), size=len(b), raw=b
        )
        for i, b in enumerate(bodies)
    ]
    for pattern in ("dana", "555[^0-9]*0100", "gr\\\\303\\\\274", "\\\\000", "nobody"):
        by_sql = set(
            InboundMessage.objects.filter(
                privacy_sql.raw_message_matches(pattern), pk__in=[m.pk for m in messages]
            ).values_list("pk", flat=True)
        )
        by_python = {
            m.pk
            for m, raw in zip(messages, bodies, strict=True)
            if re.search(pattern, _pg_escape(raw).lower())
        }
        assert by_sql == by_python, pattern


# --- devdata.sql ---------------------------------------------------------------------------------


def test_ids_reserve_takes_consecutive_ids_the_orm_then_skips():
    last = devdata_sql.ids_reserve(Candidate, 5)
    created = Candidate.objects.create(first_name="After", last_name="Reserve")
    assert created.pk == last + 1


def test_rows_copy_and_rows_delete_match_the_orm():
    fields = ["id", "first_name", "last_name"]
    first = devdata_sql.ids_reserve(Candidate, 4) - 3
    by_copy = [(first + i, f"Copied{i}", "Row") for i in range(2)]
    by_orm = [(first + 2 + i, f"Copied{i}", "Orm") for i in range(2)]
    assert scale.bulk_insert(Candidate, fields, by_copy, now=NOW, batch_size=10) == 2
    scale.bulk_insert(Candidate, fields, by_orm, now=NOW, batch_size=10, method="orm")
    columns = [f.attname for f in Candidate._meta.concrete_fields if f.attname not in fields]
    copied = Candidate.objects.filter(first_name__startswith="Copied")
    rows = {c.last_name: [] for c in copied}
    for c in copied.order_by("first_name"):
        rows[c.last_name].append(
            (c.first_name, *(getattr(c, n) for n in columns if n not in ("created_at",)))
        )
    assert rows["Row"] == rows["Orm"]
    doomed = copied.filter(first_name="Copied0")
    expected = doomed.count()
    assert devdata_sql.rows_delete(doomed) == expected == 2
    assert sorted(copied.values_list("first_name", flat=True)) == ["Copied1", "Copied1"]


def test_seed_lock_deferred_checks_and_analyze_run():
    devdata_sql.seed_lock()
    devdata_sql.deferred_constraints_check()
    devdata_sql.tables_analyze([Candidate])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
        )
        assert cursor.fetchone()[0] == 1


# --- one place ----------------------------------------------------------------------------------

RAW_SQL = re.compile(r"cursor\.execute\(|\.raw\(|\bRawSQL\(|cursor\.copy\(|\.extra\(")


def test_raw_sql_appears_only_in_the_apps_sql_modules():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if path.name != "sql.py" and "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if RAW_SQL.search(line)
    ]
    assert offenders == []


def test_the_raw_sql_guard_catches_a_cursor_outside_sql_modules():
    assert RAW_SQL.search("    cursor.execute(f'SELECT 1')")
    assert RAW_SQL.search("Contact.objects.raw('SELECT * FROM followups_contact')")
    assert RAW_SQL.search("may_quote = RawSQL('x ~ %s', [p])")
    assert not RAW_SQL.search("parsed = parse_email(bytes(contact.message.raw))")


def test_compiled_queries_run_prepared_and_are_still_counted(django_assert_num_queries):
    """``hiring.sql.compiled_execute``: planned once per connection (``DB_PREPARED_STATEMENTS``,
    on by default) and logged like any query, so the pages' query pins still count it."""
    connection.ensure_connection()
    assert connection.connection.prepare_threshold is not None
    query = "SELECT %s::int + 40 AS unify_prepared_probe"
    with django_assert_num_queries(3):
        for value in (1, 2, 2):
            assert compiled_execute(query, [value]) == [(value + 40,)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%unify_prepared_probe%"],
        )
        assert cursor.fetchone() == (1,)
