from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from audit.services import AuditAction, audit_record, audit_record_many
from candidates import policy as scorecard_policy
from candidates.documents import cv_filename, cv_kind
from candidates.freshness import mark_scores_stale
from candidates.models import (
    SCORECARD_TRAITS,
    Application,
    ApplicationCV,
    Candidate,
    CandidateEmail,
    CandidatePhone,
    InterviewRound,
    Scorecard,
    StageTransition,
)
from candidates.normalize import normalize_email, normalize_phone
from hiring import events, policy
from hiring.models import TERMINAL_KINDS, Requisition, Stage, StageKind
from hiring.selectors import scorecard_traits_for
from hiring.services import silence_tests_cancel_open


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
    stage_change_check(actor=actor, requisition=requisition, from_stage=None, to_stage=stage)
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


def stage_change_check(
    *, actor, requisition: Requisition, from_stage: Stage | None, to_stage: Stage, reason=""
) -> None:
    """The stage rules, for every path that sets an application's stage: creating it
    (``from_stage`` None), moving it, the sweeper's auto-reject and the admin.

    Raises ``ValidationError`` (a message meant for the user) for a move the pipeline does not
    allow, and ``PermissionDenied`` for a decision reserved to the hiring manager
    (``hiring.policy.require_stage``). ``actor=None`` is the system, which the role rule does not
    restrict.
    """
    if to_stage.pipeline_id != requisition.pipeline_id:
        raise ValidationError(
            f"“{to_stage.name}” is not part of this requisition's pipeline.",
            code="wrong_pipeline",
        )
    if from_stage is not None:
        if to_stage.pk == from_stage.pk:
            raise ValidationError(
                f"The application is already in “{from_stage.name}”.", code="same"
            )
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
        if policy.is_move_back(from_stage, to_stage) and not reason:
            raise ValidationError(
                f"Moving back to “{to_stage.name}” needs a reason (it is kept in the history).",
                code="reason_required",
            )
    if actor is not None:
        policy.require_stage(actor, requisition, to_stage)
    # Where GDPR Art. 22 applies, a rejection records the human who decided.
    policy.require_human_decision(requisition=requisition, to_stage=to_stage, actor=actor)


def _stage_changed(
    *, moves: list[tuple[int, int, Stage]], actor, reasons: dict[int, str], at
) -> list[StageTransition]:
    """The consequences of stage changes ``(application id, from stage id, to stage)``, the
    same for one move and for many: history, silence tests, scores.

    An open silence test belongs to its stage: leaving that stage (for any other, terminal or
    not) cancels it, since the team has acted on the candidate before the deadline.
    """
    transitions = StageTransition.objects.bulk_create(
        StageTransition(
            application_id=application_id,
            from_stage_id=from_stage_id,
            to_stage=to_stage,
            actor=actor,
            reason=reasons[application_id],
            at=at,
        )
        for application_id, from_stage_id, to_stage in moves
    )
    for application_id, _from_stage_id, to_stage in moves:
        silence_tests_cancel_open(
            application_id=application_id,
            unless_in_stage=to_stage.pk,
            reason=f"Moved to {to_stage.name}: {reasons[application_id]}",
            now=at,
        )
    # A cancelled test changes the score.
    mark_scores_stale(application_id for application_id, _f, _t in moves)
    # Outbound webhooks: an outbox row per subscribed endpoint, in this transaction.
    events.events_emit(
        event=events.APPLICATION_STAGE_CHANGED, ids=[t.pk for t in transitions], at=at
    )
    return transitions


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

    The one action for a stage change by a person or a command (the sweeper's auto-reject is
    ``applications_auto_reject``, the same rules set-based). ``actor=None`` is the system.
    Invalid moves raise ``ValidationError`` with a message meant for the user; decisions
    reserved to the hiring manager raise ``PermissionDenied``.
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
    stage_change_check(
        actor=actor,
        requisition=locked.requisition,
        from_stage=from_stage,
        to_stage=to_stage,
        reason=reason,
    )
    locked.stage = to_stage
    locked.stage_entered_at = at
    locked.save(update_fields=["stage", "stage_entered_at", "updated_at"])
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
    [transition] = _stage_changed(
        moves=[(locked.pk, from_stage.pk, to_stage)],
        actor=actor,
        reasons={locked.pk: reason},
        at=at,
    )
    return transition


