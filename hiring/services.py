from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Case, Exists, F, Value, When
from django_q.tasks import async_task

from hiring.calendars import business_calendar
from hiring.deadlines import SilenceSchedule, silence_deadline, window_close
from hiring.models import (
    OPEN_SILENCE_STATES,
    Pipeline,
    Requisition,
    RequisitionStatus,
    SilenceAction,
    SilenceDigest,
    SilenceOutcome,
    SilenceTest,
    SilenceTestState,
    Stage,
    StageKind,
    UserProfile,
)

User = get_user_model()


@transaction.atomic
def pipeline_create(*, name: str, stages: Iterable[tuple[str, str, int | None]]) -> Pipeline:
    """Create a pipeline with stages given as ``(name, kind, stuck_after_days)`` in order."""
    pipeline = Pipeline(name=name)
    pipeline.full_clean()
    pipeline.save()
    for order, (stage_name, kind, stuck_after_days) in enumerate(stages, start=1):
        stage = Stage(
            pipeline=pipeline,
            name=stage_name,
            order=order * 10,  # gaps let admins insert a stage without renumbering
            kind=kind,
            stuck_after_days=stuck_after_days,
        )
        stage.full_clean()
        stage.save()
    return pipeline


@transaction.atomic
def requisition_create(
    *,
    title: str,
    pipeline: Pipeline,
    hiring_manager,
    time_zone: str,
    country: str,
    recruiters: Iterable = (),
    status: str = RequisitionStatus.OPEN,
) -> Requisition:
    requisition = Requisition(
        title=title,
        pipeline=pipeline,
        hiring_manager=hiring_manager,
        time_zone=time_zone,
        country=country.upper(),
        status=status,
    )
    requisition.full_clean()
    requisition.save()
    requisition.recruiters.set(list(recruiters))
    return requisition


def user_profile_for(user) -> UserProfile:
    profile, _created = UserProfile.objects.get_or_create(user=user)
    return profile


def user_time_zone_set(*, user, time_zone: str) -> UserProfile:
    profile = user_profile_for(user)
    profile.time_zone = time_zone
    profile.full_clean()
    profile.save(update_fields=["time_zone"])
    return profile


# --- Silence tests ------------------------------------------------------------------------------

#: Rows advanced per transaction by the sweeper: bounded lock time, steady progress on catch-up.
SWEEP_BATCH_SIZE = 1000
#: Clock skew tolerated when someone records an announcement "now" from another device.
ANNOUNCEMENT_FUTURE_TOLERANCE = timedelta(minutes=5)


def silence_schedule_for(stage: Stage) -> SilenceSchedule:
    return SilenceSchedule(
        weekday=stage.silence_weekday,
        local_time=stage.silence_local_time,
        lead=timedelta(hours=stage.silence_lead_hours),
        window_business_days=stage.silence_window_business_days,
    )


def silence_instants(
    *, announced_at: datetime, stage: Stage, time_zone: str, country: str
) -> tuple[datetime, datetime]:
    """``(deadline, window close)`` for an announcement, in UTC."""
    tz = ZoneInfo(time_zone)
    schedule = silence_schedule_for(stage)
    weekend, holiday_dates = business_calendar(country, announced_at.astimezone(tz).date())
    deadline = silence_deadline(
        announced_at=announced_at,
        tz=tz,
        schedule=schedule,
        weekend=weekend,
        holidays=holiday_dates,
    )
    weekend, holiday_dates = business_calendar(country, deadline.astimezone(tz).date())
    closes = window_close(
        deadline=deadline, tz=tz, schedule=schedule, weekend=weekend, holidays=holiday_dates
    )
    return deadline, closes


