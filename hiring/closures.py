"""The company calendar: loading its closures, and moving waiting silence tests when it changes.

An edit of the calendar (a closure added, changed or deleted) moves the deadline and window of
every *waiting* test it affects, with a ``SilenceTestReschedule`` history row and an audit event
per test. It never touches a test whose deadline has passed (observing, closed, or still waiting
for the sweeper), nor gives a test a new deadline that has already passed: the candidate was
told a time, and the observation may already have started.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction

from audit.services import FROM_REQUEST, AuditAction, audit_record_many
from hiring.calendars import CompanyCalendar, requisition_instants
from hiring.models import Closure, SilenceTest, SilenceTestReschedule, SilenceTestState, Stage

__all__ = [
    "DeadlineMove",
    "closure_countries",
    "closure_delete",
    "closure_save",
    "closures_apply",
    "closures_preview",
    "company_calendar",
    "company_calendar_with",
]


def company_calendar() -> CompanyCalendar:
    """Every closure of the company, as pure rules (one small query)."""
    return CompanyCalendar(tuple(closure.as_rule() for closure in Closure.objects.order_by("pk")))


def company_calendar_with(
    *, closure: Closure | None = None, without: Closure | None = None
) -> CompanyCalendar:
    """The calendar as it would be with ``closure`` saved as it stands (replacing its stored
    version), or with ``without`` deleted: for previews of an edit not made yet."""
    queryset = Closure.objects.order_by("pk")
    for other in (closure, without):
        if other is not None and other.pk is not None:
            queryset = queryset.exclude(pk=other.pk)
    rules = [c.as_rule() for c in queryset]
    if closure is not None:
        rules.append(closure.as_rule())
    return CompanyCalendar(tuple(rules))


@dataclass(frozen=True)
class DeadlineMove:
    test_id: int
    application_id: int
    candidate_name: str
    requisition_title: str
    time_zone: str
    old_deadline_at: datetime
    new_deadline_at: datetime
    old_window_closes_at: datetime
    new_window_closes_at: datetime
    #: False: the new deadline would already have passed, so the test keeps its deadline.
    applies: bool = True


def _waiting_tests(now: datetime, countries: set[str] | None):
    tests = SilenceTest.objects.filter(state=SilenceTestState.WAITING, deadline_at__gt=now)
    if countries is not None:
        tests = tests.filter(application__requisition__country__in=countries)
    return tests.order_by("deadline_at", "id")


def _moves(rows, *, before: CompanyCalendar, after: CompanyCalendar, now: datetime):
    stages = {
        stage.pk: stage.silence_schedule()
        for stage in Stage.objects.filter(pk__in={row["stage_id"] for row in rows})
    }
    moves = []
    for row in rows:
        common = {
            "announced_at": row["announced_at"],
            "tz": ZoneInfo(row["time_zone"]),
            "schedule": stages[row["stage_id"]],
            "country": row["application__requisition__country"],
            "subdivision": row["application__requisition__subdivision"],
        }
        # Only what the edit changes: a test moves when its instants under the calendar before
        # the edit differ from those after it (not because its stage was reconfigured since).
        if requisition_instants(**common, company=before) == (
            new := requisition_instants(**common, company=after)
        ):
            continue
        moves.append(
            DeadlineMove(
                test_id=row["id"],
                application_id=row["application_id"],
                candidate_name=" ".join(
                    filter(
                        None,
                        (
                            row["application__candidate__first_name"],
                            row["application__candidate__last_name"],
                        ),
                    )
                ),
                requisition_title=row["application__requisition__title"],
                time_zone=row["time_zone"],
                old_deadline_at=row["deadline_at"],
                new_deadline_at=new[0],
                old_window_closes_at=row["window_closes_at"],
                new_window_closes_at=new[1],
                applies=new[0] > now,
            )
        )
    return moves


_ROW_FIELDS = (
    "id",
    "application_id",
    "stage_id",
    "announced_at",
    "time_zone",
    "deadline_at",
    "window_closes_at",
    "application__requisition__country",
    "application__requisition__subdivision",
    "application__requisition__title",
    "application__candidate__first_name",
    "application__candidate__last_name",
)


def closure_countries(*closures: Closure | None) -> set[str] | None:
    """The requisition countries an edit of these closures can affect; None: all of them."""
    countries = set()
    for closure in closures:
        if closure is None:
            continue
        if not closure.country:
            return None
        countries.add(closure.country.upper())
    return countries


def closures_preview(
    *, before: CompanyCalendar, after: CompanyCalendar, now: datetime, countries=None
) -> list[DeadlineMove]:
    """The waiting tests an edit from ``before`` to ``after`` would move (nothing is written)."""
    rows = list(_waiting_tests(now, countries).values(*_ROW_FIELDS))
    return _moves(rows, before=before, after=after, now=now)


def closures_apply(
    *,
    before: CompanyCalendar,
    after: CompanyCalendar,
    now: datetime,
    actor=FROM_REQUEST,
    reason: str,
    closure_id: int | None = None,
    countries=None,
) -> list[DeadlineMove]:
    """Move the waiting tests the edit affects, in the caller's transaction: new deadline and
    window, a history row and an audit event each. Moves whose new deadline has passed are
    returned with ``applies=False`` and not made."""
    with transaction.atomic():
        # FOR UPDATE: a concurrent re-announcement or sweep of the same test waits for us.
        rows = list(
            _waiting_tests(now, countries).select_for_update(of=("self",)).values(*_ROW_FIELDS)
        )
        moves = _moves(rows, before=before, after=after, now=now)
        applied = [move for move in moves if move.applies]
        if not applied:
            return moves
        tests = {t.pk: t for t in SilenceTest.objects.filter(pk__in=[m.test_id for m in applied])}
        for move in applied:
            test = tests[move.test_id]
            test.deadline_at = move.new_deadline_at
            test.window_closes_at = move.new_window_closes_at
            test.updated_at = now
        SilenceTest.objects.bulk_update(
            tests.values(), ["deadline_at", "window_closes_at", "updated_at"]
        )
        user = None if actor is FROM_REQUEST else actor
        SilenceTestReschedule.objects.bulk_create(
            SilenceTestReschedule(
                test_id=move.test_id,
                at=now,
                actor=user,
                reason=reason[:200],
                old_deadline_at=move.old_deadline_at,
                new_deadline_at=move.new_deadline_at,
                old_window_closes_at=move.old_window_closes_at,
                new_window_closes_at=move.new_window_closes_at,
            )
            for move in applied
        )
        audit_record_many(
            action=AuditAction.ADMIN_CHANGED,
            model=SilenceTest,
            actor=actor,
            items=[
                (
                    move.test_id,
                    {
                        "fields": ["deadline_at", "window_closes_at"],
                        "by": "company_calendar",
                        "closure": closure_id,
                    },
                )
                for move in applied
            ],
        )
    return moves


@transaction.atomic
def closure_save(*, closure: Closure, now: datetime, actor=FROM_REQUEST) -> list[DeadlineMove]:
    """Validate and save a closure, then move the waiting tests it affects."""
    closure.full_clean()
    stored = Closure.objects.filter(pk=closure.pk).first() if closure.pk else None
    before = company_calendar()
    closure.save()
    verb = "changed" if stored else "added"
    return closures_apply(
        before=before,
        after=company_calendar(),
        now=now,
        actor=actor,
        reason=f"Company calendar: closure “{closure.label[:100]}” {verb}",
        closure_id=closure.pk,
        countries=closure_countries(stored, closure),
    )


@transaction.atomic
def closure_delete(*, closure: Closure, now: datetime, actor=FROM_REQUEST) -> list[DeadlineMove]:
    """Delete a closure, then move the waiting tests it had moved back."""
    before = company_calendar()
    closure_id, label = closure.pk, closure.label
    countries = closure_countries(closure)
    closure.delete()
    return closures_apply(
        before=before,
        after=company_calendar(),
        now=now,
        actor=actor,
        reason=f"Company calendar: closure “{label[:100]}” deleted",
        closure_id=closure_id,
        countries=countries,
    )
