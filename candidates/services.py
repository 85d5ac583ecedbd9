from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from audit.services import AuditAction, audit_record
from candidates.models import (
    SCORECARD_TRAITS,
    Application,
    Candidate,
    CandidateEmail,
    CandidatePhone,
    InterviewRound,
    Scorecard,
    StageTransition,
)
from candidates.normalize import normalize_email, normalize_phone
from evidence import policy as evidence_policy
from hiring import policy
from hiring.models import TERMINAL_KINDS, Requisition, Stage


@transaction.atomic
def candidate_create(
    *,
    first_name: str,
    last_name: str = "",
    emails: Sequence[str] = (),
    phones: Sequence[str] = (),
    phone_region: str | None = None,
    time_zone: str = "",
    linkedin_url: str = "",
    notes: str = "",
    created_by=None,
) -> Candidate:
    """Create a candidate; the first email is primary. Addresses and numbers are normalised."""
    candidate = Candidate(
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        time_zone=time_zone,
        linkedin_url=linkedin_url,
        notes=notes,
        created_by=created_by,
    )
    candidate.full_clean()
    candidate.save()
    for index, address in enumerate(dict.fromkeys(normalize_email(e) for e in emails)):
        CandidateEmail.objects.create(candidate=candidate, address=address, is_primary=index == 0)
    for number in dict.fromkeys(normalize_phone(p, region=phone_region) for p in phones):
        CandidatePhone.objects.create(candidate=candidate, number=number)
    return candidate


def candidate_email_add(*, candidate: Candidate, address: str) -> CandidateEmail:
    normalized = normalize_email(address)
    email, _created = CandidateEmail.objects.get_or_create(
        candidate=candidate,
        address=normalized,
        defaults={"is_primary": not candidate.emails.exists()},
    )
    return email


def candidate_phone_add(
    *, candidate: Candidate, number: str, region: str | None = None
) -> CandidatePhone:
    phone, _created = CandidatePhone.objects.get_or_create(
        candidate=candidate, number=normalize_phone(number, region=region)
    )
    return phone


def _first_open_stage(requisition: Requisition) -> Stage:
    stage = (
        Stage.objects.filter(pipeline_id=requisition.pipeline_id)
        .exclude(kind__in=TERMINAL_KINDS)
        .order_by("order")
        .first()
    )
    if stage is None:
        raise ValidationError(
            f"The pipeline “{requisition.pipeline}” has no open stage; an admin must add one."
        )
    return stage


@transaction.atomic
def application_create(
    *,
    candidate: Candidate,
    requisition: Requisition,
    actor=None,
    stage: Stage | None = None,
    source: str = "",
    at: datetime | None = None,
) -> Application:
    """Put a candidate into a requisition's pipeline (first open stage unless given).

    ``actor=None`` is the system (seeding, imports run by an operator). A person may create an
    application only in a stage they could move it to (``hiring.policy.may_set_stage``):
    ``PermissionDenied`` otherwise, as for a move.
    """
    at = at or timezone.now()
    stage = stage or _first_open_stage(requisition)
    if stage.pipeline_id != requisition.pipeline_id:
        raise ValidationError(f"Stage “{stage.name}” is not part of this requisition's pipeline.")
    if actor is not None:
        policy.require_stage(actor, requisition, stage)
    application = Application(
        candidate=candidate,
        requisition=requisition,
        stage=stage,
        stage_entered_at=at,
        source=source,
    )
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError as exc:
        raise ValidationError(
            f"{candidate.full_name} already has an application for “{requisition.title}”.",
            code="duplicate_application",
        ) from exc
    StageTransition.objects.create(
        application=application,
        from_stage=None,
        to_stage=stage,
        actor=actor,
        reason="Application created",
        at=at,
    )
    return application