@transaction.atomic
def silence_test_announce(
    *,
    application,
    announced_by,
    recorded_by,
    announced_at: datetime,
    now: datetime,
) -> SilenceTest:
    """Record that the candidate was told "you'll hear from us by …" and start the test.

    Re-announcing replaces a test that is still waiting; a running (observing) test cannot be
    restarted, because the candidate may already be following up.
    """
    from candidates.models import Application

    if announced_at.tzinfo is None:
        raise ValidationError("The announcement time needs a time zone.")
    if announced_at > now + ANNOUNCEMENT_FUTURE_TOLERANCE:
        raise ValidationError("The announcement cannot be in the future: record it once it's said.")
    locked = (
        Application.objects.select_for_update()
        .select_related("stage", "requisition")
        .get(pk=application.pk)
    )
    stage = locked.stage
    if stage.kind != StageKind.SILENCE_TEST:
        raise ValidationError(
            f"“{stage.name}” does not run a silence test; move the application to the silence-test "
            "stage first.",
            code="not_silence_stage",
        )
    requisition = locked.requisition
    deadline, closes = silence_instants(
        announced_at=announced_at,
        stage=stage,
        time_zone=requisition.time_zone,
        country=requisition.country,
    )
    if deadline <= now:
        raise ValidationError(
            "That announcement's deadline has already passed; record the announcement when it "
            "happens.",
            code="deadline_passed",
        )
    test = SilenceTest.objects.filter(application=locked, state__in=OPEN_SILENCE_STATES).first()
    if test is not None and test.state == SilenceTestState.OBSERVING:
        raise ValidationError(
            "The silence test is already running (the deadline has passed); it cannot be "
            "re-announced.",
            code="already_observing",
        )
    test = test or SilenceTest(application=locked)
    test.stage = stage
    test.announced_at = announced_at
    test.announced_by = announced_by
    test.recorded_by = recorded_by
    test.time_zone = requisition.time_zone
    test.deadline_at = deadline
    test.window_closes_at = closes
    test.save()
    return test


def silence_tests_cancel_open(*, application_id: int, reason: str, now: datetime) -> int:
    """Cancel the application's open test (candidate withdrew or was rejected)."""
    return SilenceTest.objects.filter(
        application_id=application_id, state__in=OPEN_SILENCE_STATES
    ).update(
        state=SilenceTestState.CANCELLED,
        cancelled_at=now,
        cancel_reason=reason[:200],
        updated_at=now,
    )


def silence_test_contaminate(*, application_id: int, contact, now: datetime) -> SilenceTest | None:
    """Mark an observing test contaminated by a team contact (first contact wins)."""
    test = (
        SilenceTest.objects.select_for_update()
        .filter(application_id=application_id, state=SilenceTestState.OBSERVING)
        .first()
    )
    if test is None:
        return None
    if test.contaminated_at is None:
        test.contaminated_at = contact.occurred_at
        test.contaminated_by = contact
        test.save(update_fields=["contaminated_at", "contaminated_by", "updated_at"])
    return test


@dataclass
class SweepResult:
    started: int = 0
    closed: int = 0
    auto_rejected: int = 0
    digests: list[int] = field(default_factory=list)


def _claimed(queryset, order_field: str, batch_size: int):
    # SKIP LOCKED: a concurrent sweeper (another cluster, a retried task) takes other rows or none,
    # so no row is ever advanced twice.
    return queryset.select_for_update(skip_locked=True, of=("self",)).order_by(order_field, "id")[
        :batch_size
    ]


def _reached_out():
    """EXISTS: an unprompted, human follow-up from the candidate inside the window."""
    from followups.selectors import window_follow_ups

    return Exists(window_follow_ups())


def _auto_reject(test_ids: list[int], now: datetime, stage_ids: set[int]) -> int:
    """Move silent candidates of auto-rejecting stages (``stage_ids``) to Rejected, set-based,
    with history."""
    from audit.services import AuditAction, audit_record_many
    from candidates.models import Application, StageTransition

    if not stage_ids:
        return 0
    rows = list(
        SilenceTest.objects.filter(
            id__in=test_ids,
            outcome=SilenceOutcome.SILENT,
            stage_id__in=stage_ids,
            # Only while the candidate still sits in the test's stage: a manual move wins.
            application__stage_id=F("stage_id"),
        ).values_list("application_id", "stage_id", "stage__pipeline_id", "deadline_at")
    )
    if not rows:
        return 0
    rejected = dict(
        Stage.objects.filter(
            pipeline_id__in={pipeline for _a, _s, pipeline, _d in rows}, kind=StageKind.REJECTED
        )
        .order_by("pipeline_id", "-order")
        .values_list("pipeline_id", "id")
    )
    moves = [
        (app, stage, rejected[pipeline], d)
        for app, stage, pipeline, d in rows
        if pipeline in rejected
    ]
    StageTransition.objects.bulk_create(
        StageTransition(
            application_id=app,
            from_stage_id=stage,
            to_stage_id=target,
            actor=None,
            reason=f"Silent after the silence test (deadline {deadline:%Y-%m-%d %H:%M} UTC): "
            "did not reach out. Don't chase.",
            at=now,
        )
        for app, stage, target, deadline in moves
    )
    audit_record_many(
        action=AuditAction.STAGE_MOVED,
        model=Application,
        actor=None,
        items=[
            (app, {"from_stage": stage, "to_stage": target, "by": "silence_test_auto_reject"})
            for app, stage, target, _d in moves
        ],
    )
    for target in {target for _a, _s, target, _d in moves}:
        Application.objects.filter(id__in=[app for app, _s, t, _d in moves if t == target]).update(
            stage_id=target, stage_entered_at=now, updated_at=now
        )
    return len(moves)


