"""Personal data of candidates: export (right of access) and erasure (right to erasure).

What erasure does, per table, and why (docs/personal-data.md says the same):

* Deleted: the candidate's email addresses and phone numbers, raw emails (``InboundMessage``)
  and attachment records, reply tokens, and every unmatched/ambiguous/dismissed queue item sent
  from one of their addresses or numbers (queue items belong to no application, so no
  statistic needs them); django-q2 task rows (done, failed or queued) whose arguments or
  results name the candidate's contacts or applications, or quote an identifier.
  Also deleted: raw messages kept without a contact (bytes rejected as not an email) that
  quote an address, number or the full name, and django-axes sign-in attempts (and the
  lockouts they make) under one of them: the candidate typed it into the staff sign-in page.
* Kept, anonymised: the candidate row (name becomes "Erased candidate #<pk>", profile fields
  emptied), applications, stage transitions, interview rounds, scorecard ratings, contacts
  (channel, direction, time, classification), promises, scores, rank overrides and silence
  tests. They carry no identifier any more, and requisition statistics (funnel, persistence
  rates, scores) keep adding up. Free text typed about the candidate in them (stage-move and
  silence-test cancel reasons, scorecard notes, promises, override reasons, contact texts) is
  emptied or replaced whole; labels that merely may name them (round titles) have the
  identifiers replaced (``privacy.identifiers``).
* Scrubbed (identifiers replaced by "[erased]", the row kept): call-log import rows that came
  from their number (the row's cells and the row's line in the stored CSV) and the file names
  of those imports (and any import's file name or failure quoting an address, number or the
  full name); ``django_admin_log`` entries about their objects or quoting them (text emptied);
  audit events about their objects, and failed sign-in / lockout events whose username is one
  of their identifiers (the event, its time and address stay: it is the staff's security log).
* Recorded: an ``ErasureRecord`` (who, when, candidate pk, reason; the typed reference note
  with identifiers replaced) and one audit event per candidate, with nothing personal.
"""

from __future__ import annotations

import csv
import email
import email.policy
import io
import json
import logging
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import CharField, Exists, F, Func, OuterRef, Q, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Concat, Left, Lower, Trim
from django.utils import timezone
from django_q.models import OrmQ, Task

from audit.models import AuditEvent
from audit.services import AuditAction, audit_record, audit_record_many
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
from followups import call_import
from followups.models import (
    Contact,
    EmailAttachment,
    ImportBatch,
    ImportRow,
    ImportStatus,
    InboundMessage,
    MatchStatus,
    PersistenceScore,
    Promise,
    RankOverride,
    ReplyToken,
)
from followups.policy import contacts_visible_to
from followups.rules import contact_is_persistence
from hiring.models import ScorecardTrait, SilenceTest
from privacy import sql
from privacy.identifiers import PLACEHOLDER, Identifiers, scrub_json, scrub_text
from privacy.models import ErasureReason, ErasureRecord
from privacy.selectors import retention_due_candidate_pks, retention_months
from privacy.signals import candidate_erased, candidate_exported

#: What apps above privacy keep about a candidate joins the export and the erasure through these
#: two hooks, registered from their ``AppConfig.ready()``: this app may not import them
#: (``[tool.importlinter]``). An export section returns a dict merged into the candidate's JSON;
#: an erase step runs inside the erasure's transaction.
_export_sections: list[Callable[..., dict]] = []
_erase_steps: list[Callable[..., None]] = []


def export_section_register(section: Callable[..., dict]) -> None:
    if section not in _export_sections:
        _export_sections.append(section)


def erase_step_register(step: Callable[..., None]) -> None:
    if step not in _erase_steps:
        _erase_steps.append(step)


logger = logging.getLogger(__name__)

ERASED_NAME_PREFIX = "Erased candidate #"
ERASED_TEXT = "Erased with the candidate's personal data."
#: Task functions whose first argument names a candidate's object: (function, what it names).
TASK_ID_ARGUMENTS = {
    "followups.tasks.send_candidate_email": "contact",
}
#: The characters a file name inside the export archive keeps; others become "_".
_SAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")
MAX_ARCHIVE_FILENAME = 80


class ErasureBlocked(Exception):
    """Erasure cannot run now (the message says why and what to do)."""


# --- Export -----------------------------------------------------------------------------------


def _safe_name(value: str, fallback: str) -> str:
    cleaned = _SAFE_FILENAME.sub("_", value or "").strip("._")[-MAX_ARCHIVE_FILENAME:]
    return cleaned or fallback


