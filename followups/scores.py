"""Stored persistence scores: the bulk loader, recomputation and the weights versions.

The single-application path calls the bulk one. Loading signals for a batch of applications
takes a fixed number of queries (tests, contacts, tags, promises); writing the changed scores
takes two more (retire the old current rows, insert the new ones).
"""

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from followups.models import (
    Contact,
    ContactTag,
    PersistenceScore,
    Promise,
    ScoringWeights,
)
from followups.scoring import (
    ContactSignal,
    PromiseSignal,
    ScoreResult,
    TestSignal,
    Weights,
    score_application,
)
from hiring.calendars import business_calendar

#: Applications scored per transaction in bulk recomputes.
SCORE_BATCH_SIZE = 1000
#: Above this many applications a refresh goes to the task queue instead of the request.
INLINE_REFRESH_LIMIT = 50

WEIGHT_FIELDS = tuple(f.name for f in dataclasses.fields(Weights))


def weights_current() -> ScoringWeights:
    weights = ScoringWeights.objects.order_by("-version").first()
    # The first version comes from a data migration; recreate it if a test flushed the table.
    return weights or ScoringWeights.objects.get_or_create(version=1)[0]


def weights_as_rules(weights: ScoringWeights) -> Weights:
    return Weights(**{name: getattr(weights, name) for name in WEIGHT_FIELDS})


@dataclasses.dataclass(frozen=True)
class ScoreInput:
    test_id: int | None
    test: TestSignal | None
    contacts: tuple[ContactSignal, ...]
    promises: tuple[PromiseSignal, ...]


def score_inputs(application_ids: Sequence[int]) -> dict[int, ScoreInput]:
    """Everything the pure scoring function needs for many applications, in four queries."""
    from hiring.models import SilenceTest, SilenceTestState

    tests: dict[int, tuple[int, TestSignal]] = {}
    for row in (
        SilenceTest.objects.filter(application_id__in=application_ids)
        .exclude(state=SilenceTestState.CANCELLED)
        .order_by("application_id", "-announced_at", "-id")
        .values(
            "id",
            "application_id",
            "deadline_at",
            "window_closes_at",
            "state",
            "contaminated_at",
            "time_zone",
            "application__requisition__country",
        )
    ):
        if row["application_id"] in tests:
            continue  # the latest test per application counts
        zone = ZoneInfo(row["time_zone"])
        # Latency counts business time in the requisition's zone and country.
        weekend, holiday_dates = business_calendar(
            row["application__requisition__country"], row["deadline_at"].astimezone(zone).date()
        )
        tests[row["application_id"]] = (
            row["id"],
            TestSignal(
                deadline_at=row["deadline_at"],
                window_closes_at=row["window_closes_at"],
                state=row["state"],
                contaminated=row["contaminated_at"] is not None,
                time_zone=zone,
                weekend=weekend,
                holidays=holiday_dates,
            ),
        )
    tags: dict[int, set[str]] = defaultdict(set)
    for contact_id, tag in ContactTag.objects.filter(
        contact__application_id__in=application_ids
    ).values_list("contact_id", "tag"):
        tags[contact_id].add(tag)
    contacts: dict[int, list[ContactSignal]] = defaultdict(list)
    # .order_by(): the model's default ordering would sort every batch for nothing.
    for row in (
        Contact.objects.filter(application_id__in=application_ids)
        .order_by()
        .values(
            "id",
            "application_id",
            "occurred_at",
            "channel",
            "direction",
            "is_prompted",
            "is_automated",
            "summary",
        )
    ):
        contacts[row["application_id"]].append(
            ContactSignal(
                occurred_at=row["occurred_at"],
                channel=row["channel"],
                direction=row["direction"],
                is_prompted=row["is_prompted"],
                is_automated=row["is_automated"],
                tags=frozenset(tags.get(row["id"], ())),
                summary=row["summary"],
            )
        )
    promises: dict[int, list[PromiseSignal]] = defaultdict(list)
    for row in (
        Promise.objects.filter(application_id__in=application_ids)
        .order_by()
        .values("application_id", "status", "description", "due_at")
    ):
        promises[row["application_id"]].append(
            PromiseSignal(
                status=row["status"], description=row["description"], due_at=row["due_at"]
            )
        )
    result = {}
    for application_id in application_ids:
        test_id, test = tests.get(application_id, (None, None))
        result[application_id] = ScoreInput(
            test_id=test_id,
            test=test,
            contacts=tuple(contacts.get(application_id, ())),
            promises=tuple(promises.get(application_id, ())),
        )
    return result


def _lines_json(result: ScoreResult) -> list[dict]:
    return [{"rule": line.rule, "text": line.text, "points": line.points} for line in result.lines]


