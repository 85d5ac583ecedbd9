"""Writes of the evidence app: self-identification (the candidate's page, the import), post-hire
outcomes, alternative assessments, and the hooks privacy calls on export and erasure."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django_q.tasks import async_task

from candidates.freshness import mark_scores_stale
from candidates.models import Application, Candidate, CandidateEmail
from candidates.normalize import normalize_email
from evidence import policy
from evidence.models import (
    DECLINED,
    PostHireOutcome,
    RaceEthnicity,
    SelfIdentification,
    SelfIdSource,
    Sex,
)
from hiring.models import StageKind
from hiring.services import silence_tests_cancel_open
from privacy.models import ErasureRecord

#: Signing salt of the self-identification link: a token signed for anything else never opens
#: the page, and this one opens nothing else.
SELF_ID_SALT = "evidence.self-identification"
#: Rows a CSV import reads at most: bounded time and memory whatever the file.
IMPORT_MAX_ROWS = 50_000
ALTERNATIVE_REASON_MAX = 1000
ERASED_REASON = "Erased with the candidate's personal data."


class SelfIdLinkInvalid(Exception):
    """The link was tampered with, belongs to no candidate, or the candidate was erased."""


class SelfIdLinkExpired(SelfIdLinkInvalid):
    """The link is genuine but older than ``SELF_ID_LINK_MAX_AGE_DAYS``."""


# --- Self-identification ------------------------------------------------------------------------


def self_id_token(candidate_id: int) -> str:
    return signing.TimestampSigner(salt=SELF_ID_SALT).sign(str(candidate_id))


def self_id_url(candidate) -> str:
    return settings.SITE_URL + reverse("evidence:self_id", args=[self_id_token(candidate.pk)])


def self_id_candidate(token: str) -> Candidate:
    """The candidate a self-identification link was made for; raises ``SelfIdLinkExpired`` or
    ``SelfIdLinkInvalid``."""
    signer = signing.TimestampSigner(salt=SELF_ID_SALT)
    max_age = settings.SELF_ID_LINK_MAX_AGE_DAYS * 86400
    try:
        value = signer.unsign(token[:200], max_age=max_age)
    except signing.SignatureExpired as exc:
        raise SelfIdLinkExpired("This link has expired.") from exc
    except signing.BadSignature as exc:
        raise SelfIdLinkInvalid("This link is not valid.") from exc
    if not value.isdigit():
        raise SelfIdLinkInvalid("This link is not valid.")
    candidate = Candidate.objects.filter(pk=int(value)).first()
    # An erased candidate's row stays (anonymised): an old link must not bring answers back.
    if candidate is None or ErasureRecord.objects.filter(candidate_pk=candidate.pk).exists():
        raise SelfIdLinkInvalid("This link is not valid.")
    return candidate


def _strict_choice(value: str, choices: type, field: str) -> str:
    if value not in choices.values:
        raise ValidationError({field: "Choose one of the options."}, code="invalid_choice")
    return value


@transaction.atomic
def self_id_record(
    *, candidate, sex: str, race_ethnicity: str, source: str, now: datetime
) -> SelfIdentification:
    """Record (or replace) a candidate's answers; submitting the same answers twice is a no-op
    apart from the time."""
    _strict_choice(sex, Sex, "sex")
    _strict_choice(race_ethnicity, RaceEthnicity, "race_ethnicity")
    _strict_choice(source, SelfIdSource, "source")
    record, _created = SelfIdentification.objects.update_or_create(
        candidate=candidate,
        defaults={
            "sex": sex,
            "race_ethnicity": race_ethnicity,
            "source": source,
            "answered_at": now,
        },
    )
    return record


@transaction.atomic
def self_id_invite_send(*, application, actor) -> str:
    """Queue the email with the link to the voluntary self-identification page; the address.
    A task sends it after the commit, so a mail server that is down never fails the request
    (django-q retries it) and a rolled-back request sends nothing."""
    if not policy.may_mark_alternative_assessment(actor, application):
        raise PermissionDenied("You cannot contact this candidate.")
    email = application.candidate.emails.filter(is_primary=True).first()
    if email is None:
        raise ValidationError("The candidate has no email address.")
    application_id = application.pk
    transaction.on_commit(lambda: async_task("evidence.tasks.send_self_id_invite", application_id))
    return email.address


def self_id_invite_deliver(*, application_id: int) -> bool:
    """Send the invitation queued by ``self_id_invite_send`` (the task body). False, sending
    nothing, when the candidate was erased or lost their address since it was queued."""
    application = (
        Application.objects.select_related("candidate", "requisition")
        .filter(pk=application_id)
        .first()
    )
    if (
        application is None
        or ErasureRecord.objects.filter(candidate_pk=application.candidate_id).exists()
    ):
        return False
    email = application.candidate.emails.filter(is_primary=True).first()
    if email is None:
        return False
    send_mail(
        subject=f"Optional: a short equal-opportunity survey ({application.requisition.title})",
        message=(
            f"Thank you for applying for {application.requisition.title}.\n\n"
            "We monitor our hiring process for fairness. If you wish, tell us your sex and "
            "race/ethnicity on the page below. Answering is voluntary, every question has "
            "“I decline to answer”, and your answers are never shown to the people deciding "
            "on your application or used to score it.\n\n"
            f"{self_id_url(application.candidate)}\n\n"
            f"The link works for {settings.SELF_ID_LINK_MAX_AGE_DAYS} days.\n"
        ),
        from_email=None,
        recipient_list=[email.address],
    )
    return True


def evidence_erase(*, candidate_ids: Iterable[int], application_ids: Iterable[int]) -> int:
    """Erasure hook (``privacy.services.candidates_erase``): the self-identification goes
    entirely; an accommodation's reason (it may describe a disability) is blanked, the flag
    stays with the anonymised statistics. Post-hire outcomes are numbers without identifiers:
    kept, like the scorecards. The number of self-identifications deleted."""
    Application.objects.filter(pk__in=list(application_ids)).exclude(
        alternative_assessment_reason=""
    ).update(alternative_assessment_reason=ERASED_REASON)
    deleted, _by_model = SelfIdentification.objects.filter(
        candidate_id__in=list(candidate_ids)
    ).delete()
    return deleted


def self_id_export(*, candidate, viewer) -> dict | None:
    """Export hook (``privacy.services.candidate_data``): the candidate's own answers, only in
    an export the policy lets carry them."""
    if not policy.export_includes_self_id(viewer):
        return None
    record = SelfIdentification.objects.filter(candidate=candidate).first()
    if record is None:
        return {"answered": False}
    return {
        "answered": True,
        "sex": record.get_sex_display(),
        "race_ethnicity": record.get_race_ethnicity_display(),
        "source": record.source,
        "answered_at": record.answered_at,
    }


# --- CSV imports ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowResult:
    row: int
    key: str
    outcome: str  # "created", "updated" or "error"
    message: str = ""


def read_csv(data: bytes | str) -> list[dict[str, str]]:
    """Rows of a CSV with a header, keys lower-cased and stripped; ``ValidationError`` when it
    is not text or has more than ``IMPORT_MAX_ROWS`` rows."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError("The file is not UTF-8 text.") from exc
    reader = csv.DictReader(io.StringIO(data))
    rows = []
    try:
        for row in reader:
            if len(rows) >= IMPORT_MAX_ROWS:
                raise ValidationError(f"More than {IMPORT_MAX_ROWS} rows: split the file.")
            rows.append(
                {
                    (key or "").strip().lower(): (value or "").strip()
                    for key, value in row.items()
                    if isinstance(value, str)
                }
            )
    except csv.Error as exc:
        raise ValidationError(f"Not a valid CSV file: {exc}") from exc
    return rows


