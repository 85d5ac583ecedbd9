"""Decisions on candidates and the emails that follow them.

Every stage change here goes through ``candidates.services.application_move`` (and so through
``stage_change_check`` and ``hiring.policy``): the one-click decisions, the reject form and each
item of a bulk action. Emails go out through ``followups.services.email_send``, the "email the
candidate" action, so they carry the tokenised Reply-To and land on the contact timeline.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from candidates.models import Application, CandidateEmail
from candidates.services import application_move
from decisions.models import (
    EmailTemplate,
    ScheduledEmail,
    ScheduledEmailStatus,
    TemplateKind,
)
from decisions.wording import SendDelay, send_at, subject_render, text_render
from followups.services import email_send
from hiring import policy
from hiring.calendars import business_calendar
from hiring.closures import company_calendar
from hiring.models import TERMINAL_KINDS, Stage, StageKind

logger = logging.getLogger(__name__)

#: Scheduled emails sent per transaction by the sweep.
SEND_BATCH_SIZE = 50

#: Which template a move to a stage of this kind offers first.
KIND_FOR_STAGE = {
    StageKind.REJECTED: TemplateKind.REJECTION_SILENT,
    StageKind.WITHDRAWN: TemplateKind.WITHDRAWAL,
}


def stage_of_kind(pipeline_id: int, kind: str) -> Stage | None:
    """The pipeline's first stage of ``kind`` (Rejected, Withdrawn), or None."""
    return Stage.objects.filter(pipeline_id=pipeline_id, kind=kind).order_by("order").first()


def next_stage(application: Application) -> Stage | None:
    """The stage "Advance" moves to: the next open stage of the pipeline after the current."""
    return (
        Stage.objects.filter(
            pipeline_id=application.requisition.pipeline_id,
            order__gt=application.stage.order,
        )
        .exclude(kind__in=TERMINAL_KINDS)
        .order_by("order")
        .first()
    )


def template_values(application: Application) -> dict[str, str]:
    """What the placeholders stand for, for this application (cleaned when substituted)."""
    manager = application.requisition.hiring_manager
    return {
        "first_name": application.candidate.first_name,
        "requisition_title": application.requisition.title,
        "hiring_manager_name": manager.get_full_name() or manager.get_username(),
        "hiring_manager_first_name": manager.first_name or manager.get_username(),
    }


@dataclass(frozen=True)
class EmailDraft:
    kind: str
    subject: str
    body: str
    send_at: datetime
    zone: str


def email_draft(*, application: Application, kind: str, now: datetime) -> EmailDraft | None:
    """The email a template of ``kind`` would send this candidate if scheduled ``now`` (the
    preview), or None when the pipeline has no such template."""
    template = EmailTemplate.objects.filter(
        pipeline_id=application.requisition.pipeline_id, kind=kind
    ).first()
    if template is None:
        return None
    values = {**template_values(application), "company": template.company}
    requisition = application.requisition
    # The candidate's morning where they live, if known; the requisition's calendar of
    # business days (its country, region and the company's closures) either way.
    zone = application.candidate.time_zone or requisition.time_zone
    tz = ZoneInfo(zone)
    weekend, holidays = business_calendar(
        requisition.country,
        now.astimezone(tz).date(),
        subdivision=requisition.subdivision,
        company=company_calendar(),
    )
    delay = SendDelay(
        kind=template.send_delay,
        minutes=template.cancel_minutes,
        morning=time(template.morning_hour, 0),
    )
    return EmailDraft(
        kind=kind,
        subject=subject_render(template.subject, values),
        body=text_render(template.body, values),
        send_at=send_at(now=now, delay=delay, tz=tz, weekend=weekend, holidays=holidays),
        zone=zone,
    )


def kinds_available(pipeline_id: int) -> list[tuple[str, str]]:
    """The template kinds the pipeline has, as choices."""
    present = set(
        EmailTemplate.objects.filter(pipeline_id=pipeline_id).values_list("kind", flat=True)
    )
    return [(value, label) for value, label in TemplateKind.choices if value in present]