def _scores_write_batch(
    application_ids: Sequence[int], *, weights: ScoringWeights, now: datetime
) -> int:
    rules = weights_as_rules(weights)
    inputs = score_inputs(application_ids)
    current = {
        row["application_id"]: row
        for row in PersistenceScore.objects.filter(
            application_id__in=application_ids, is_current=True
        ).values(
            "application_id",
            "score",
            "outcome",
            "comparable",
            "lines",
            "weights_id",
            "silence_test_id",
        )
    }
    new_rows = []
    for application_id, data in inputs.items():
        result = score_application(
            test=data.test, contacts=data.contacts, promises=data.promises, weights=rules, now=now
        )
        lines = _lines_json(result)
        old = current.get(application_id)
        if old and (
            old["score"],
            old["outcome"],
            old["comparable"],
            old["lines"],
            old["weights_id"],
            old["silence_test_id"],
        ) == (result.score, result.outcome, result.comparable, lines, weights.pk, data.test_id):
            continue  # unchanged: no history row
        new_rows.append(
            PersistenceScore(
                application_id=application_id,
                silence_test_id=data.test_id,
                weights=weights,
                score=result.score,
                outcome=result.outcome,
                comparable=result.comparable,
                lines=lines,
                first_follow_up_at=result.first_follow_up_at,
                computed_at=now,
            )
        )
    if new_rows:
        PersistenceScore.objects.filter(
            application_id__in=[row.application_id for row in new_rows], is_current=True
        ).update(is_current=False)
        PersistenceScore.objects.bulk_create(new_rows)
    return len(new_rows)


def scores_recompute(
    *,
    application_ids: Iterable[int],
    now: datetime,
    batch_size: int = SCORE_BATCH_SIZE,
) -> int:
    """Recompute and store the scores of these applications; returns how many changed."""
    ids = sorted(set(application_ids))
    weights = weights_current()
    changed = 0
    for start in range(0, len(ids), batch_size):
        with transaction.atomic():
            changed += _scores_write_batch(
                ids[start : start + batch_size], weights=weights, now=now
            )
    return changed


def scores_recompute_all(*, now: datetime, batch_size: int = SCORE_BATCH_SIZE) -> int:
    """Every application, in id order and batches (after a weights change)."""
    from candidates.models import Application

    ids = list(Application.objects.order_by("id").values_list("id", flat=True))
    return scores_recompute(application_ids=ids, now=now, batch_size=batch_size)


def score_for(application_id: int, *, now: datetime) -> ScoreResult:
    """One application's score, computed now (not stored): the bulk path with one id."""
    data = score_inputs([application_id])[application_id]
    return score_application(
        test=data.test,
        contacts=data.contacts,
        promises=data.promises,
        weights=weights_as_rules(weights_current()),
        now=now,
    )


def scores_refresh_on_commit(application_ids: Iterable[int]) -> None:
    """After the current transaction commits, bring these applications' scores up to date:
    inline for a handful, through the task queue for more."""
    ids = sorted({i for i in application_ids if i})
    if not ids:
        return

    def refresh():
        if len(ids) <= INLINE_REFRESH_LIMIT:
            scores_recompute(application_ids=ids, now=timezone.now())
        else:
            from django_q.tasks import async_task

            for start in range(0, len(ids), SCORE_BATCH_SIZE):
                async_task("followups.tasks.rescore", ids[start : start + SCORE_BATCH_SIZE])

    transaction.on_commit(refresh)


def scores_refresh_in_transaction(application_ids: Iterable[int], *, now: datetime) -> None:
    """Bring these applications' scores up to date as part of the caller's transaction, so they
    commit (or roll back) together with the change that moved them: inline for a handful;
    otherwise rescore tasks queued through django-q's ORM broker, which writes its queue rows on
    this same connection (an outbox).

    ``scores_refresh_on_commit`` loses the refresh when the process dies after its COMMIT and
    before the callbacks run (a worker can even die while the COMMIT is in flight and the commit
    still completes). The sweeper, whose stale scores nothing else would refresh, uses this.
    """
    from django_q.conf import Conf
    from django_q.tasks import async_task

    if transaction.get_autocommit():
        raise RuntimeError("scores_refresh_in_transaction needs the caller's transaction")
    ids = sorted({i for i in application_ids if i})
    if len(ids) <= INLINE_REFRESH_LIMIT:
        if ids:
            scores_recompute(application_ids=ids, now=now)
        return
    if not Conf.ORM:
        # Another broker would deliver the task outside this transaction, maybe before it commits.
        raise RuntimeError("queueing rescores in a transaction needs django-q's ORM broker")
    for start in range(0, len(ids), SCORE_BATCH_SIZE):
        async_task("followups.tasks.rescore", ids[start : start + SCORE_BATCH_SIZE])


