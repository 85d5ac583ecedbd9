"""The candidates app's raw SQL: the only module of the app that talks SQL (docs/design.md,
"Raw SQL"). Table names come from the models; tests/integration/test_sql_modules.py compares
each function with an ORM reference on small data."""

from collections.abc import Sequence
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models.expressions import RawSQL

from candidates.models import (
    Application,
    ApplicationCV,
    Candidate,
    CandidateEmail,
    CandidatePhone,
    InterviewRound,
    Scorecard,
    StageTransition,
    StaleScore,
)
from hiring.models import Closure, Pipeline, Requisition, ScorecardTrait, SilenceTest, Stage
from hiring.sql import compiled_execute

_q = connection.ops.quote_name
_STALE = _q(StaleScore._meta.db_table)
_APPLICATION = _q(Application._meta.db_table)

# An upsert, which the ORM cannot write with DO UPDATE on a conflict target in one statement
# over a set of ids (``bulk_create(update_conflicts=...)`` needs the rows in Python first, and
# would not skip deleted applications).
_MARK_SQL = f"""
    INSERT INTO {_STALE} (application_id, marked_at)
    SELECT a.id, %(at)s FROM {_APPLICATION} a WHERE a.id = ANY(%(ids)s::bigint[])
    ORDER BY a.id
    ON CONFLICT (application_id) DO UPDATE SET marked_at = EXCLUDED.marked_at
"""


def stale_scores_upsert(application_ids: Sequence[int], *, at: datetime) -> None:
    """Mark these applications' scores stale at ``at`` (an existing mark is moved to ``at``;
    an application that does not exist is skipped), in id order."""
    with connection.cursor() as cursor:
        cursor.execute(_MARK_SQL, {"at": at, "ids": [int(i) for i in application_ids]})


# The application page's version (``candidates.page_cache``): SQL text expressions over the
# application row of the page's query, which the ORM names by its table (no alias). Each gives
# the id and the ``xmin`` (the transaction that last wrote the row) of every row the page shows:
# any insert, update or delete of one of them, by whatever path (ORM, raw SQL, another process),
# changes the text. xmin, not the rows' content: the same guarantee without hashing email bodies.
#: The page query's application row.
PAGE_APPLICATION = _APPLICATION


def rows_version_sql(model, where: str) -> str:
    """``id.xmin`` of every row of ``model``'s table (alias ``t``) where ``where``, in id order:
    one text expression (NULL for no rows). ``where`` may name ``PAGE_APPLICATION``."""
    table = _q(model._meta.db_table)
    return (
        f"(SELECT string_agg(t.id::text || '.' || t.xmin::text, ',' ORDER BY t.id) "
        f"FROM {table} t WHERE {where})"
    )


def users_version_sql(user_ids_sql: str) -> str:
    """``rows_version_sql`` of the users whose ids ``user_ids_sql`` (a subquery) gives: names
    shown on the page (actors, interviewers, the team)."""
    return rows_version_sql(get_user_model(), f"t.id IN ({user_ids_sql})")


def application_page_version_parts() -> list[str]:
    """What this app's part of the page shows: the application, its candidate (emails,
    phones), the requisition, its pipeline (stages, scorecard traits), the team (the forms'
    choices), rounds, interviewers, scorecards, silence tests, history, CVs, the company's
    closure days (the announcement's deadline) and the people named."""
    a = PAGE_APPLICATION
    requisition = _q(Requisition._meta.db_table)
    recruiters = _q(Requisition.recruiters.through._meta.db_table)
    rounds = _q(InterviewRound._meta.db_table)
    interviewers = _q(InterviewRound.interviewers.through._meta.db_table)
    scorecards = _q(Scorecard._meta.db_table)
    tests = _q(SilenceTest._meta.db_table)
    transitions = _q(StageTransition._meta.db_table)
    cvs = _q(ApplicationCV._meta.db_table)
    pipeline_id = f"(SELECT r.pipeline_id FROM {requisition} r WHERE r.id = {a}.requisition_id)"
    round_ids = f"SELECT ir.id FROM {rounds} ir WHERE ir.application_id = {a}.id"
    return [
        f"{a}.xmin::text",
        rows_version_sql(Candidate, f"t.id = {a}.candidate_id"),
        rows_version_sql(CandidateEmail, f"t.candidate_id = {a}.candidate_id"),
        rows_version_sql(CandidatePhone, f"t.candidate_id = {a}.candidate_id"),
        rows_version_sql(Requisition, f"t.id = {a}.requisition_id"),
        rows_version_sql(Pipeline, f"t.id = {pipeline_id}"),
        rows_version_sql(
            Stage,
            f"t.pipeline_id = {pipeline_id} OR t.id = {a}.stage_id OR t.id IN ("
            f"SELECT st.stage_id FROM {tests} st WHERE st.application_id = {a}.id "
            f"UNION SELECT tr.from_stage_id FROM {transitions} tr WHERE tr.application_id = {a}.id "
            f"UNION SELECT tr.to_stage_id FROM {transitions} tr WHERE tr.application_id = {a}.id)",
        ),
        rows_version_sql(ScorecardTrait, f"t.pipeline_id = {pipeline_id}"),
        rows_version_sql(Requisition.recruiters.through, f"t.requisition_id = {a}.requisition_id"),
        rows_version_sql(InterviewRound, f"t.application_id = {a}.id"),
        rows_version_sql(
            InterviewRound.interviewers.through, f"t.interviewround_id IN ({round_ids})"
        ),
        rows_version_sql(Scorecard, f"t.round_id IN ({round_ids})"),
        rows_version_sql(SilenceTest, f"t.application_id = {a}.id"),
        rows_version_sql(StageTransition, f"t.application_id = {a}.id"),
        rows_version_sql(ApplicationCV, f"t.application_id = {a}.id"),
        rows_version_sql(Closure, "true"),
        users_version_sql(
            f"SELECT r.hiring_manager_id FROM {requisition} r WHERE r.id = {a}.requisition_id "
            f"UNION SELECT rr.user_id FROM {recruiters} rr "
            f"WHERE rr.requisition_id = {a}.requisition_id "
            f"UNION SELECT ii.user_id FROM {interviewers} ii "
            f"WHERE ii.interviewround_id IN ({round_ids}) "
            f"UNION SELECT sc.interviewer_id FROM {scorecards} sc "
            f"WHERE sc.round_id IN ({round_ids}) "
            f"UNION SELECT st.announced_by_id FROM {tests} st WHERE st.application_id = {a}.id "
            f"UNION SELECT tr.actor_id FROM {transitions} tr WHERE tr.application_id = {a}.id "
            f"UNION SELECT cv.uploaded_by_id FROM {cvs} cv WHERE cv.application_id = {a}.id"
        ),
    ]


def application_page_version_expression(parts: Sequence[str]) -> RawSQL:
    """One md5 of ``parts``, in order, as a column of the page's query; a part without rows
    (NULL) counts as ``-``, so each part keeps its position."""
    return RawSQL(
        "md5(concat_ws('|', " + ", ".join(f"coalesce({p}, '-')" for p in parts) + "))", ()
    )


def application_page_version_fetch(query: str, params: Sequence) -> tuple | None:
    """The row of the compiled version query (``candidates.page_cache``), or None when the
    user may not see the application."""
    rows = compiled_execute(query, list(params))
    return rows[0] if rows else None