@transaction.atomic
def application_move(
    *,
    application: Application,
    to_stage: Stage,
    actor=None,
    reason: str = "",
    at: datetime | None = None,
) -> StageTransition:
    """Move an application to another stage of its pipeline and record who, when and why.

    ``actor=None`` is the system (e.g. a silence-test outcome). Invalid moves raise
    ``ValidationError`` with a message meant for the user; decisions reserved to the hiring
    manager raise ``PermissionDenied``.
    """
    at = at or timezone.now()
    # Lock the row: two people moving the same candidate at once must not both write history
    # from the same "from" stage.
    locked = (
        Application.objects.select_for_update()
        .select_related("stage", "requisition")
        .get(pk=application.pk)
    )
    from_stage = locked.stage
    reason = reason.strip()
    if to_stage.pipeline_id != locked.requisition.pipeline_id:
        raise ValidationError(
            f"“{to_stage.name}” is not a stage of this requisition's pipeline.",
            code="wrong_pipeline",
        )
    if to_stage.pk == from_stage.pk:
        raise ValidationError(f"The application is already in “{from_stage.name}”.", code="same")
    if from_stage.kind in TERMINAL_KINDS and not reason:
        raise ValidationError(
            f"Reopening an application that is {from_stage.name.lower()} needs a reason.",
            code="reason_required",
        )
    if to_stage.kind in TERMINAL_KINDS and not reason:
        raise ValidationError(
            f"Moving to “{to_stage.name}” needs a reason (it is kept in the history).",
            code="reason_required",
        )
    if actor is not None:
        policy.require_stage(actor, locked.requisition, to_stage)
    # evidence: where GDPR Art. 22 applies, a rejection records the human who decided.
    evidence_policy.require_human_decision(
        requisition=locked.requisition, to_stage=to_stage, actor=actor
    )
    locked.stage = to_stage
    locked.stage_entered_at = at
    locked.save(update_fields=["stage", "stage_entered_at", "updated_at"])
    if to_stage.kind in TERMINAL_KINDS:
        from hiring.services import silence_tests_cancel_open

        silence_tests_cancel_open(
            application_id=locked.pk, reason=f"Moved to {to_stage.name}: {reason}", now=at
        )
    application.stage, application.stage_entered_at = to_stage, at
    audit_record(
        action=AuditAction.STAGE_MOVED,
        actor=actor,
        obj=locked,
        # Stage ids and names only: the free-text reason stays in the stage history.
        details={
            "from_stage": from_stage.pk,
            "from_stage_name": from_stage.name,
            "to_stage": to_stage.pk,
            "to_stage_name": to_stage.name,
        },
    )
    return StageTransition.objects.create(
        application=locked,
        from_stage=from_stage,
        to_stage=to_stage,
        actor=actor,
        reason=reason,
        at=at,
    )


@transaction.atomic
def interview_round_create(
    *,
    application: Application,
    title: str,
    scheduled_at: datetime | None = None,
    interviewers: Sequence = (),
) -> InterviewRound:
    # Lock the application so concurrent round creation cannot pick the same sequence number.
    Application.objects.select_for_update().filter(pk=application.pk).first()
    last = application.rounds.aggregate(last=Max("sequence"))["last"] or 0
    interview_round = InterviewRound(
        application=application,
        sequence=last + 1,
        title=title.strip(),
        stage_id=application.stage_id,
        scheduled_at=scheduled_at,
    )
    interview_round.full_clean()
    interview_round.save()
    interview_round.interviewers.set(list(interviewers))
    return interview_round


@transaction.atomic
def scorecard_submit(
    *,
    interview_round: InterviewRound,
    interviewer,
    ratings: dict[str, int],
    recommendation: str,
    notes: str = "",
    at: datetime | None = None,
) -> Scorecard:
    """Create or replace the interviewer's scorecard for a round (one per interviewer)."""
    missing = [name for name, _label in SCORECARD_TRAITS if name not in ratings]
    if missing:
        raise ValidationError(f"Missing ratings: {', '.join(missing)}.")
    scorecard = Scorecard.objects.filter(round=interview_round, interviewer=interviewer).first()
    scorecard = scorecard or Scorecard(round=interview_round, interviewer=interviewer)
    for name, _label in SCORECARD_TRAITS:
        setattr(scorecard, name, ratings[name])
    scorecard.recommendation = recommendation
    scorecard.notes = notes
    scorecard.submitted_at = at or timezone.now()
    scorecard.full_clean()
    scorecard.save()
    return scorecard