# --- Weights versions and overrides --------------------------------------------------------------

#: Candidates compared in the weights preview.
PREVIEW_TOP = 10


@transaction.atomic
def weights_version_create(*, values: dict, note: str, actor) -> ScoringWeights:
    """Save new weights as the next version and rescore everything in the background."""
    from django.core.exceptions import ValidationError
    from django_q.tasks import async_task

    from audit.services import AuditAction, audit_record

    problems = Weights(**values).validate()
    if problems:
        raise ValidationError(problems)
    latest = ScoringWeights.objects.select_for_update().order_by("-version").first()
    weights = ScoringWeights.objects.create(
        version=(latest.version if latest else 0) + 1, note=note, created_by=actor, **values
    )
    audit_record(action=AuditAction.WEIGHTS_CHANGED, actor=actor, obj=weights, details=values)
    transaction.on_commit(lambda: async_task("followups.tasks.rescore_all"))
    return weights


@dataclasses.dataclass(frozen=True)
class PreviewRow:
    application_id: int
    name: str
    current_score: int
    current_rank: int
    proposed_score: int
    proposed_rank: int


def weights_preview(*, requisition, values: dict, now: datetime) -> list[PreviewRow]:
    """How the requisition's top candidates would move under the proposed weights."""
    from candidates.models import Application

    names = {
        pk: f"{first} {last}".strip()
        for pk, first, last in Application.objects.filter(requisition=requisition).values_list(
            "pk", "candidate__first_name", "candidate__last_name"
        )
    }
    inputs = score_inputs(list(names))
    current_rules, proposed_rules = weights_as_rules(weights_current()), Weights(**values)

    def ranked(rules):
        scores = {
            pk: score_application(
                test=data.test,
                contacts=data.contacts,
                promises=data.promises,
                weights=rules,
                now=now,
            ).score
            for pk, data in inputs.items()
        }
        order = sorted(scores, key=lambda pk: (-scores[pk], names[pk], pk))
        return scores, {pk: index for index, pk in enumerate(order, start=1)}

    current_scores, current_ranks = ranked(current_rules)
    proposed_scores, proposed_ranks = ranked(proposed_rules)
    shown = sorted(
        {pk for pk, rank in current_ranks.items() if rank <= PREVIEW_TOP}
        | {pk for pk, rank in proposed_ranks.items() if rank <= PREVIEW_TOP},
        key=lambda pk: proposed_ranks[pk],
    )
    return [
        PreviewRow(
            application_id=pk,
            name=names[pk],
            current_score=current_scores[pk],
            current_rank=current_ranks[pk],
            proposed_score=proposed_scores[pk],
            proposed_rank=proposed_ranks[pk],
        )
        for pk in shown
    ]


@transaction.atomic
def rank_override_set(
    *, application, actor, reason: str, position: int | None = None, outcome: str = ""
):
    """A hiring manager overrides the rank position and/or the outcome, with a reason; the
    previous override stays in the history, inactive."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from audit.services import AuditAction, audit_record
    from followups.models import RankOverride
    from hiring.roles import is_admin

    if not (is_admin(actor) or application.requisition.hiring_manager_id == actor.pk):
        raise PermissionDenied("Only the hiring manager can override the ranking.")
    if not reason.strip():
        raise ValidationError("Say why: the reason is kept with the override.")
    if position is None and not outcome:
        raise ValidationError("Choose a position or an outcome to override.")
    if position is not None and position < 1:
        raise ValidationError("Positions start at 1.")
    RankOverride.objects.filter(application=application, is_active=True).update(is_active=False)
    # The reason is free text about the candidate: it stays on the override, not in the log.
    audit_record(
        action=AuditAction.RANK_OVERRIDE_SET,
        actor=actor,
        obj=application,
        details={"position": position, "outcome": outcome},
    )
    return RankOverride.objects.create(
        application=application,
        position=position,
        outcome=outcome,
        reason=reason.strip(),
        created_by=actor,
    )


@transaction.atomic
def rank_override_clear(*, application, actor) -> int:
    from django.core.exceptions import PermissionDenied

    from audit.services import AuditAction, audit_record
    from followups.models import RankOverride
    from hiring.roles import is_admin

    if not (is_admin(actor) or application.requisition.hiring_manager_id == actor.pk):
        raise PermissionDenied("Only the hiring manager can change the ranking.")
    audit_record(action=AuditAction.RANK_OVERRIDE_CLEARED, actor=actor, obj=application)
    return RankOverride.objects.filter(application=application, is_active=True).update(
        is_active=False
    )
