"""Stored persistence scores: the bulk loader, recomputation and the weights versions.

Two loaders feed the pure scoring function (``scoring.rules``):

* ``score_inputs`` reads every contact of the applications through the ORM. It is the
  reference: ``score_for`` (one application) and the weights preview use it.
* ``score_inputs_bulk`` is what bulk recomputes use. It reads the same rows with raw SQL in
  three queries per batch, and sends Python only the contacts that can change a result (see its
  docstring for why the others cannot). It gives the same scores and the same breakdown lines as
  the reference; tests/integration/test_scores.py checks this on varied data.

A batch of ``SCORE_BATCH_SIZE`` applications costs three reads (applications with their latest
silence test, stage and current score, contacts with their tags, promises), and one UPDATE
re-deciding closed tests' outcomes (``silence.services.silence_outcomes_refresh``) only when
one may have changed. If any score changed, it costs one more query to insert the new rows, and
one more before that to retire the old current rows when there were any.
"""

import dataclasses
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from audit.services import AuditAction, audit_record
from candidates.models import Application, StaleScore
from followups.models import (
    Contact,
    ContactTag,
    Direction,
    Promise,
    RankOverride,
    ScoringWeights,
)
from hiring import events
from hiring.calendars import CompanyCalendar, business_calendar
from hiring.closures import company_calendar
from hiring.models import SilenceTest, SilenceTestState, StageKind
from scoring import sql
from scoring.policy import may_override_rank
from scoring.rules import (
    IMPATIENCE_LOOKBACK,
    ContactSignal,
    PromiseSignal,
    ScoreResult,
    TestSignal,
    Weights,
    score_application,
)
from silence.services import silence_outcomes_refresh

#: Applications scored per transaction in bulk recomputes.
SCORE_BATCH_SIZE = 1000
#: Above this many applications, the drain after a commit goes to the task queue instead of
#: the request.
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
    #: The application is in a Withdrawn stage: it scores as *withdrew* (``scoring.rules``).
    in_withdrawn_stage: bool = False

    def score(self, *, rules: Weights, now: datetime) -> ScoreResult:
        """``score_application`` on these inputs: every caller passes them the same way."""
        return score_application(
            test=self.test,
            contacts=self.contacts,
            promises=self.promises,
            weights=rules,
            now=now,
            in_withdrawn_stage=self.in_withdrawn_stage,
        )


def score_inputs(application_ids: Sequence[int]) -> dict[int, ScoreInput]:
    """Everything the pure scoring function needs for many applications, in six queries."""
    company = company_calendar()
    withdrawn = set(
        Application.objects.filter(
            pk__in=application_ids, stage__kind=StageKind.WITHDRAWN
        ).values_list("pk", flat=True)
    )
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
            "application__requisition__subdivision",
        )
    ):
        if row["application_id"] in tests:
            continue  # the latest test per application counts
        zone = ZoneInfo(row["time_zone"])
        # Latency counts business time in the requisition's calendar (see business_calendar).
        weekend, holiday_dates = business_calendar(
            row["application__requisition__country"],
            row["deadline_at"].astimezone(zone).date(),
            subdivision=row["application__requisition__subdivision"],
            company=company,
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
            in_withdrawn_stage=application_id in withdrawn,
        )
    return result


# --- The bulk path ------------------------------------------------------------------------------

_NO_TAGS: frozenset[str] = frozenset()


@dataclasses.dataclass(frozen=True)
class _Current:
    """An application's current stored score, as the batch query read it."""

    score: int
    outcome: str
    comparable: bool
    lines: str  # JSON text, parsed only when the cheap fields already match
    weights_id: int
    silence_test_id: int | None


@dataclasses.dataclass(frozen=True)
class _Batch:
    """What a bulk recompute reads for a batch of applications."""

    inputs: dict[int, ScoreInput]
    current: dict[int, _Current]
    #: The stored outcome of each application's latest test, when that test is closed.
    closed_outcomes: dict[int, str]
    #: Applications with a closed test other than their latest one.
    earlier_closed: set[int]


def score_inputs_bulk(
    application_ids: Sequence[int], *, now: datetime, company: CompanyCalendar | None = None
) -> tuple[dict[int, ScoreInput], dict[int, _Current]]:
    """The scoring inputs of many applications (those that exist), and their current scores,
    in three queries (and one for the company calendar unless ``company`` is given); only the
    contacts that can change a result are loaded (``_score_batch_load``)."""
    batch = _score_batch_load(application_ids, now=now, company=company)
    return batch.inputs, batch.current