#: The (requisition, window close) groups with a closed test not yet in a digest, whose tests are
#: all closed: a concurrent sweeper still holding some of a group creates its digest when it
#: commits, so the email lists everyone.
_READY_DIGEST_GROUPS = """
    SELECT g.requisition_id, g.window_closes_at
    FROM (
        SELECT DISTINCT a.requisition_id, t.window_closes_at
        FROM {test} t JOIN {application} a ON a.id = t.application_id
        WHERE t.state = %(closed)s AND t.digest_id IS NULL
    ) g
    WHERE NOT EXISTS (
        SELECT 1 FROM {test} o JOIN {application} oa ON oa.id = o.application_id
        WHERE oa.requisition_id = g.requisition_id
          AND o.window_closes_at = g.window_closes_at
          AND o.state = %(observing)s
    )
"""
_DIGESTS_INSERT = """
    INSERT INTO {digest} (requisition_id, window_closes_at, created_at, recipient, failure)
    SELECT r.requisition_id, r.window_closes_at, %(now)s, '', ''
    FROM unnest(%(requisitions)s::bigint[], %(closes)s::timestamptz[])
        AS r(requisition_id, window_closes_at)
    ON CONFLICT (requisition_id, window_closes_at) DO NOTHING
    RETURNING id
"""
_DIGESTS_ATTACH = """
    UPDATE {test} t SET digest_id = d.id
    FROM unnest(%(requisitions)s::bigint[], %(closes)s::timestamptz[])
            AS r(requisition_id, window_closes_at),
        {application} a, {digest} d
    WHERE a.id = t.application_id
      AND a.requisition_id = r.requisition_id AND t.window_closes_at = r.window_closes_at
      AND d.requisition_id = r.requisition_id AND d.window_closes_at = r.window_closes_at
      AND t.state = %(closed)s AND t.digest_id IS NULL
"""


def _create_digests(now: datetime) -> list[int]:
    """One digest per (requisition, window close) once every test of that group is closed.

    Set-based, three statements whatever the number of groups: find the ready groups, insert
    their missing digests — ``ON CONFLICT DO NOTHING`` makes a concurrent or repeated sweep
    create each once, and only the inserting sweep gets the id back and queues the send — then
    attach the groups' closed tests to their digests.
    """
    from candidates.models import Application

    if connection.vendor != "postgresql":
        return _create_digests_per_group(now)
    tables = {
        "test": SilenceTest._meta.db_table,
        "application": Application._meta.db_table,
        "digest": SilenceDigest._meta.db_table,
    }
    params = {
        "now": now,
        "closed": SilenceTestState.CLOSED,
        "observing": SilenceTestState.OBSERVING,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_READY_DIGEST_GROUPS.format(**tables), params)
        ready = cursor.fetchall()
        if not ready:
            return []
        params["requisitions"] = [requisition for requisition, _closes in ready]
        params["closes"] = [closes for _requisition, closes in ready]
        cursor.execute(_DIGESTS_INSERT.format(**tables), params)
        created_ids = sorted(row[0] for row in cursor.fetchall())
        cursor.execute(_DIGESTS_ATTACH.format(**tables), params)
        for digest_id in created_ids:
            transaction.on_commit(partial(_enqueue_digest, digest_id))
    return created_ids


def _create_digests_per_group(now: datetime) -> list[int]:
    """The same, one group at a time: for SQLite (the zero-setup demo, a handful of groups),
    which has neither array parameters nor ``unnest``."""
    pending = (
        SilenceTest.objects.filter(state=SilenceTestState.CLOSED, digest__isnull=True)
        .order_by()  # the model's default ordering would defeat DISTINCT
        .values_list("application__requisition_id", "window_closes_at")
        .distinct()
    )
    created_ids = []
    for requisition_id, closes_at in pending:
        group = SilenceTest.objects.filter(
            application__requisition_id=requisition_id, window_closes_at=closes_at
        )
        if group.filter(state=SilenceTestState.OBSERVING).exists():
            continue
        with transaction.atomic():
            digest, created = SilenceDigest.objects.get_or_create(
                requisition_id=requisition_id, window_closes_at=closes_at
            )
            group.filter(state=SilenceTestState.CLOSED, digest__isnull=True).update(digest=digest)
            if created:
                created_ids.append(digest.pk)
                transaction.on_commit(partial(_enqueue_digest, digest.pk))
    return created_ids