@transaction.atomic
def scheduled_email_create(
    *, application: Application, kind: str, actor, now: datetime
) -> ScheduledEmail:
    """Schedule the template of ``kind`` for the candidate; cancellable until it goes."""
    if actor is not None and not policy.may_reject(actor, application.requisition):
        raise PermissionDenied("You cannot email this candidate about a decision.")
    if kind not in TemplateKind.values:
        raise ValidationError("Choose an email template.", code="bad_kind")
    if not CandidateEmail.objects.filter(candidate_id=application.candidate_id).exists():
        raise ValidationError(
            "The candidate has no email address: no email can be scheduled.", code="no_address"
        )
    draft = email_draft(application=application, kind=kind, now=now)
    if draft is None:
        raise ValidationError(
            "This pipeline has no such email template; an admin can add one.", code="no_template"
        )
    return ScheduledEmail.objects.create(
        application=application,
        kind=kind,
        subject=draft.subject,
        body=draft.body,
        send_at=draft.send_at,
        created_by=actor,
        created_at=now,
    )


@transaction.atomic
def application_reject(
    *, application: Application, actor, reason: str, email_kind: str = "", now: datetime
) -> ScheduledEmail | None:
    """Move the application to its pipeline's Rejected stage (the one move action) and, if
    ``email_kind`` is given, schedule that email. Both happen or neither."""
    stage = stage_of_kind(application.requisition.pipeline_id, StageKind.REJECTED)
    if stage is None:
        raise ValidationError("The pipeline has no Rejected stage; an admin must add one.")
    application_move(
        application=application, to_stage=stage, actor=actor, reason=reason.strip(), at=now
    )
    if not email_kind:
        return None
    return scheduled_email_create(application=application, kind=email_kind, actor=actor, now=now)


@transaction.atomic
def application_advance(*, application: Application, actor, now: datetime) -> Stage:
    """Move the application to the next open stage of its pipeline (the one move action)."""
    stage = next_stage(application)
    if stage is None:
        raise ValidationError("There is no later open stage to advance to.", code="no_next")
    application_move(
        application=application,
        to_stage=stage,
        actor=actor,
        reason="Advanced after the silence test",
        at=now,
    )
    return stage


@transaction.atomic
def scheduled_email_cancel(*, scheduled_email: ScheduledEmail, actor, now: datetime) -> None:
    """Cancel an email that has not gone yet. Refused once it is sent (or being sent: the
    sweep holds the row locked while it sends, and this waits for it)."""
    locked = (
        ScheduledEmail.objects.select_for_update()
        .select_related("application__requisition")
        .get(pk=scheduled_email.pk)
    )
    if not policy.may_reject(actor, locked.application.requisition):
        raise PermissionDenied("You cannot cancel this email.")
    if locked.status != ScheduledEmailStatus.SCHEDULED:
        raise ValidationError(
            f"The email is already {locked.get_status_display().lower()}.", code="not_scheduled"
        )
    locked.status = ScheduledEmailStatus.CANCELLED
    locked.cancelled_by = actor
    locked.finished_at = now
    locked.save(update_fields=["status", "cancelled_by", "finished_at"])
    scheduled_email.status = locked.status


def _send_one(scheduled: ScheduledEmail, *, now: datetime) -> str:
    application = scheduled.application
    if application.stage.kind not in TERMINAL_KINDS:
        # Reopened since: a rejection email must not follow a candidate back into the process.
        scheduled.status = ScheduledEmailStatus.CANCELLED
        scheduled.status_note = f"Not sent: the application moved back to {application.stage}."
    else:
        try:
            with transaction.atomic():
                contact = email_send(
                    application=application,
                    sender=scheduled.created_by,
                    subject=scheduled.subject,
                    body=scheduled.body,
                    now=now,
                )
        except ValidationError as exc:
            scheduled.status = ScheduledEmailStatus.FAILED
            scheduled.status_note = "; ".join(exc.messages)[:200]
        else:
            scheduled.status = ScheduledEmailStatus.SENT
            scheduled.contact = contact
    scheduled.finished_at = now
    scheduled.save(update_fields=["status", "status_note", "finished_at", "contact"])
    return scheduled.status