_DECLINE_WORDS = {DECLINED, "decline", "i decline to answer", "prefer not to say", "declined"}


def _choice_from_text(value: str, choices: type) -> str | None:
    text = value.strip().lower()
    if text in _DECLINE_WORDS:
        return DECLINED
    for code, label in choices.choices:
        if text in {code, label.lower(), label.lower().split(" (")[0]}:
            return code
    return None


def self_id_import(*, rows: Iterable[dict[str, str]], now: datetime) -> list[RowResult]:
    """Self-identification from a previous system: columns ``candidate email``, ``sex``,
    ``race_ethnicity`` (codes or labels; "declined" for a declined answer). Every candidate
    with the address gets the answers (teams may each hold a record of the same person)."""
    results = []
    for number, row in enumerate(rows, start=2):
        raw_email = row.get("candidate email") or row.get("candidate_email") or row.get("email")
        sex = _choice_from_text(row.get("sex", ""), Sex)
        race = _choice_from_text(row.get("race_ethnicity", ""), RaceEthnicity)
        try:
            address = normalize_email(raw_email or "")
        except ValidationError:
            address = ""
        if not address:
            results.append(RowResult(number, raw_email or "", "error", "No valid email address."))
            continue
        if sex is None or race is None:
            which = "sex" if sex is None else "race_ethnicity"
            results.append(RowResult(number, address, "error", f"Unknown {which} value."))
            continue
        candidate_ids = list(
            CandidateEmail.objects.filter(address=address)
            .exclude(candidate_id__in=ErasureRecord.objects.values("candidate_pk"))
            .values_list("candidate_id", flat=True)
        )
        if not candidate_ids:
            results.append(RowResult(number, address, "error", "No candidate has this address."))
            continue
        existed = SelfIdentification.objects.filter(candidate_id__in=candidate_ids).exists()
        for candidate_id in candidate_ids:
            self_id_record(
                candidate=Candidate(pk=candidate_id),
                sex=sex,
                race_ethnicity=race,
                source=SelfIdSource.IMPORT,
                now=now,
            )
        results.append(RowResult(number, address, "updated" if existed else "created"))
    return results


# --- Post-hire outcomes ---------------------------------------------------------------------------