def _attachments_of(raw: bytes) -> list[tuple[str, bytes]]:
    """(file name, decoded bytes) of every attachment part of a raw email."""
    try:
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
    except Exception:
        return []
    found = []
    for part in message.walk():
        if part.is_multipart():
            continue
        disposition = (part.get("Content-Disposition") or "").lower()
        filename = part.get_filename()
        if not filename and not disposition.startswith("attachment"):
            continue
        payload = part.get_payload(decode=True)
        if payload is not None:
            found.append((str(filename or ""), payload))
    return found


def candidate_data(*, candidate, viewer=None) -> dict:
    """What Persist holds about the candidate, as JSON-ready data (the export's core).

    ``viewer``: only what they may see (``hiring.policy``): an exporter who is not an admin
    gets their own teams' applications and contacts, never another team's (issue #13). None
    (the system) or an admin: everything.
    """

    applications = Application.objects.filter(candidate=candidate)
    if viewer is not None:
        applications = applications.visible_to(viewer)
    applications = list(
        applications.select_related("requisition", "stage")
        .prefetch_related("transitions__from_stage", "transitions__to_stage", "rounds__stage")
        .order_by("created_at", "pk")
    )
    app_ids = [a.pk for a in applications]
    scorecards: dict[int, list] = {}
    # Each rating also under the name its pipeline gives the trait (the columns are slots).
    pipeline_of = {a.pk: a.requisition.pipeline_id for a in applications}
    labels: dict[int, dict[str, str]] = {}
    for trait in ScorecardTrait.objects.filter(pipeline_id__in=set(pipeline_of.values())):
        labels.setdefault(trait.pipeline_id, {})[trait.column] = trait.label
    for card in (
        Scorecard.objects.filter(round__application_id__in=app_ids)
        .annotate(application_id=F("round__application_id"))
        .order_by("pk")
    ):
        named = labels.get(pipeline_of[card.application_id], dict(SCORECARD_TRAITS))
        scorecards.setdefault(card.round_id, []).append(
            {
                **{name: getattr(card, name) for name, _label in SCORECARD_TRAITS},
                "ratings": {
                    named.get(name, label): getattr(card, name)
                    for name, label in SCORECARD_TRAITS
                    if getattr(card, name) is not None
                },
                "recommendation": card.recommendation,
                "notes": card.notes,
                "submitted_at": card.submitted_at,
            }
        )

    def by_application(queryset, fields):
        grouped: dict[int, list] = {}
        for row in queryset.filter(application_id__in=app_ids).values("application_id", *fields):
            grouped.setdefault(row.pop("application_id"), []).append(row)
        return grouped

    promises = by_application(
        Promise.objects.order_by("due_at", "pk"),
        ["description", "channel", "due_at", "status", "resolved_at", "made_in_id", "kept_by_id"],
    )
    scores = by_application(
        PersistenceScore.objects.annotate(weights_version=F("weights__version")).order_by(
            "computed_at", "pk"
        ),
        [
            "score",
            "outcome",
            "comparable",
            "lines",
            "is_current",
            "computed_at",
            "weights_version",
        ],
    )
    overrides = by_application(
        RankOverride.objects.order_by("created_at", "pk"),
        ["position", "outcome", "reason", "is_active", "created_at"],
    )
    silence_tests = by_application(
        SilenceTest.objects.order_by("announced_at", "pk"),
        ["announced_at", "deadline_at", "window_closes_at", "state", "outcome", "closed_at"],
    )
    # Queue items sent from their addresses or numbers are theirs too, though not attached.
    queue_items = queue_items_from(
        addresses=candidate.emails.values_list("address", flat=True),
        numbers=candidate.phones.values_list("number", flat=True),
    )
    contacts = Contact.objects.filter(
        Q(candidate=candidate) | Q(application_id__in=app_ids) | Q(pk__in=queue_items.values("pk"))
    )
    if viewer is not None:
        contacts = contacts.filter(pk__in=contacts_visible_to(viewer).values("pk"))
    contacts = contacts.prefetch_related("tags", "attachments").order_by("occurred_at", "pk")
    return {
        "candidate": {
            "id": candidate.pk,
            "first_name": candidate.first_name,
            "last_name": candidate.last_name,
            "time_zone": candidate.time_zone,
            "linkedin_url": candidate.linkedin_url,
            "notes": candidate.notes,
            "created_at": candidate.created_at,
        },
        "emails": [
            {"address": e.address, "is_primary": e.is_primary} for e in candidate.emails.all()
        ],
        "phones": [{"number": p.number, "label": p.label} for p in candidate.phones.all()],
        # Parts that apps above this one keep about the candidate (evidence: the voluntary
        # self-identification, in an admin's export only).
        **{
            key: value
            for section in _export_sections
            for key, value in section(candidate=candidate, viewer=viewer).items()
        },
        "applications": [
            {
                "id": app.pk,
                "requisition": app.requisition.title,
                "stage": app.stage.name,
                "stage_entered_at": app.stage_entered_at,
                "source": app.source,
                "created_at": app.created_at,
                "transitions": [
                    {
                        "from_stage": t.from_stage.name if t.from_stage else None,
                        "to_stage": t.to_stage.name,
                        "reason": t.reason,
                        "at": t.at,
                    }
                    for t in sorted(app.transitions.all(), key=lambda t: (t.at, t.pk))
                ],
                # Interviewers are the team's personal data, not the candidate's: left out.
                "interview_rounds": [
                    {
                        "sequence": r.sequence,
                        "title": r.title,
                        "stage": r.stage.name if r.stage else None,
                        "scheduled_at": r.scheduled_at,
                        "scorecards": scorecards.get(r.pk, []),
                    }
                    for r in sorted(app.rounds.all(), key=lambda r: r.sequence)
                ],
                "promises": promises.get(app.pk, []),
                "persistence_scores": scores.get(app.pk, []),
                "rank_overrides": overrides.get(app.pk, []),
                "silence_tests": silence_tests.get(app.pk, []),
            }
            for app in applications
        ],
        "contacts": [
            {
                "id": c.pk,
                "application_id": c.application_id,
                "channel": c.channel,
                "direction": c.direction,
                "occurred_at": c.occurred_at,
                "source": c.source,
                "summary": c.summary,
                "subject": c.subject,
                "body_text": c.body_text,
                "from_header": c.from_header,
                "phone_number": c.phone_number,
                "duration_seconds": c.duration_seconds,
                "match_status": c.match_status,
                "classification": {
                    "counts_as_persistence": contact_is_persistence(c),
                    "is_prompted": c.is_prompted,
                    "is_automated": c.is_automated,
                    "automated_reason": c.automated_reason,
                    "tags": sorted(t.tag for t in c.tags.all()),
                },
                "raw_email": f"emails/{c.pk}.eml" if c.message_id else None,
                "attachments": [
                    {"filename": a.filename, "content_type": a.content_type, "size": a.size}
                    for a in c.attachments.all()
                ],
            }
            for c in contacts
        ],
    }