def applications_auto_reject(*, rows: list[tuple[int, int, str]], at: datetime) -> int:
    """Move applications to their pipeline's Rejected stage as the system: ``rows`` are
    ``(application id, stage id it must still be in, reason)``. Set-based, in the caller's
    transaction (the sweeper's batch), with the rules and consequences of ``application_move``.

    An application that has left that stage meanwhile is left alone: a manual move wins.
    """
    if not rows:
        return 0
    reasons = {application_id: reason for application_id, _stage, reason in rows}
    current = list(
        Application.objects.filter(
            pk__in=reasons, stage_id__in={stage for _a, stage, _r in rows}
        ).values_list("pk", "stage_id", "requisition_id")
    )
    expected = {application_id: stage for application_id, stage, _r in rows}
    current = [row for row in current if expected[row[0]] == row[1]]
    stages = Stage.objects.in_bulk({stage for _a, stage, _r in current})
    requisitions = Requisition.objects.in_bulk({r for _a, _s, r in current})
    rejected = {}
    for stage in Stage.objects.filter(
        pipeline_id__in={s.pipeline_id for s in stages.values()}, kind=StageKind.REJECTED
    ).order_by("pipeline_id", "-order"):
        rejected[stage.pipeline_id] = stage  # ends with the first Rejected stage of each
    moves = []
    for application_id, stage_id, requisition_id in current:
        to_stage = rejected.get(stages[stage_id].pipeline_id)
        if to_stage is None:
            continue
        stage_change_check(
            actor=None,
            requisition=requisitions[requisition_id],
            from_stage=stages[stage_id],
            to_stage=to_stage,
            reason=reasons[application_id],
        )
        moves.append((application_id, stage_id, to_stage))
    if not moves:
        return 0
    for to_stage_id in {t.pk for _a, _f, t in moves}:
        Application.objects.filter(pk__in=[a for a, _f, t in moves if t.pk == to_stage_id]).update(
            stage_id=to_stage_id, stage_entered_at=at, updated_at=at
        )
    audit_record_many(
        action=AuditAction.STAGE_MOVED,
        model=Application,
        actor=None,
        items=[
            (a, {"from_stage": f, "to_stage": t.pk, "by": "silence_test_auto_reject"})
            for a, f, t in moves
        ],
    )
    _stage_changed(moves=moves, actor=None, reasons=reasons, at=at)
    return len(moves)


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
    """Create or replace the interviewer's scorecard for a round (one per interviewer).
    ``ratings`` by column; the pipeline's enabled traits are required, every other column is
    left empty (a disabled trait counts in no average)."""
    pipeline_id = (
        Application.objects.filter(pk=interview_round.application_id)
        .values_list("requisition__pipeline_id", flat=True)
        .get()
    )
    traits = scorecard_traits_for(pipeline_id)
    missing = [trait.label for trait in traits if ratings.get(trait.column) is None]
    if missing:
        raise ValidationError(f"Rate every trait; missing: {', '.join(missing)}.")
    asked = {trait.column for trait in traits}
    scorecard = Scorecard.objects.filter(round=interview_round, interviewer=interviewer).first()
    scorecard = scorecard or Scorecard(round=interview_round, interviewer=interviewer)
    for name, _label in SCORECARD_TRAITS:
        setattr(scorecard, name, ratings[name] if name in asked else None)
    scorecard.recommendation = recommendation
    scorecard.notes = notes
    scorecard.submitted_at = at or timezone.now()
    scorecard.full_clean()
    scorecard.save()
    return scorecard


@transaction.atomic
def interview_round_scorecards_reveal(
    *, interview_round: InterviewRound, actor, now: datetime
) -> InterviewRound:
    """Show every scorecard of the round to everyone who may see the application (the hiring
    manager's or an admin's choice: ``candidates.policy``). Recorded in the audit log."""
    if not scorecard_policy.may_reveal_scorecards(actor, interview_round.application):
        raise PermissionDenied("Only the hiring manager or an admin can reveal the scorecards.")
    if interview_round.scorecards_revealed_at is None:
        interview_round.scorecards_revealed_at = now
        interview_round.scorecards_revealed_by = actor
        interview_round.save(update_fields=["scorecards_revealed_at", "scorecards_revealed_by"])
        audit_record(
            action=AuditAction.SCORECARDS_REVEALED,
            actor=actor,
            obj=interview_round,
            details={"application": interview_round.application_id},
        )
    return interview_round


# --- CVs ----------------------------------------------------------------------------------------


@transaction.atomic
def application_cv_upload(*, application: Application, upload, actor, now: datetime):
    """Store a CV for the application: at most ``settings.CV_MAX_BYTES``, a PDF or DOCX by its
    bytes (``candidates.documents``), under a random name. Recorded in the audit log (without
    the file name, which may carry the candidate's name)."""
    if upload.size > settings.CV_MAX_BYTES:
        raise ValidationError(
            "The CV is larger than %(limit)s MB.",
            code="cv_too_large",
            params={"limit": settings.CV_MAX_BYTES // (1024 * 1024)},
        )
    if upload.size == 0:
        raise ValidationError("The file is empty.", code="cv_empty")
    kind = cv_kind(upload)
    if kind is None:
        raise ValidationError(
            "Upload the CV as a PDF or a Word (.docx) file.", code="cv_type_refused"
        )
    cv = ApplicationCV(
        application=application,
        filename=cv_filename(upload.name, kind),
        content_type=kind.content_type,
        size=upload.size,
        uploaded_by=actor,
        uploaded_at=now,
    )
    cv.file.save(cv.filename, upload, save=False)
    stored = cv.file.name
    # If the row is not written, the stored file must not outlive it.
    try:
        with transaction.atomic():
            cv.save()
            audit_record(
                action=AuditAction.CV_UPLOADED,
                actor=actor,
                obj=cv,
                details={"application": application.pk, "size": cv.size, "type": kind.extension},
            )
    except Exception:
        cv.file.storage.delete(stored)
        raise
    return cv


def application_cv_download_record(*, cv: ApplicationCV, actor) -> None:
    """Every download of a CV is in the audit log."""
    audit_record(
        action=AuditAction.CV_DOWNLOADED,
        actor=actor,
        obj=cv,
        details={"application": cv.application_id},
    )


def application_cvs_erase(*, candidate_ids, application_ids) -> int:
    """Erasure step (registered by ``privacy``): the CVs of the erased applications go, their
    files once the erasure commits. The number of CVs deleted."""
    cvs = ApplicationCV.objects.filter(application_id__in=list(application_ids))
    names = list(cvs.values_list("file", flat=True))
    deleted, _by_model = cvs.delete()
    storage = ApplicationCV._meta.get_field("file").storage

    def delete_files():
        for name in names:
            storage.delete(name)

    transaction.on_commit(delete_files)
    return deleted