@transaction.atomic
def outcome_record(
    *,
    application,
    actor,
    quota_6m: Decimal | None,
    quota_12m: Decimal | None,
    ramp_months: int | None,
    employed_12m: bool | None,
) -> PostHireOutcome:
    """Record how a hire did. ``actor`` None is the system (an operator's import)."""
    if application.stage.kind != StageKind.HIRED:
        raise ValidationError("Outcomes are recorded for hired candidates only.", code="not_hired")
    if actor is not None and not policy.may_record_outcome(actor, application):
        raise PermissionDenied("Only an admin or the hiring manager records post-hire outcomes.")
    outcome = PostHireOutcome.objects.filter(application=application).first()
    outcome = outcome or PostHireOutcome(application=application)
    outcome.quota_6m, outcome.quota_12m = quota_6m, quota_12m
    outcome.ramp_months, outcome.employed_12m = ramp_months, employed_12m
    outcome.recorded_by = actor
    outcome.full_clean()
    outcome.save()
    return outcome


def _decimal(value: str, field: str) -> Decimal | None:
    if not value:
        return None
    try:
        number = Decimal(value.rstrip("%").strip())
    except InvalidOperation as exc:
        raise ValidationError(f"{field}: not a number.") from exc
    if not number.is_finite():
        raise ValidationError(f"{field}: not a number.")
    return number


def _integer(value: str, field: str) -> int | None:
    if not value:
        return None
    if not value.isdigit() or len(value) > 3:
        raise ValidationError(f"{field}: a whole number of months.")
    return int(value)


def _boolean(value: str, field: str) -> bool | None:
    text = value.lower()
    if not text:
        return None
    if text in {"yes", "y", "true", "1"}:
        return True
    if text in {"no", "n", "false", "0"}:
        return False
    raise ValidationError(f"{field}: yes or no.")


def outcomes_import(*, rows: Iterable[dict[str, str]]) -> list[RowResult]:
    """Post-hire outcomes from a file: ``candidate email``, optional ``requisition_id`` (needed
    when the person was hired more than once), ``quota_6m``, ``quota_12m``, ``ramp_months``,
    ``employed_12m``. Each row is recorded alone: a bad row never stops the others."""
    results = []
    for number, row in enumerate(rows, start=2):
        raw_email = row.get("candidate email") or row.get("candidate_email") or row.get("email")
        try:
            address = normalize_email(raw_email or "")
            hired = Application.objects.filter(
                candidate__emails__address=address, stage__kind=StageKind.HIRED
            ).select_related("stage", "requisition")
            requisition_id = row.get("requisition_id", "")
            if requisition_id:
                if not requisition_id.isdigit():
                    raise ValidationError("requisition_id: not a number.")
                hired = hired.filter(requisition_id=int(requisition_id))
            matches = list(hired.distinct()[:2])
            if not matches:
                raise ValidationError("No hired application for this address.")
            if len(matches) > 1:
                raise ValidationError("Hired more than once: add requisition_id.")
            existed = PostHireOutcome.objects.filter(application=matches[0]).exists()
            with transaction.atomic():
                outcome_record(
                    application=matches[0],
                    actor=None,
                    quota_6m=_decimal(row.get("quota_6m", ""), "quota_6m"),
                    quota_12m=_decimal(row.get("quota_12m", ""), "quota_12m"),
                    ramp_months=_integer(row.get("ramp_months", ""), "ramp_months"),
                    employed_12m=_boolean(row.get("employed_12m", ""), "employed_12m"),
                )
        except ValidationError as exc:
            results.append(RowResult(number, raw_email or "", "error", " ".join(exc.messages)))
            continue
        results.append(RowResult(number, address, "updated" if existed else "created"))
    return results


# --- Alternative assessment -----------------------------------------------------------------------


@transaction.atomic
def alternative_assessment_set(*, application, actor, reason: str, now: datetime) -> Application:
    """Mark an accommodation request: the silence test does not run (an open one is cancelled)
    and the application is left out of the test's comparisons; the reason is kept. Refused once
    a test has finished (``policy.alternative_assessment_too_late``)."""
    if not policy.may_mark_alternative_assessment(actor, application):
        raise PermissionDenied("You cannot change this application.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason (it is kept)."}, code="reason_required")
    if len(reason) > ALTERNATIVE_REASON_MAX:
        raise ValidationError(
            {"reason": f"At most {ALTERNATIVE_REASON_MAX} characters."}, code="too_long"
        )
    locked = Application.objects.select_for_update().get(pk=application.pk)
    # Checked under the row lock so a test the sweeper closes meanwhile is seen.
    if policy.alternative_assessment_too_late(locked):
        raise ValidationError(policy.ALTERNATIVE_TOO_LATE, code="test_finished")
    locked.alternative_assessment = True
    locked.alternative_assessment_reason = reason
    locked.save(update_fields=["alternative_assessment", "alternative_assessment_reason"])
    if silence_tests_cancel_open(
        application_id=locked.pk, reason="Alternative assessment (accommodation)", now=now
    ):
        mark_scores_stale([locked.pk])
    return locked


def self_id_export_section(*, candidate, viewer) -> dict:
    """The candidate's part of a subject-access export: their own answers in an admin's (or the
    system's) export only; anyone else's says it is withheld."""
    return {
        "self_identification": self_id_export(candidate=candidate, viewer=viewer)
        or {"withheld": "Only an admin's export carries the voluntary self-identification."}
    }