def candidate_export(*, candidate, actor, now: datetime | None = None) -> bytes:
    """A zip of ``candidate.json``, the raw emails (``emails/<contact id>.eml``) and their
    attachments (``attachments/<contact id>-<n>-<name>``); announces the export after commit.

    The caller checks that ``actor`` may export this candidate; the archive holds what the
    actor may see (``candidate_data``). This is the single place an export is made and
    recorded.
    """

    now = now or timezone.now()
    data = {"exported_at": now, **candidate_data(candidate=candidate, viewer=actor)}
    contact_ids = [c["id"] for c in data["contacts"] if c["raw_email"]]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "candidate.json", json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
        )
        messages = Contact.objects.filter(pk__in=contact_ids).values_list("pk", "message_id")
        raw_by_message = dict(
            InboundMessage.objects.filter(pk__in=[m for _c, m in messages]).values_list("pk", "raw")
        )
        for contact_id, message_id in sorted(messages):
            raw = bytes(raw_by_message[message_id])
            archive.writestr(f"emails/{contact_id}.eml", raw)
            for number, (filename, payload) in enumerate(_attachments_of(raw), start=1):
                name = _safe_name(filename, "attachment")
                archive.writestr(f"attachments/{contact_id}-{number}-{name}", payload)
        for cv in data.get("cvs", ()):
            stored = ApplicationCV.objects.get(pk=cv["id"]).file
            try:
                with stored.open("rb") as handle:
                    archive.writestr(cv["archive_path"], handle.read())
            except FileNotFoundError:
                logger.warning("CV #%s is missing from storage; exported without it", cv["id"])
    actor_id = getattr(actor, "pk", None)
    logger.info("Candidate #%s exported by user #%s", candidate.pk, actor_id)
    audit_record(action=AuditAction.CANDIDATE_EXPORTED, actor=actor, obj=candidate)
    transaction.on_commit(
        lambda: candidate_exported.send(
            sender=candidate_export, candidate_pk=candidate.pk, actor=actor
        )
    )
    return buffer.getvalue()