def _score_batch_load(
    application_ids: Sequence[int], *, now: datetime, company: CompanyCalendar | None = None
) -> _Batch:
    """``score_inputs_bulk``, with the stored outcomes of the batch's closed tests.

    Why the contacts left in the database cannot change a result (``scoring.rules``):
    outbound, automated and out-of-scope contacts (after ``now``, or after the window closed)
    are never looked at. The rules look at the other contacts only as persistence contacts and
    chasing contacts (unprompted, from ``IMPATIENCE_LOOKBACK`` before the deadline to the close
    of the window: all loaded), through their tags (pushy, opt-out, inappropriate: every tagged
    contact is loaded), and through whether any prompted reply without an opt-out exists (an
    untagged prompted contact is one, so one per application is enough; tagged ones are loaded
    anyway). Nothing counts the remaining contacts, so leaving them out changes no score and no
    line.
    """
    application_rows, rows, promise_rows = sql.score_batch_rows(
        application_ids, now=now, lookback=IMPATIENCE_LOOKBACK
    )
    company = company_calendar() if company is None else company
    tests: dict[int, tuple[int | None, TestSignal | None]] = {}
    current: dict[int, _Current] = {}
    withdrawn: set[int] = set()
    closed_outcomes: dict[int, str] = {}
    earlier_closed: set[int] = set()
    for (
        application_id,
        test_id,
        deadline_at,
        window_closes_at,
        state,
        contaminated,
        time_zone,
        country,
        subdivision,
        in_withdrawn_stage,
        test_outcome,
        has_earlier_closed,
        *stored,
    ) in application_rows:
        if in_withdrawn_stage:
            withdrawn.add(application_id)
        if state == SilenceTestState.CLOSED:
            closed_outcomes[application_id] = test_outcome
        if has_earlier_closed:
            earlier_closed.add(application_id)
        if stored[0] is not None:
            current[application_id] = _Current(*stored)
        if test_id is None:
            tests[application_id] = (None, None)
            continue
        zone = ZoneInfo(time_zone)
        # Latency counts business time in the requisition's zone, country, region and the
        # company's calendar.
        weekend, holiday_dates = business_calendar(
            country,
            deadline_at.astimezone(zone).date(),
            subdivision=subdivision,
            company=company,
        )
        tests[application_id] = (
            test_id,
            TestSignal(
                deadline_at=deadline_at,
                window_closes_at=window_closes_at,
                state=state,
                contaminated=contaminated,
                time_zone=zone,
                weekend=weekend,
                holidays=holiday_dates,
            ),
        )
    tags: dict[int, set[str]] = {}
    for row in rows:
        if row[6] is not None:
            tags.setdefault(row[0], set()).add(row[6])
    contacts: dict[int, list[ContactSignal]] = defaultdict(list)
    inbound = Direction.INBOUND.value  # the loaded contacts are all inbound
    # One loop, positional arguments: this runs for every loaded contact.
    for contact_id, application_id, occurred_at, channel, is_prompted, summary, tag in rows:
        if tag is None:
            contact_tags = _NO_TAGS
        else:
            found = tags.pop(contact_id, None)
            if found is None:
                continue  # a tagged contact comes once per tag: already added
            contact_tags = frozenset(found)
        contacts[application_id].append(
            # occurred_at, channel, direction, is_prompted, is_automated, tags, summary
            ContactSignal(occurred_at, channel, inbound, is_prompted, False, contact_tags, summary)
        )
    promises: dict[int, list[PromiseSignal]] = defaultdict(list)
    for application_id, status, description, due_at in promise_rows:
        promises[application_id].append(
            PromiseSignal(status=status, description=description, due_at=due_at)
        )
    inputs = {
        application_id: ScoreInput(
            test_id=test_id,
            test=test,
            contacts=tuple(contacts.get(application_id, ())),
            promises=tuple(promises.get(application_id, ())),
            in_withdrawn_stage=application_id in withdrawn,
        )
        for application_id, (test_id, test) in tests.items()
    }
    return _Batch(inputs, current, closed_outcomes, earlier_closed)


def _lines_json(result: ScoreResult) -> list[dict]:
    return [{"rule": line.rule, "text": line.text, "points": line.points} for line in result.lines]


