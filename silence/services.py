"""Silence tests: announcing one, the sweeper that advances them, and the digests.

The models are ``hiring.models.SilenceTest`` and ``SilenceDigest``; cancelling a test on a stage
move and contaminating one on a team contact are ``hiring.services`` (the layers below cause
them).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django_q.tasks import async_task

from candidates.freshness import mark_scores_stale
from candidates.models import Application
from candidates.services import applications_auto_reject
from followups.rules import silence_outcome_case
from hiring import events
from hiring import policy as hiring_policy
from hiring.models import (
    OPEN_SILENCE_STATES,
    SilenceAction,
    SilenceDigest,
    SilenceOutcome,
    SilenceTest,
    SilenceTestState,
    Stage,
    StageKind,
)
from hiring.services import silence_instants
from silence import sql
from silence.selectors import silence_digest_content

#: Rows advanced per transaction by the sweeper: bounded lock time, steady progress on catch-up.
SWEEP_BATCH_SIZE = 1000
#: Clock skew tolerated when someone records an announcement "now" from another device.
ANNOUNCEMENT_FUTURE_TOLERANCE = timedelta(minutes=5)


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
    if locked.alternative_assessment:  # an accommodation request: no silence test runs
        raise ValidationError(
            "This application has an alternative assessment: no silence test runs.",
            code="alternative_assessment",
        )
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
        subdivision=requisition.subdivision,
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
    # A new (or moved) deadline changes what the score says ("no silence test yet" becomes
    # "no follow-up yet", a contact may become a follow-up): the one freshness mechanism.
    mark_scores_stale([locked.pk])
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


def _auto_reject(test_ids: list[int], now: datetime, stage_ids: set[int]) -> int:
    """Move silent candidates of auto-rejecting stages (``stage_ids``) to Rejected, through the
    stage rules of every move (``candidates.services.applications_auto_reject``).

    Only *silent*: a candidate who withdrew has left already (never "did not reach out"), and
    one who contacted the team before the deadline only did reach out, too early: the manager
    decides that one knowingly (docs/design.md, "The silence test")."""
    if not stage_ids:
        return 0
    rows = (
        SilenceTest.objects.filter(
            id__in=test_ids, outcome=SilenceOutcome.SILENT, stage_id__in=stage_ids
        )
        # Never where a human must decide (GDPR Art. 22), nor on an alternative assessment.
        .exclude(hiring_policy.auto_rejection_excluded("application__"))
        .values_list("application_id", "stage_id", "deadline_at")
    )
    return applications_auto_reject(
        rows=[
            (
                application_id,
                stage_id,
                f"Silent after the silence test (deadline {deadline:%Y-%m-%d %H:%M} UTC): "
                "did not reach out. Don't chase.",
            )
            for application_id, stage_id, deadline in rows
        ],
        at=now,
    )


def _digests_ensure(test_ids: list[int], now: datetime) -> None:
    """Create the missing digests of the (requisition, window close) groups of these tests whose
    window has closed, in the caller's transaction, so that the UPDATE closing the batch can
    point each test at its digest (``silence.sql.digests_ensure``).

    ``ON CONFLICT DO NOTHING`` makes retried and concurrent batches create each digest once; a
    batch inserting a digest that a concurrent batch has inserted but not committed waits for
    that batch. Ordered, so two batches never wait for each other's rows in opposite orders.
    """
    sql.digests_ensure(test_ids, now=now)


def _digests_release(now: datetime) -> list[int]:
    """Queue the email of every digest whose group has no test still open (waiting or
    observing); its ids.

    Runs after the sweep's batches have committed, in a transaction of its own: when several
    sweepers close one group, the last to commit sees every other's work and queues the email,
    so it lists everyone. A sweeper killed before it got here leaves the digest unqueued for the
    next sweep. The task is queued in this transaction (django-q's ORM broker writes it on this
    connection), so it is queued exactly when ``queued_at`` is set.
    """
    open_in_group = SilenceTest.objects.filter(
        application__requisition_id=OuterRef("requisition_id"),
        window_closes_at=OuterRef("window_closes_at"),
        state__in=OPEN_SILENCE_STATES,
    )
    with transaction.atomic():
        # NO KEY UPDATE: does not wait for the FOR KEY SHARE that a concurrent batch's foreign
        # key check holds on the digest; a digest another sweeper is releasing is skipped.
        ready = list(
            SilenceDigest.objects.select_for_update(skip_locked=True, no_key=True)
            .filter(queued_at__isnull=True)
            # Never an empty email: the group's tests may have gone with their applications.
            .filter(Exists(SilenceTest.objects.filter(digest_id=OuterRef("pk"))))
            .exclude(Exists(open_in_group))
            .order_by("id")
            .values_list("id", flat=True)
        )
        if ready:
            SilenceDigest.objects.filter(id__in=ready).update(queued_at=now)
            for digest_id in ready:
                _enqueue_digest(digest_id)
            # The Slack / Teams copy of each digest, for requisitions that have a chat webhook.
            events.events_emit(event=events.SILENCE_DIGEST_READY, ids=ready, at=now)
    return ready


def _enqueue_digest(digest_id: int) -> None:
    async_task(
        "silence.tasks.send_silence_digest", digest_id, task_name=f"silence-digest-{digest_id}"
    )


def _advance_batch(
    claimed: list[tuple[int, int, bool]],
    *,
    from_state: str,
    now: datetime,
    auto_reject_stages: set[int],
    result: SweepResult,
) -> None:
    """Advance claimed ``(id, application id, window closed)`` rows in one UPDATE: those whose
    window has closed straight to closed (outcome decided in SQL, digest attached), the others
    (only waiting ones) to observing.

    One write per row whatever the number of transitions: a waiting test whose window has also
    closed (the sweeper was down, or late) skips the observing state, which nothing outside the
    sweep could have seen.
    """
    closing = [(test_id, application_id) for test_id, application_id, closed in claimed if closed]
    if closing:
        _digests_ensure([test_id for test_id, _application_id in closing], now)
    window_closed = Q(window_closes_at__lte=now)
    group_digest = SilenceDigest.objects.filter(
        requisition_id=Subquery(
            # order_by(): the model's default ordering would sort inside every row's lookup.
            Application.objects.filter(pk=OuterRef(OuterRef("application_id")))
            .order_by()
            .values("requisition_id")
        ),
        window_closes_at=OuterRef("window_closes_at"),
    ).values("id")
    changes = {
        "state": Case(
            When(window_closed, then=Value(SilenceTestState.CLOSED)),
            default=Value(SilenceTestState.OBSERVING),
        ),
        "closed_at": Case(When(window_closed, then=Value(now)), default=None),
        # The same rule (``followups.rules.silence_outcome_case``, the score's twin) decides
        # every outcome, whether the test went through the observing state or not.
        "outcome": Case(
            When(~window_closed, then=Value("")),
            default=silence_outcome_case(),
        ),
        "digest_id": Case(When(window_closed, then=Subquery(group_digest)), default=None),
        "updated_at": now,
    }
    if from_state == SilenceTestState.WAITING:
        changes["observing_since"] = F("deadline_at")
    advanced = SilenceTest.objects.filter(
        id__in=[test_id for test_id, _application_id, _closed in claimed], state=from_state
    ).update(**changes)
    if from_state == SilenceTestState.WAITING:
        result.started += advanced
    result.closed += len(closing)
    if not closing:
        return
    result.auto_rejected += _auto_reject(
        [test_id for test_id, _application_id in closing], now, auto_reject_stages
    )
    # Marked in the batch's transaction: a worker killed at its COMMIT leaves the marks, which
    # the minutely drain recomputes (a reliability drill kills it there).
    mark_scores_stale(application_id for _test_id, application_id in closing)
    # Outbound webhooks: written in the batch's transaction like the marks, so a closed test
    # is never without its event.
    events.events_emit(
        event=events.SILENCE_TEST_CLOSED, ids=[test_id for test_id, _a in closing], at=now
    )


def silence_outcomes_refresh(*, application_ids: list[int]) -> int:
    """Re-decide the outcome of these applications' closed tests with the sweeper's rule, after
    their inputs changed (a contact tagged opt-out after the window closed, a move to
    Withdrawn): the score's drain calls it in the transaction that stores the new scores
    (``scoring.scores``), so the test's outcome and the score's never disagree. The digest
    already sent is history and stays as it was. One UPDATE; tests already right are left
    alone."""
    if not application_ids:
        return 0
    return (
        SilenceTest.objects.filter(
            application_id__in=application_ids, state=SilenceTestState.CLOSED
        )
        .annotate(decided=silence_outcome_case())
        .exclude(outcome=F("decided"))
        .update(outcome=F("decided"))
    )


def silence_tests_sweep(*, now: datetime, batch_size: int = SWEEP_BATCH_SIZE) -> SweepResult:
    """Advance every due silence test: waiting → observing at the deadline, observing → closed
    (reached out / silent) when the window closes, waiting → closed in one step when both have
    passed; then queue the digests whose groups have closed.

    Set-based and batched; each batch claims its rows with SKIP LOCKED and changes them with
    one conditional UPDATE, so re-delivery, catch-up after downtime (oldest first) and
    concurrent clusters never double-process. Waiting tests go first, then observing ones.
    """
    result = SweepResult()
    window_closed = Q(window_closes_at__lte=now)
    # Read once per sweep: most pipelines never auto-reject, and then no batch needs the lookup.
    auto_reject_stages = set(
        Stage.objects.filter(silence_action=SilenceAction.AUTO_REJECT).values_list("id", flat=True)
    )
    phases = [
        (
            SilenceTestState.WAITING,
            SilenceTest.objects.filter(state=SilenceTestState.WAITING, deadline_at__lte=now),
            "deadline_at",
        ),
        (
            SilenceTestState.OBSERVING,
            SilenceTest.objects.filter(state=SilenceTestState.OBSERVING, window_closes_at__lte=now),
            "window_closes_at",
        ),
    ]
    for from_state, due, order_field in phases:
        while True:
            with transaction.atomic():
                claimed = list(
                    _claimed(due, order_field, batch_size)
                    .annotate(closing=ExpressionWrapper(window_closed, output_field=BooleanField()))
                    .values_list("id", "application_id", "closing")
                )
                if not claimed:
                    break
                _advance_batch(
                    claimed,
                    from_state=from_state,
                    now=now,
                    auto_reject_stages=auto_reject_stages,
                    result=result,
                )
    result.digests = _digests_release(now)
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