def scheduled_emails_send_due(*, now: datetime, batch_size: int = SEND_BATCH_SIZE) -> dict:
    """Send every scheduled email that is due (the minutely task). Each batch claims its rows
    with ``SELECT … FOR UPDATE SKIP LOCKED`` and marks them in the transaction that records the
    sent email, so a retried task or a second cluster never sends one twice, and a cancel
    either wins before the send or is refused after it."""
    counts: dict[str, int] = {}
    while True:
        with transaction.atomic():
            batch = list(
                ScheduledEmail.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(status=ScheduledEmailStatus.SCHEDULED, send_at__lte=now)
                .select_related("application__stage", "application__requisition", "created_by")
                .order_by("send_at", "pk")[:batch_size]
            )
            for scheduled in batch:
                status = _send_one(scheduled, now=now)
                counts[status] = counts.get(status, 0) + 1
        if len(batch) < batch_size:
            return counts


# --- Bulk actions ----------------------------------------------------------------------------


@dataclass
class BulkResult:
    done: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    emails: int = 0

    def summary(self, verb: str) -> str:
        text = f"{len(self.done)} {verb}"
        if self.emails:
            text += f" ({self.emails} email{'s' if self.emails != 1 else ''} scheduled)"
        if self.refused:
            reasons = "; ".join(f"{name}: {message}" for name, message in self.refused)
            text += f", {len(self.refused)} refused — {reasons}"
        return text + "."


def _refusal(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or "not allowed"


def applications_move_many(
    *,
    user,
    requisition,
    application_ids: list[int],
    to_stage: Stage,
    reason: str = "",
    email_kind: str = "",
    now: datetime,
) -> BulkResult:
    """A bulk move (or rejection, with an optional email): each item through the same move
    action and rules as a single move, in its own transaction, so one refusal does not undo
    the others and each refusal is reported with its reason. Ids the user cannot see, or of
    another requisition, are refused as not found (nothing about them is revealed)."""
    result = BulkResult()
    visible = {
        application.pk: application
        for application in Application.objects.visible_to(user)
        .filter(requisition_id=requisition.pk, pk__in=application_ids)
        .select_related("candidate", "stage", "requisition__hiring_manager")
    }
    for application_id in dict.fromkeys(application_ids):
        application = visible.get(application_id)
        if application is None:
            result.refused.append((f"#{application_id}", "not found"))
            continue
        name = application.candidate.full_name
        try:
            with transaction.atomic():
                application_move(
                    application=application,
                    to_stage=to_stage,
                    actor=user,
                    reason=reason.strip(),
                    at=now,
                )
                if email_kind:
                    scheduled_email_create(
                        application=application, kind=email_kind, actor=user, now=now
                    )
        except (ValidationError, PermissionDenied) as exc:
            result.refused.append((name, _refusal(exc)))
        else:
            result.done.append(name)
            result.emails += bool(email_kind)
    return result


@transaction.atomic
def email_template_save(*, template: EmailTemplate) -> EmailTemplate:
    """Validate (placeholders, one-line subject) and save an admin's email template."""
    template.full_clean()
    template.save()
    return template


# --- Personal data (hooks of privacy.services, registered in DecisionsConfig.ready) ----------


def scheduled_emails_erase(*, candidate_ids, application_ids) -> int:
    """Erasure step: the emails written to the candidate (their name is in them) go, scheduled
    or not; a sent one's copy on the timeline is a contact, which the erasure handles."""
    deleted, _by_model = ScheduledEmail.objects.filter(
        application_id__in=list(application_ids)
    ).delete()
    return deleted


def scheduled_emails_export_section(*, candidate, viewer) -> dict:
    """Export section: the emails written to the candidate after a decision."""
    return {
        "decision_emails": [
            {
                "application": row.application_id,
                "kind": row.get_kind_display(),
                "subject": row.subject,
                "body": row.body,
                "status": row.get_status_display(),
                "send_at": row.send_at.isoformat(),
            }
            for row in ScheduledEmail.objects.filter(
                application__candidate_id=candidate.pk
            ).order_by("created_at", "pk")
        ]
    }