def _unchanged(old: _Current, result: ScoreResult, lines: list[dict], *, weights_id, test_id):
    return (old.score, old.outcome, old.comparable, old.weights_id, old.silence_test_id) == (
        result.score,
        result.outcome,
        result.comparable,
        weights_id,
        test_id,
    ) and json.loads(old.lines) == lines


def _scores_write_batch(
    application_ids: Sequence[int],
    *,
    rules: Weights,
    weights_id: int,
    now: datetime,
    company: CompanyCalendar,
) -> int:
    # Two writers of the same application (a webhook's refresh and the sweeper's, say) would
    # both read "no newer score" and both insert a current row: the second insert breaks the
    # one-current constraint (a 500 the load test found). The lock, taken in its own
    # statement before the reads, makes the second writer read what the first committed.
    sql.scores_lock(application_ids)
    batch = _score_batch_load(application_ids, now=now, company=company)
    current = batch.current
    new: list[tuple[int, int | None, ScoreResult, list[dict]]] = []
    retire = []
    # The closed tests' outcomes follow the same inputs as the scores (a tag added after the
    # window closed, a move to Withdrawn): the sweeper's SQL rule re-decides them here, the one
    # freshness mechanism, for the applications where it can change something. The score's
    # outcome of a closed test is that rule's (its Python twin, tests/integration/
    # test_rule_pairs.py), so a latest test whose stored outcome is the score's needs nothing;
    # earlier closed tests are not scored, so their applications always go to the rule. Running
    # the rule on every batch cost a third of a bulk rescore for rows it almost never changed.
    outcomes_to_decide = set(batch.earlier_closed)
    for application_id, data in batch.inputs.items():
        result = data.score(rules=rules, now=now)
        stored_outcome = batch.closed_outcomes.get(application_id)
        if stored_outcome is not None and stored_outcome != result.outcome:
            outcomes_to_decide.add(application_id)
        lines = _lines_json(result)
        old = current.get(application_id)
        if old is not None:
            if _unchanged(old, result, lines, weights_id=weights_id, test_id=data.test_id):
                continue  # unchanged: no history row
            retire.append(application_id)
        new.append((application_id, data.test_id, result, lines))
    if outcomes_to_decide:
        silence_outcomes_refresh(application_ids=sorted(outcomes_to_decide))
    if not new:
        return 0
    rows = [
        {
            "a": application_id,
            "t": test_id,
            "s": result.score,
            "o": result.outcome,
            "c": result.comparable,
            "l": lines,
            "f": (
                result.first_follow_up_at.isoformat()
                if result.first_follow_up_at is not None
                else None
            ),
        }
        for application_id, test_id, result, lines in new
    ]
    sql.scores_replace(
        retire=retire,
        # compact and unescaped: the document is sent as one literal per batch
        rows_json=json.dumps(rows, ensure_ascii=False, separators=(",", ":")),
        weights_id=weights_id,
        now=now,
    )
    # ``score.changed`` only when the number or the outcome moved: a new weights version or a
    # reworded line stores a history row but is no news to a subscriber.
    moved = [
        application_id
        for application_id, _test_id, result, _lines in new
        if (old := current.get(application_id)) is None
        or (old.score, old.outcome) != (result.score, result.outcome)
    ]
    events.events_emit(event=events.SCORE_CHANGED, ids=moved, at=now)
    return len(new)


def scores_recompute(
    *,
    application_ids: Iterable[int],
    now: datetime,
    batch_size: int = SCORE_BATCH_SIZE,
) -> int:
    """Recompute and store the scores of these applications; returns how many changed."""
    ids = sorted(set(application_ids))
    weights = weights_current()
    rules = weights_as_rules(weights)
    # Read once, like the weights: latency skips the company's closure days.
    company = company_calendar()
    changed = 0
    for start in range(0, len(ids), batch_size):
        with transaction.atomic():
            changed += _scores_write_batch(
                ids[start : start + batch_size],
                rules=rules,
                weights_id=weights.pk,
                now=now,
                company=company,
            )
    return changed


def scores_recompute_all(*, now: datetime, batch_size: int = SCORE_BATCH_SIZE) -> int:
    """Every application, in id order and batches (after a weights change)."""
    ids = list(Application.objects.order_by("id").values_list("id", flat=True))
    return scores_recompute(application_ids=ids, now=now, batch_size=batch_size)


def score_for(application_id: int, *, now: datetime) -> ScoreResult:
    """One application's score, computed now (not stored): the bulk path with one id."""
    data = score_inputs([application_id])[application_id]
    return data.score(rules=weights_as_rules(weights_current()), now=now)


