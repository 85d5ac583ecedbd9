from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction

from hiring.calendars import CompanyCalendar, requisition_instants
from hiring.closures import company_calendar
from hiring.models import (
    OPEN_SILENCE_STATES,
    SCORECARD_SLOTS,
    Pipeline,
    Requisition,
    RequisitionStatus,
    ScorecardTrait,
    SilenceTest,
    SilenceTestState,
    Stage,
    UserProfile,
    validate_recruiters,
)
from hiring.wording import deadline_sentence

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
    scorecard_traits_default_create(pipeline=pipeline)
    return pipeline


@transaction.atomic
def scorecard_traits_default_create(*, pipeline: Pipeline) -> None:
    """Give a pipeline without configured traits the five default ones (all enabled)."""
    if pipeline.scorecard_traits.exists():
        return
    ScorecardTrait.objects.bulk_create(
        ScorecardTrait(pipeline=pipeline, slot=slot, label=label, order=slot * 10)
        for slot, _column, label in SCORECARD_SLOTS
    )


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
    recruiters = list(recruiters)
    requisition.full_clean()
    validate_recruiters(recruiters)
    requisition.save()
    requisition.recruiters.set(recruiters)
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


# --- Silence-test state changes that lower layers cause -----------------------------------------
# The test's own life (announce, sweep, digests) is ``silence.services``. These two are the
# consequences of a stage move (``candidates.services.application_move``) and of a team contact
# (``followups.services.contact_record``), which sit below the silence app.


def silence_instants(
    *,
    announced_at: datetime,
    stage: Stage,
    time_zone: str,
    country: str,
    subdivision: str = "",
    company: CompanyCalendar | None = None,
) -> tuple[datetime, datetime]:
    """``(deadline, window close)`` for an announcement, in UTC: public and regional holidays
    and the company's closure days (read now unless ``company`` is given) are non-business."""
    return requisition_instants(
        announced_at=announced_at,
        tz=ZoneInfo(time_zone),
        schedule=stage.silence_schedule(),
        country=country,
        subdivision=subdivision,
        company=company_calendar() if company is None else company,
    )


#: The stage editor's preview names this many requisitions at most (a bounded page).
PREVIEW_REQUISITIONS = 5


def silence_sentence_previews(*, stage: Stage, now: datetime) -> list[tuple[str, str]]:
    """``(requisition title, "you'll hear from us by …")`` for the open requisitions on the
    stage's pipeline, as an announcement made at ``now`` would be worded: the real deadline of
    ``hiring.deadlines``, in each requisition's zone, holidays and company closure days."""
    requisitions = Requisition.objects.filter(
        pipeline_id=stage.pipeline_id, status=RequisitionStatus.OPEN
    ).order_by("title", "id")[:PREVIEW_REQUISITIONS]
    company = company_calendar()
    previews = []
    for requisition in requisitions:
        try:
            deadline, _closes = silence_instants(
                announced_at=now,
                stage=stage,
                time_zone=requisition.time_zone,
                country=requisition.country,
                subdivision=requisition.subdivision,
                company=company,
            )
        except ValueError:  # a calendar without business days
            previews.append((requisition.title, "no deadline: the calendar has no business day"))
            continue
        previews.append((requisition.title, deadline_sentence(deadline, requisition.time_zone)))
    return previews


def silence_tests_cancel_open(
    *, application_id: int, reason: str, now: datetime, unless_in_stage: int | None = None
) -> int:
    """Cancel the application's open test: it moved out of the test's stage (on, back, or to
    a terminal one), so the silence was broken. ``unless_in_stage``: the stage it moved to."""
    return (
        SilenceTest.objects.filter(application_id=application_id, state__in=OPEN_SILENCE_STATES)
        .exclude(stage_id=unless_in_stage)
        .update(
            state=SilenceTestState.CANCELLED,
            cancelled_at=now,
            cancel_reason=reason[:200],
            updated_at=now,
        )
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