def _enqueue_digest(digest_id: int) -> None:
    async_task(
        "hiring.tasks.send_silence_digest", digest_id, task_name=f"silence-digest-{digest_id}"
    )


def scores_refresh_in_transaction(application_ids, *, now: datetime) -> None:
    # Imported late: followups depends on hiring's models.
    from followups.scores import scores_refresh_in_transaction as refresh

    refresh(list(application_ids), now=now)


def silence_tests_sweep(*, now: datetime, batch_size: int = SWEEP_BATCH_SIZE) -> SweepResult:
    """Advance every due silence test: waiting → observing at the deadline, observing → closed
    (reached out / silent) when the window closes; then create the digests.

    Set-based and batched; each batch claims its rows with SKIP LOCKED and changes them with a
    conditional UPDATE, so re-delivery, catch-up after downtime (oldest first) and concurrent
    clusters never double-process.
    """
    result = SweepResult()
    waiting = SilenceTest.objects.filter(state=SilenceTestState.WAITING, deadline_at__lte=now)
    while True:
        # Claim and advance in one statement: no ids travel to Python and back.
        with transaction.atomic():
            started = SilenceTest.objects.filter(
                id__in=_claimed(waiting, "deadline_at", batch_size).values("id"),
                state=SilenceTestState.WAITING,
            ).update(
                state=SilenceTestState.OBSERVING, observing_since=F("deadline_at"), updated_at=now
            )
        if not started:
            break
        result.started += started
    # Read once per sweep: most pipelines never auto-reject, and then no batch needs the lookup.
    auto_reject_stages = set(
        Stage.objects.filter(silence_action=SilenceAction.AUTO_REJECT).values_list("id", flat=True)
    )
    observing = SilenceTest.objects.filter(
        state=SilenceTestState.OBSERVING, window_closes_at__lte=now
    )
    while True:
        with transaction.atomic():
            claimed = list(
                _claimed(observing, "window_closes_at", batch_size).values_list(
                    "id", "application_id"
                )
            )
            if not claimed:
                break
            ids = [test_id for test_id, _application_id in claimed]
            result.closed += SilenceTest.objects.filter(
                id__in=ids, state=SilenceTestState.OBSERVING
            ).update(
                state=SilenceTestState.CLOSED,
                closed_at=now,
                outcome=Case(
                    When(_reached_out(), then=Value(SilenceOutcome.REACHED_OUT)),
                    default=Value(SilenceOutcome.SILENT),
                ),
                updated_at=now,
            )
            result.auto_rejected += _auto_reject(ids, now, auto_reject_stages)
            # In the batch's transaction, not on commit: a worker killed at its COMMIT would
            # leave these scores stale for good (a reliability drill kills it there).
            scores_refresh_in_transaction(
                [application_id for _test_id, application_id in claimed], now=now
            )
    result.digests = _create_digests(now)
    return result


def silence_digest_send(*, digest_id: int, now: datetime) -> bool:
    """Send a digest once.

    The row stays locked and unsent while the mail goes out, and is marked sent in the same
    transaction once the mail server has accepted it: a worker killed mid-send (or a failing
    server) leaves it unsent for the task's retry, and a concurrent send of the same digest
    skips it. A duplicate needs the worker to die in the instant between the server's
    acceptance and the commit; claiming first and sending after (at most once) lost the digest
    whenever the worker died during the SMTP conversation.
    """
    from hiring.selectors import silence_digest_content

    with transaction.atomic():
        digest = (
            SilenceDigest.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("requisition__hiring_manager")
            .filter(pk=digest_id, sent_at__isnull=True)
            .first()
        )
        if digest is None:
            return False  # sent already, or being sent right now
        recipient = digest.requisition.hiring_manager.email
        if not recipient:
            SilenceDigest.objects.filter(pk=digest_id).update(
                sent_at=now,
                failure="The hiring manager has no email address; the digest is on the silence "
                "board.",
            )
            return False
        content = silence_digest_content(digest=digest)
        # An exception rolls the transaction back: the digest stays unsent for django-q's retry.
        send_mail(
            subject=content.subject,
            message=content.text,
            from_email=None,
            recipient_list=[recipient],
        )
        SilenceDigest.objects.filter(pk=digest_id).update(
            sent_at=now, recipient=recipient, failure=""
        )
    return True