# --- Erasure ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErasureResult:
    candidates: int = 0
    contacts_anonymised: int = 0
    queue_items_deleted: int = 0
    raw_emails_deleted: int = 0
    import_rows_scrubbed: int = 0
    tasks_deleted: int = 0
    admin_log_scrubbed: int = 0
    rejected_messages_deleted: int = 0
    sign_in_attempts_deleted: int = 0
    audit_events_scrubbed: int = 0


@dataclass
class _Targets:
    candidate_ids: list[int]
    application_ids: list[int]
    contact_ids: list[int]  # the candidates' own contacts (kept, anonymised)
    queue_contact_ids: list[int]  # unmatched/dismissed items from their addresses (deleted)
    addresses: set[str]
    numbers: set[str]
    identifiers: Identifiers

    def __post_init__(self):
        # Compiled once per erasure: "strong" for rows that belong to no one in particular,
        # "full" (with each name part alone) for rows that belong to the candidates.
        self.full_sql = self.identifiers.sql(parts=True)
        self.strong = self.identifiers.python()
        self.full = self.identifiers.python(parts=True)


def candidate_erase(*, candidate, actor, reason: str, note: str = "", now: datetime | None = None):
    """Erase one candidate (see the module docstring). Raises ``ErasureBlocked`` when already
    erased or when a call import that mentions them is still running."""
    if ErasureRecord.objects.filter(candidate_pk=candidate.pk).exists():
        raise ErasureBlocked(f"Candidate #{candidate.pk} was already erased.")
    return candidates_erase(
        candidate_ids=[candidate.pk], actor=actor, reason=reason, note=note, now=now
    )