def stale_scores_drain(
    *, application_ids: Iterable[int] | None = None, batch_size: int = SCORE_BATCH_SIZE
) -> int:
    """Recompute the scores marked stale (``candidates.freshness.mark_scores_stale``) and clear
    their marks: of these applications only, or every one. Returns how many were recomputed.

    Each batch claims its marks with SKIP LOCKED and deletes them in the transaction that stores
    the new scores, so concurrent drains never take the same rows, and a drain that dies leaves
    its rows for the next one. A mark whose writer has not committed yet is locked by that
    writer (the upsert holds it), so it is skipped here and drained after that commit.
    """
    only = None if application_ids is None else sorted(set(application_ids))
    weights = weights_current()
    rules = weights_as_rules(weights)
    # Read once, like the weights: latency skips the company's closure days.
    company = company_calendar()
    drained = 0
    while True:
        with transaction.atomic():
            marks = StaleScore.objects.select_for_update(skip_locked=True).order_by(
                "application_id"
            )
            if only is not None:
                marks = marks.filter(application_id__in=only)
            claimed = list(marks.values_list("application_id", flat=True)[:batch_size])
            if not claimed:
                return drained
            _scores_write_batch(
                claimed, rules=rules, weights_id=weights.pk, now=timezone.now(), company=company
            )
            StaleScore.objects.filter(application_id__in=claimed).delete()
        drained += len(claimed)
        if only is not None and len(claimed) < batch_size:
            return drained


def stale_scores_after_commit(application_ids: list[int], *, queue_many: bool = True) -> None:
    """Run by ``candidates.freshness`` once a transaction that marked scores stale has
    committed (``ScoringConfig.ready`` installs it): a handful are drained in this process, more
    by one queued drain task (unless ``queue_many`` is False). Whatever this misses (the process
    died first) the minutely ``scoring.tasks.drain_stale_scores`` schedule drains."""
    if not queue_many or len(application_ids) <= INLINE_REFRESH_LIMIT:
        stale_scores_drain(application_ids=application_ids)
    else:
        async_task("scoring.tasks.drain_stale_scores")


# --- Weights versions and overrides --------------------------------------------------------------

#: Candidates compared in the weights preview.
PREVIEW_TOP = 10


@transaction.atomic
def weights_version_create(*, values: dict, note: str, actor) -> ScoringWeights:
    """Save new weights as the next version and rescore everything in the background."""
    problems = Weights(**values).validate()
    if problems:
        raise ValidationError(problems)
    latest = ScoringWeights.objects.select_for_update().order_by("-version").first()
    weights = ScoringWeights.objects.create(
        version=(latest.version if latest else 0) + 1, note=note, created_by=actor, **values
    )
    audit_record(action=AuditAction.WEIGHTS_CHANGED, actor=actor, obj=weights, details=values)
    transaction.on_commit(lambda: async_task("scoring.tasks.rescore_all"))
    return weights


@dataclasses.dataclass(frozen=True)
class PreviewRow:
    application_id: int
    name: str
    current_score: int
    current_rank: int
    proposed_score: int
    proposed_rank: int


def scores_under(inputs: dict[int, ScoreInput], *, rules: Weights, now: datetime) -> dict[int, int]:
    """The scores these loaded inputs get under ``rules``: what a draft weights version would
    give, for the preview here and for other apps' checks of a draft (evidence's backtest)."""
    return {pk: data.score(rules=rules, now=now).score for pk, data in inputs.items()}


def weights_preview(*, requisition, values: dict, now: datetime) -> list[PreviewRow]:
    """How the requisition's top candidates would move under the proposed weights."""
    names = {
        pk: f"{first} {last}".strip()
        for pk, first, last in Application.objects.filter(requisition=requisition).values_list(
            "pk", "candidate__first_name", "candidate__last_name"
        )
    }
    inputs = score_inputs(list(names))
    current_rules, proposed_rules = weights_as_rules(weights_current()), Weights(**values)

    def ranked(rules):
        scores = scores_under(inputs, rules=rules, now=now)
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
    if not may_override_rank(actor, application.requisition):
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
    if not may_override_rank(actor, application.requisition):
        raise PermissionDenied("Only the hiring manager can change the ranking.")
    audit_record(action=AuditAction.RANK_OVERRIDE_CLEARED, actor=actor, obj=application)
    return RankOverride.objects.filter(application=application, is_active=True).update(
        is_active=False
    )