@transaction.atomic
def candidates_erase(
    *,
    candidate_ids: Iterable[int],
    actor,
    reason: str,
    note: str = "",
    now: datetime | None = None,
) -> ErasureResult:
    """Erase several candidates in one transaction (the retention policy's batch); candidates
    already erased are skipped. All or nothing: any failure rolls the whole batch back."""

    if reason not in ErasureReason.values:
        raise ValidationError(f"Unknown erasure reason {reason!r}.", code="reason")
    now = now or timezone.now()
    ids = list(
        Candidate.objects.select_for_update()
        .filter(pk__in=list(candidate_ids))
        .exclude(pk__in=ErasureRecord.objects.values("candidate_pk"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not ids:
        return ErasureResult()
    targets = _collect(ids)
    # Order matters: the task rows and admin log are matched by the identifiers and object ids
    # collected above, before the rows that hold them change.
    tasks_deleted = _erase_task_rows(targets)
    owned = _owned_objects(targets)
    admin_log_scrubbed = _scrub_admin_log(targets, owned)
    audit_events_scrubbed = _scrub_audit_events(targets, owned)
    sign_in_attempts = _erase_sign_in_attempts(targets)
    import_rows = _scrub_imports(targets)
    raw_emails, queue_items = _erase_contacts(targets)
    rejected_messages = _erase_orphan_messages(targets)
    _scrub_sessions(targets, now=now)
    _anonymise_history(targets)
    # Apps above this one erase what they keep (evidence: self-identification deleted, an
    # accommodation's reason blanked), in this transaction.
    for step in _erase_steps:
        step(candidate_ids=targets.candidate_ids, application_ids=targets.application_ids)
    # The note is meant for a ticket number, but is typed by a person: scrubbed like the rest.
    note = scrub_text(note, targets.full, max_length=300)
    ErasureRecord.objects.bulk_create(
        [
            ErasureRecord(
                candidate_pk=pk,
                erased_at=now,
                erased_by=actor if getattr(actor, "pk", None) else None,
                reason=reason,
                note=note[:300],
            )
            for pk in ids
        ]
    )

    # The reason is a fixed choice (admin request, retention), never free text: nothing personal.
    audit_record_many(
        action=AuditAction.CANDIDATE_ERASED,
        model=Candidate,
        items=[(pk, {"reason": reason}) for pk in ids],
        actor=actor,
    )
    result = ErasureResult(
        candidates=len(ids),
        contacts_anonymised=len(targets.contact_ids),
        queue_items_deleted=queue_items,
        raw_emails_deleted=raw_emails,
        import_rows_scrubbed=import_rows,
        tasks_deleted=tasks_deleted,
        admin_log_scrubbed=admin_log_scrubbed,
        rejected_messages_deleted=rejected_messages,
        sign_in_attempts_deleted=sign_in_attempts,
        audit_events_scrubbed=audit_events_scrubbed,
    )
    logger.info(
        "Erased candidates %s (%s) by user #%s: %s", ids, reason, actor and actor.pk, result
    )

    def announce():
        for pk in ids:
            candidate_erased.send(
                sender=candidates_erase, candidate_pk=pk, actor=actor, reason=reason
            )

    transaction.on_commit(announce)
    return result


def _collect(ids: list[int]) -> _Targets:
    addresses = set(
        CandidateEmail.objects.filter(candidate_id__in=ids).values_list("address", flat=True)
    )
    numbers = set(
        CandidatePhone.objects.filter(candidate_id__in=ids).values_list("number", flat=True)
    )
    application_ids = list(
        Application.objects.filter(candidate_id__in=ids).values_list("pk", flat=True)
    )
    contact_ids = list(
        Contact.objects.filter(
            Q(candidate_id__in=ids) | Q(application_id__in=application_ids)
        ).values_list("pk", flat=True)
    )
    names = Candidate.objects.filter(pk__in=ids).values_list("first_name", "last_name")
    # An address or number another candidate still holds (another team added the same person,
    # or a shared line) keeps its queue items: they concern that candidate's team too.
    kept_addresses = set(
        CandidateEmail.objects.filter(address__in=addresses)
        .exclude(candidate_id__in=ids)
        .values_list("address", flat=True)
    )
    kept_numbers = set(
        CandidatePhone.objects.filter(number__in=numbers)
        .exclude(candidate_id__in=ids)
        .values_list("number", flat=True)
    )
    queue_contact_ids = list(
        queue_items_from(
            addresses=addresses - kept_addresses, numbers=numbers - kept_numbers
        ).values_list("pk", flat=True)
    )
    return _Targets(
        candidate_ids=ids,
        application_ids=application_ids,
        contact_ids=contact_ids,
        queue_contact_ids=queue_contact_ids,
        addresses=addresses,
        numbers=numbers,
        identifiers=Identifiers.of(addresses=addresses, numbers=numbers, names=names),
    )


def queue_items_from(*, addresses: Iterable[str], numbers: Iterable[str]):
    """Unmatched, ambiguous or dismissed contacts from (or, outbound, to) these addresses or
    numbers."""

    # The match note names the address or number an outbound item was sent to.
    sender = Q(pk__in=[])
    for address in addresses:
        sender |= Q(from_header__icontains=address) | Q(match_note__icontains=address)
    numbers = list(numbers)
    if numbers:
        sender |= Q(phone_number__in=numbers)
    return Contact.objects.filter(sender, candidate__isnull=True).exclude(
        match_status=MatchStatus.MATCHED
    )


def _mentions(value, targets: _Targets) -> bool:
    return targets.strong is not None and bool(targets.strong.search(repr(value)))


def _task_names_target(func: str, args, targets: _Targets) -> bool:
    kind = TASK_ID_ARGUMENTS.get(func)
    if not kind or not args:
        return False
    first = args[0]
    values = set(first) if isinstance(first, list | tuple | set) else {first}
    ids = targets.contact_ids if kind == "contact" else targets.application_ids
    return bool(values & set(ids))


def _erase_task_rows(targets: _Targets) -> int:
    """Delete django-q2 rows (results of done and failed tasks, queued packages) that name the
    candidates' objects or quote one of their identifiers. (Stale scores are marked in the
    ``StaleScore`` outbox, whose rows go with their applications.)"""

    doomed = [
        task.pk
        for task in Task.objects.only("id", "func", "args", "kwargs", "result").iterator()
        if _task_names_target(task.func, task.args, targets)
        or _mentions((task.args, task.kwargs, task.result), targets)
    ]
    Task.objects.filter(pk__in=doomed).delete()
    queued = []
    for row in OrmQ.objects.all():
        package = row.task
        func, args = package.get("func"), package.get("args") or ()
        if _task_names_target(func, args, targets) or _mentions(
            (args, package.get("kwargs")), targets
        ):
            queued.append(row.pk)
    OrmQ.objects.filter(pk__in=queued).delete()
    return len(doomed) + len(queued)


def _owned_objects(targets: _Targets) -> dict[type, list[int]]:
    """Every object that is the candidates' (by model), for the logs that name objects by id."""

    apps = targets.application_ids

    def pks(queryset):
        return list(queryset.values_list("pk", flat=True))

    return {
        Candidate: targets.candidate_ids,
        Application: apps,
        Contact: targets.contact_ids + targets.queue_contact_ids,
        CandidateEmail: pks(CandidateEmail.objects.filter(candidate_id__in=targets.candidate_ids)),
        CandidatePhone: pks(CandidatePhone.objects.filter(candidate_id__in=targets.candidate_ids)),
        InterviewRound: pks(InterviewRound.objects.filter(application_id__in=apps)),
        Scorecard: pks(Scorecard.objects.filter(round__application_id__in=apps)),
        StageTransition: pks(StageTransition.objects.filter(application_id__in=apps)),
        SilenceTest: pks(SilenceTest.objects.filter(application_id__in=apps)),
        Promise: pks(Promise.objects.filter(application_id__in=apps)),
        RankOverride: pks(RankOverride.objects.filter(application_id__in=apps)),
        PersistenceScore: pks(PersistenceScore.objects.filter(application_id__in=apps)),
    }


def _scrub_admin_log(targets: _Targets, owned: dict[type, list[int]]) -> int:
    """Admin log entries about the candidates' objects, or quoting them, lose their text."""

    about = Q(pk__in=[])
    for model, pks in owned.items():
        if pks:
            about |= Q(
                content_type=ContentType.objects.get_for_model(model),
                object_id__in=[str(pk) for pk in pks],
            )
    if targets.strong is not None:
        # Any entry quoting them: the database pre-selects, the exact match decides.
        prefilter = targets.identifiers.prefilter_sql()
        maybe = LogEntry.objects.filter(
            Q(object_repr__iregex=prefilter) | Q(change_message__iregex=prefilter)
        ).values_list("pk", "object_repr", "change_message")
        about |= Q(
            pk__in=[
                pk
                for pk, text, message in maybe
                if targets.strong.search(text) or targets.strong.search(message)
            ]
        )
    return LogEntry.objects.filter(about).update(
        object_repr="Erased personal data", change_message=""
    )


def _scrub_audit_events(targets: _Targets, owned: dict[type, list[int]]) -> int:
    """Identifiers in the details of audit events are replaced; the events stay.

    Searched: events about the candidates' objects (every name part), and failed sign-ins and
    lockouts, whose username is whatever was typed (an address or full name). Other events
    hold ids, stage and field names only (``audit.services``), and the table is large: they
    are not read."""

    about = Q(pk__in=[])
    for model, pks in owned.items():
        if pks:
            about |= Q(object_type=model._meta.label_lower, object_id__in=[str(pk) for pk in pks])
    # A typed username is matched whole (trimmed, any case): an index-friendly equality, where
    # a pattern search over every failed sign-in of a brute-force attack would not be.
    sign_ins = Q(
        action__in=[AuditAction.LOGIN_FAILED, AuditAction.LOCKED_OUT],
        username_typed__in=targets.identifiers.exact(),
    )
    changed = []
    for scope, pattern in ((about, targets.full), (sign_ins & ~about, targets.strong)):
        if pattern is None:
            continue
        events = AuditEvent.objects.annotate(
            username_typed=Lower(Trim(KeyTextTransform("username", "details")))
        )
        for event in events.filter(scope).exclude(details={}).only("id", "details"):
            scrubbed = scrub_json(event.details, pattern)
            if scrubbed != event.details:
                event.details = scrubbed
                changed.append(event)
    AuditEvent.objects.bulk_update(changed, ["details"], batch_size=500)
    return len(changed)


def _erase_sign_in_attempts(targets: _Targets) -> int:
    """django-axes rows (attempts, with the lockout they make, and the optional logs) whose
    username is one of the identifiers (trimmed, any case): no staff account is called that,
    so deleting them only lifts a lockout of the candidate's own address."""

    exact = targets.identifiers.exact()
    deleted = 0
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        typed = model.objects.annotate(username_typed=Lower(Trim("username")))
        _count, per_model = typed.filter(username_typed__in=exact).delete()
        # Not the cascaded expiry rows: the attempts themselves.
        deleted += per_model.get(model._meta.label, 0)
    return deleted


def _regexp_replace(field: str, pattern: str, max_length: int):
    """SQL: the column with every match of ``pattern`` replaced, cut to the column's length (a
    short name becoming the longer placeholder must not overflow a varchar)."""
    return Left(
        Func(
            F(field),
            Value(pattern),
            Value(PLACEHOLDER),
            Value("gi"),
            function="regexp_replace",
            output_field=CharField(),
        ),
        max_length,
    )


def _row_mentions(cells: Iterable[str], *, region: str | None, targets: _Targets) -> bool:
    for cell in cells:
        value = (cell or "").strip()
        if not value:
            continue
        folded = value.casefold()
        if any(address in folded for address in targets.addresses):
            return True
        if targets.numbers and call_import.looks_like_number(value):
            try:
                if call_import.normalize_number(value, region=region) in targets.numbers:
                    return True
            except ValueError:
                continue
    return False


def _scrub_imports(targets: _Targets) -> int:
    """Remove the candidates' rows from stored call-log files and empty their row records.

    A row is theirs when it made one of their contacts or queue items, or when one of its cells
    is one of their numbers or addresses (error rows made no contact)."""

    linked = set(
        ImportRow.objects.filter(
            contact_id__in=targets.contact_ids + targets.queue_contact_ids
        ).values_list("batch_id", "row_number")
    )
    # Only files that can hold their rows are read: those with a row linked to their contacts,
    # those with rows that made no contact (errors), and those not fully imported yet.
    batches = ImportBatch.objects.filter(
        Q(pk__in={batch_id for batch_id, _row in linked})
        | ~Q(status=ImportStatus.DONE)
        | Exists(ImportRow.objects.filter(batch_id=OuterRef("pk"), contact__isnull=True))
    )
    scrubbed = 0
    for batch in batches.select_for_update().order_by("pk").iterator():
        try:
            table = call_import.read_csv(bytes(batch.content))
        except call_import.CsvUnreadable:
            continue
        region = batch.default_region or None
        theirs = {
            number
            for number, cells in table.rows
            if (batch.pk, number) in linked or _row_mentions(cells, region=region, targets=targets)
        }
        if not theirs:
            continue
        if batch.status == ImportStatus.RUNNING:
            raise ErasureBlocked(
                f"Call import #{batch.pk} ({batch.filename}) mentions this candidate and is "
                "still running: erase again when it has finished."
            )
        out = io.StringIO()
        writer = csv.writer(out, delimiter=table.delimiter, lineterminator="\r\n")
        writer.writerow(table.header)
        writer.writerows(cells for number, cells in table.rows if number not in theirs)
        batch.content = out.getvalue().encode("utf-8")
        # A file that held their rows may be named after them ("calls with Dana.csv").
        batch.filename = scrub_text(batch.filename, targets.full, max_length=255)
        batch.save(update_fields=["content", "filename"])
        scrubbed += ImportRow.objects.filter(batch=batch, row_number__in=theirs).update(
            data={}, reason=ERASED_TEXT
        )
    if targets.strong is not None:
        # Any other file named after them, or whose failure message quotes them.
        prefilter = targets.identifiers.prefilter_sql()
        maybe = ImportBatch.objects.filter(
            Q(filename__iregex=prefilter) | Q(failure__iregex=prefilter)
        ).only("id", "filename", "failure")
        for batch in maybe:
            filename = scrub_text(batch.filename, targets.strong, max_length=255)
            failure = scrub_text(batch.failure, targets.strong, max_length=2000)
            if (filename, failure) != (batch.filename, batch.failure):
                ImportBatch.objects.filter(pk=batch.pk).update(filename=filename, failure=failure)
    return scrubbed


def _erase_contacts(targets: _Targets) -> tuple[int, int]:
    """Delete raw emails, attachments, reply tokens and queue items; strip kept contacts."""

    every_contact = targets.contact_ids + targets.queue_contact_ids
    message_ids = list(
        Contact.objects.filter(pk__in=every_contact, message__isnull=False).values_list(
            "message_id", flat=True
        )
    )
    EmailAttachment.objects.filter(contact_id__in=every_contact).delete()
    ReplyToken.objects.filter(
        Q(contact_id__in=every_contact) | Q(application_id__in=targets.application_ids)
    ).delete()
    Contact.objects.filter(pk__in=targets.queue_contact_ids).delete()
    Contact.objects.filter(pk__in=targets.contact_ids).update(
        summary="",
        subject="",
        body_text="",
        from_header="",
        phone_number="",
        external_id="",
        match_note="",
        automated_reason="",
        message=None,
    )
    raw_emails, _per_model = InboundMessage.objects.filter(pk__in=message_ids).delete()
    return raw_emails, len(targets.queue_contact_ids)


def _erase_orphan_messages(targets: _Targets) -> int:
    """Delete raw messages that no contact holds (bytes rejected as not an email, kept for a
    person to look at) when they quote an address, a number or the full name.

    The database pre-selects the bytes that contain a word of an identifier (or a number's
    digits once separators are removed); only those are read and matched exactly."""

    if targets.strong is None:
        return 0
    may_quote = sql.raw_message_matches(targets.identifiers.prefilter_sql(escaped_bytes=True))
    orphans = InboundMessage.objects.filter(
        may_quote, ~Exists(Contact.objects.filter(message_id=OuterRef("pk")))
    ).only("id", "raw")
    doomed = [
        message.pk
        for message in orphans.iterator(chunk_size=20)
        if targets.strong.search(bytes(message.raw).decode("utf-8", "replace"))
    ]
    deleted, _per_model = InboundMessage.objects.filter(pk__in=doomed).delete()
    return deleted


def _scrub_sessions(targets: _Targets, *, now: datetime) -> int:
    """Drop the values that quote the candidates (flash messages such as "Round 1: Role play
    with Dana added.", waiting for the user's next page) from live sessions; the user stays
    signed in. Through the configured session engine, so a cached copy is replaced too.

    Any name part counts here: at worst a staff member misses a stale flash message."""

    if targets.full is None or not settings.SESSION_ENGINE.endswith(("db", "cached_db")):
        return 0
    engine = import_module(settings.SESSION_ENGINE)
    changed = 0
    for key in Session.objects.filter(expire_date__gt=now).values_list("session_key", flat=True):
        store = engine.SessionStore(session_key=key)
        quoting = [
            name
            for name, value in store.items()
            if not name.startswith("_auth_") and targets.full.search(repr(value))
        ]
        if quoting:
            for name in quoting:
                del store[name]
            store.save(must_create=False)
            changed += 1
    return changed


def _anonymise_history(targets: _Targets) -> None:
    """Keep the statistics-bearing rows, without identifiers or free text about the person."""

    ids, apps = targets.candidate_ids, targets.application_ids
    CandidateEmail.objects.filter(candidate_id__in=ids).delete()
    CandidatePhone.objects.filter(candidate_id__in=ids).delete()
    Candidate.objects.filter(pk__in=ids).update(
        first_name=Concat(Value(ERASED_NAME_PREFIX), Cast(F("pk"), CharField())),
        last_name="",
        time_zone="",
        linkedin_url="",
        notes="",
    )
    Application.objects.filter(pk__in=apps).update(source="")
    StageTransition.objects.filter(application_id__in=apps).update(reason="")
    # A rejection or withdrawal copies the stage-move reason into the open test's cancel reason.
    SilenceTest.objects.filter(application_id__in=apps).exclude(cancel_reason="").update(
        cancel_reason=ERASED_TEXT
    )
    # Round titles label the kind of interview ("Role play"); only the identifiers go.
    if targets.full_sql:
        InterviewRound.objects.filter(
            application_id__in=apps, title__iregex=targets.full_sql
        ).update(title=_regexp_replace("title", targets.full_sql, 100))
    Scorecard.objects.filter(round__application_id__in=apps).update(notes="")
    Promise.objects.filter(application_id__in=apps).update(description=ERASED_TEXT)
    RankOverride.objects.filter(application_id__in=apps).update(reason=ERASED_TEXT)
    # Score lines keep their rule and points (the score still adds up); their text may quote
    # the candidate (a promise), so it is rebuilt from the points alone.
    scores = list(PersistenceScore.objects.filter(application_id__in=apps).only("id", "lines"))
    for score in scores:
        score.lines = [
            {
                "rule": line.get("rule", ""),
                "points": line.get("points", 0),
                "text": _line_text(line),
            }
            for line in score.lines
        ]
    PersistenceScore.objects.bulk_update(scores, ["lines"])


def _line_text(line: dict) -> str:
    points = int(line.get("points", 0))
    rule = str(line.get("rule", "")).replace("_", " ")
    return f"{rule} ({points:+d})" if points else f"{rule} (0)"


# --- Retention --------------------------------------------------------------------------------

#: Candidates erased per transaction by the retention task (bounds lock time and memory).
RETENTION_BATCH_SIZE = 100
#: Batches per run: a large backlog is worked off over several daily runs, not in one.
RETENTION_MAX_BATCHES = 50


@dataclass(frozen=True)
class RetentionResult:
    enabled: bool
    erased: int = 0
    batches: int = 0


def retention_apply(
    *,
    now: datetime,
    batch_size: int = RETENTION_BATCH_SIZE,
    max_batches: int = RETENTION_MAX_BATCHES,
) -> RetentionResult:
    """Erase the candidates the retention policy makes due, ``batch_size`` per transaction.

    Does nothing when the policy is disabled. A batch that cannot be erased now (a running
    import mentions one of them) stops the run; the next daily run tries again.
    """

    if not retention_months():
        return RetentionResult(enabled=False)
    erased = batches = 0
    while batches < max_batches:
        pks = retention_due_candidate_pks(now=now, limit=batch_size)
        if not pks:
            break
        try:
            result = candidates_erase(
                candidate_ids=pks, actor=None, reason=ErasureReason.RETENTION, now=now
            )
        except ErasureBlocked as exc:
            logger.warning("Retention run stopped: %s", exc)
            break
        erased += result.candidates
        batches += 1
    return RetentionResult(enabled=True, erased=erased, batches=batches)
