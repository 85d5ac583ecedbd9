"""Large, realistic synthetic data for benchmarks (``manage.py seed_scale``). PostgreSQL only.

Everything is planned in Python from one ``random.Random(seed)`` and written in bulk: a few
``bulk_create`` calls for the small tables (users, requisitions, digests) and PostgreSQL ``COPY``
for the big ones, with primary keys reserved up front from each table's sequence so that rows can
point at each other without reading ids back. One transaction: a failed run leaves nothing.

The dataset is recognisable: requisition titles start with ``SCALE_PREFIX``, users with
``SCALE_USER_PREFIX``, the pipeline is ``SCALE_PIPELINE_NAME`` (its silence test observes for
``SCALE_WINDOW_BUSINESS_DAYS`` business days, see there) and contact external ids contain
``scale-``. A second run refuses to add to an existing dataset unless told to replace it
(``force``: set-based deletes, then a fresh seed; users and the pipeline are kept).

Shape of the data (defaults: 200 requisitions, 20 000 applications, 1 000 000 contacts):

* a handful of hiring managers and recruiters (random passwords, never shown), one pipeline
  (``devdata.demo.PIPELINE_STAGES``), requisitions across 12 time zones / countries;
* one candidate per application except ~4 % who applied to two requisitions; 1-2 lower-case
  email addresses and one E.164 phone number each (``+1 <area> 555 nnnn``, from the index);
* applications skewed towards the early stages; a stage transition per step of each one's
  path (the first is the creation); interview rounds with a scorecard for the interviews passed;
* a silence test for every application that reached the silence-test stage: waiting, observing
  or closed (reached out / silent) depending on when it was announced; closed ones belong to a
  per-requisition digest; a few are contaminated by an outbound contact while observing;
* contacts allocated with a heavy tail (at 1M: median 17 per application, p90 ~110, p99 ~500,
  a few with thousands), weighted towards applications with a silence test; mostly inbound
  emails and calls, ~55-60 % of a tested application's contacts after its deadline, some
  prompted, automated or outbound, and a few unmatched; quality tags on a few percent of the
  follow-ups and some promises.

Public API, for ``manage.py seed_scale``, ``bench/`` and the tests (everything else, the
underscored names, may change with the seed): ``seed_scale``, ``scale_dataset_exists``,
``scale_dataset_delete``, the ``SCALE_*`` markers and ``DEFAULT_*`` sizes, and the two bulk
writers other seeds reuse: ``reserve_ids`` (consecutive primary keys taken up front) and
``bulk_insert`` (COPY or ``bulk_create`` of plain tuples).
"""

from __future__ import annotations

import math
import random
import secrets
import time
from bisect import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate, islice

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, models, transaction

from accounts.roles import HIRING_MANAGERS, RECRUITERS
from candidates.models import (
    Application,
    Candidate,
    CandidateEmail,
    CandidatePhone,
    InterviewRound,
    Recommendation,
    Scorecard,
    StageTransition,
)
from devdata import sql
from devdata.demo import PIPELINE_STAGES
from followups.models import (
    Channel,
    Contact,
    ContactSource,
    ContactTag,
    Direction,
    MatchStatus,
    Promise,
    PromiseStatus,
    QualityTag,
)
from hiring import services as hiring_services
from hiring.calendars import CompanyCalendar
from hiring.closures import company_calendar
from hiring.models import (
    Pipeline,
    Requisition,
    RequisitionStatus,
    SilenceDigest,
    SilenceOutcome,
    SilenceTest,
    SilenceTestState,
    Stage,
    StageKind,
)

User = get_user_model()

SCALE_PREFIX = "Scale "
SCALE_USER_PREFIX = "scale-"
SCALE_PIPELINE_NAME = "Scale: Sales (silence test)"
SCALE_EXTERNAL_ID_PREFIX = "scale-"
#: Where the unmatched synthetic emails come from.
UNKNOWN_SENDER_DOMAIN = "unknown-sender.example"

#: The scale pipeline's observation window. With the default 3 business days after a Friday
#: 17:00 deadline, no window is open from Thursday until Friday 17:00, so a dataset seeded then
#: would have no test in the "observing" state; 5 business days overlap the next deadline, so
#: waiting, observing and closed tests all exist whatever the weekday of the seed.
SCALE_WINDOW_BUSINESS_DAYS = 5

DEFAULT_REQUISITIONS = 200
DEFAULT_APPLICATIONS = 20_000
DEFAULT_CONTACTS = 1_000_000
DEFAULT_BATCH_SIZE = 5000

# (label, IANA zone, ISO country): deadlines and business days differ per requisition.
REGIONS = (
    ("US East", "America/New_York", "US"),
    ("US West", "America/Los_Angeles", "US"),
    ("Canada", "America/Toronto", "CA"),
    ("Brazil", "America/Sao_Paulo", "BR"),
    ("UK & Ireland", "Europe/London", "GB"),
    ("DACH", "Europe/Berlin", "DE"),
    ("France", "Europe/Paris", "FR"),
    ("South Africa", "Africa/Johannesburg", "ZA"),
    ("India", "Asia/Kolkata", "IN"),
    ("Singapore", "Asia/Singapore", "SG"),
    ("Japan", "Asia/Tokyo", "JP"),
    ("ANZ", "Australia/Sydney", "AU"),
)
ROLES = (
    "Account Executive",
    "Sales Development Rep",
    "Enterprise Account Executive",
    "Mid-Market Account Executive",
    "Account Manager",
    "Sales Engineer",
    "Customer Success Manager",
    "Business Development Manager",
)
# (username suffix, first, last, role)
SCALE_USERS = (
    ("manager-1", "Morgan", "Hale", HIRING_MANAGERS),
    ("manager-2", "Priya", "Raman", HIRING_MANAGERS),
    ("manager-3", "Lukas", "Brandt", HIRING_MANAGERS),
    ("manager-4", "Aiko", "Mori", HIRING_MANAGERS),
    ("manager-5", "Thandi", "Nkosi", HIRING_MANAGERS),
    ("recruiter-1", "Riley", "Stone", RECRUITERS),
    ("recruiter-2", "Camille", "Roux", RECRUITERS),
    ("recruiter-3", "Diego", "Ortega", RECRUITERS),
    ("recruiter-4", "Hannah", "Kim", RECRUITERS),
)
# Names as whitespace-separated words (compact; ``split`` once at import).
FIRST_NAMES = tuple(
    """
    Avery Jordan Taylor Casey Quinn Harper Rowan Emerson Finley Reese Skyler Dakota Hayden Parker
    Sawyer Logan Elliot Blake Cameron Drew Jamie Kendall Marley Peyton Aarav Ananya Chen Mei
    Hiroshi Yuki Lena Jonas Sofia Mateo Lucas Ines Chloe Hugo Amara Kwame Zanele Thabo Aisha Omar
    Noor Lars Freya Oskar Ingrid Liam Olivia Noah Emma Ethan Mia Arjun Kavya
    """.split()  # noqa: SIM905
)
LAST_NAMES = tuple(
    """
    Nguyen Schmidt Patel Garcia Mueller Kowalski Okoye Larsen Rossi Tanaka Fischer Murphy Silva
    Novak Haddad Brennan Weber Ivanova Dubois Moreau Lindqvist Costa Yamada Walsh Sato Kumar Singh
    Zhang Wang Li Santos Oliveira Martin Bernard Smith Johnson Williams Brown Jones Miller Davis
    Wilson Anderson Thomas Dlamini Mokoena Naidoo Khumalo Ito
    """.split()  # noqa: SIM905
)
EMAIL_DOMAINS = (
    "mail.example",
    "inbox.example",
    "post.example",
    "fastmail.example",
    "proton.example",
)
#: US area codes for the synthetic numbers: ``+1 <area> 555 <nnnn>``, 10 000 per area code.
PHONE_AREAS = ("202", "212", "312", "415", "512", "617", "646", "718", "305", "206", "303", "404")
SOURCES = (("LinkedIn", 35), ("Referral", 20), ("Careers page", 25), ("Job board", 15), ("", 5))

#: Where applications sit, by stage name: most are early in the pipeline.
STAGE_WEIGHTS = {
    "Applied": 34,
    "Phone screen": 17,
    "Interview 1": 11,
    "Interview 2": 7,
    "Silence test": 7,
    "Final": 3,
    "Offer": 1,
    "Hired": 1,
    "Rejected": 16,
    "Withdrawn": 3,
}
#: For rejected/withdrawn applications: after how many steps of the main path they stopped.
REJECTED_AFTER = (38, 26, 12, 8, 12, 3, 1)  # Applied … Offer
WITHDRAWN_AFTER = (30, 25, 15, 10, 10, 8, 2)

INBOUND_CHANNELS = (
    (Channel.EMAIL, 58),
    (Channel.PHONE, 20),
    (Channel.VOICEMAIL, 6),
    (Channel.SMS, 7),
    (Channel.LINKEDIN, 6),
    (Channel.IN_PERSON, 1),
    (Channel.OTHER, 2),
)
FOLLOW_UP_CHANNELS = (
    (Channel.PHONE, 38),
    (Channel.EMAIL, 44),
    (Channel.VOICEMAIL, 6),
    (Channel.SMS, 5),
    (Channel.LINKEDIN, 7),
)
OUTBOUND_CHANNELS = ((Channel.EMAIL, 70), (Channel.PHONE, 25), (Channel.SMS, 5))
TAG_WEIGHTS = (
    (QualityTag.ADDS_VALUE, 35),
    (QualityTag.JUST_CHECKING_IN, 30),
    (QualityTag.PROFESSIONAL, 20),
    (QualityTag.PUSHY, 12),
    (QualityTag.INAPPROPRIATE, 3),
)
FOLLOW_UP_SUMMARIES = (
    "Checking in after Friday: still very keen, happy to answer anything else.",
    "Sent a 30-60-90 day plan for the territory and two customer references.",
    "Called to ask where things stand and offered a second reference.",
    "Short note: read the Q3 earnings call, shared three ideas for the mid-market push.",
    "Left a voicemail: following up as agreed, will try again Monday morning.",
    "Asked for feedback on the final round and confirmed availability to start.",
)
OTHER_SUMMARIES = (
    "Question about the commission plan and ramp.",
    "Thanks for the interview, sharing the deck I mentioned.",
    "Confirming the interview slot on Tuesday.",
    "Sending the case study for the panel.",
    "Availability for a call next week.",
    "Re: next steps",
)
OUTBOUND_SUMMARIES = (
    "Scheduling the next interview.",
    "Sent the assessment brief.",
    "Recruiter call: expectations and timeline.",
    "Shared the interview panel and agenda.",
)
PROMISE_TEXTS = (
    "I'll call you Monday at 9 to walk through my 30-60-90 plan.",
    "I'll send two references by Wednesday.",
    "I'll follow up with the territory analysis by Friday.",
)


class ScaleDataExists(Exception):
    """A scale dataset is already there and replacing it was not asked for."""


@dataclass
class ScaleReport:
    #: (phase, seconds, rows written)
    phases: list[tuple[str, float, int]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    created_users: list[str] = field(default_factory=list)
    replaced: bool = False

    @property
    def total_seconds(self) -> float:
        return sum(seconds for _name, seconds, _rows in self.phases)


class _Phases:
    def __init__(self, report: ScaleReport, progress: Callable[[str], None] | None):
        self.report, self.progress = report, progress

    @contextmanager
    def __call__(self, name: str):
        box = {"rows": 0}
        started = time.perf_counter()
        yield box
        seconds = time.perf_counter() - started
        self.report.phases.append((name, seconds, box["rows"]))
        if self.progress:
            rate = f" ({box['rows'] / seconds:,.0f} rows/s)" if box["rows"] and seconds else ""
            self.progress(f"{name:<22} {box['rows']:>10,} rows {seconds:8.2f} s{rate}")


# --- Bulk writing --------------------------------------------------------------------------------


def reserve_ids(model: type[models.Model], count: int) -> int:
    """Take ``count`` consecutive primary keys from the table's sequence; returns the first.

    Rows inserted with these ids can reference each other before they exist. A concurrent
    insert into the same table during the seed would collide (a unique violation, not silent
    corruption): the seed is meant to run alone.
    """
    if count <= 0:
        return 0
    return sql.ids_reserve(model, count) - count + 1


def _constant_columns(model: type[models.Model], given: Sequence[str], now: datetime):
    """Columns not given per row: their default (or ``now`` for auto timestamps)."""
    names, values = [], []
    for f in model._meta.concrete_fields:
        if f.attname in given or f.name in given or f.primary_key:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value = now
        elif f.has_default():
            value = f.get_db_prep_save(f.get_default(), connection)
        elif f.null:
            continue  # NULL
        elif isinstance(f, models.CharField | models.TextField):
            value = ""
        else:
            raise ValueError(f"{model.__name__}.{f.name} needs a value")
        names.append(f.column)
        values.append(value)
    return names, tuple(values)


def _chunks(rows: Iterable, size: int) -> Iterator[list]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def bulk_insert(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[tuple],
    *,
    now: datetime,
    batch_size: int,
    method: str = "copy",
) -> int:
    """Insert ``rows`` (tuples in ``fields`` order, ids included) with COPY or ``bulk_create``."""
    count = 0
    if method == "orm":
        for chunk in _chunks(rows, batch_size):
            model.objects.bulk_create(
                [model(**dict(zip(fields, row, strict=True))) for row in chunk],
                batch_size=batch_size,
            )
            count += len(chunk)
        return count
    columns = [model._meta.get_field(name).column for name in fields]
    extra_columns, extra_values = _constant_columns(model, fields, now)
    return sql.rows_copy(model, [*columns, *extra_columns], (row + extra_values for row in rows))


# --- Planning ------------------------------------------------------------------------------------


class _Choice:
    """A weighted choice prepared once (cumulative weights), picked many times."""

    __slots__ = ("cumulative", "total", "values")

    def __init__(self, pairs):
        pairs = list(pairs)
        self.values = [value for value, _weight in pairs]
        self.cumulative = list(accumulate(weight for _value, weight in pairs))
        self.total = self.cumulative[-1]

    def __call__(self, rng: random.Random):
        return self.values[bisect(self.cumulative, rng.random() * self.total)]


def _weighted(rng: random.Random, pairs):
    return _Choice(pairs)(rng)


def allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` over ``weights`` in integers that add up exactly (largest remainder)."""
    if not weights:
        return []
    weight_sum = sum(weights) or 1.0
    shares = [total * w / weight_sum for w in weights]
    counts = [math.floor(s) for s in shares]
    missing = total - sum(counts)
    by_remainder = sorted(range(len(weights)), key=lambda i: counts[i] - shares[i])
    for i in by_remainder[:missing]:
        counts[i] += 1
    return counts


class _Plan:
    """One application's story, before anything is written."""

    __slots__ = (
        "announced_at",
        "app_id",
        "applied_at",
        "candidate",
        "closes_at",
        "contacts",
        "contaminated",
        "contaminated_contact",
        "deadline_at",
        "digest_id",
        "entries",
        "follow_up_contact",
        "has_follow_up",
        "outcome",
        "path",
        "requisition",
        "silence_index",
        "state",
        "test_id",
    )

    def __init__(self, requisition: int, candidate: int, path: list[Stage]):
        self.requisition, self.candidate, self.path = requisition, candidate, path
        self.silence_index = next(
            (i for i, s in enumerate(path) if s.kind == StageKind.SILENCE_TEST), None
        )
        self.entries: list[datetime] = []
        self.announced_at = self.deadline_at = self.closes_at = None
        self.state = self.outcome = ""
        self.has_follow_up = False  # an unprompted inbound contact after the deadline
        self.contaminated = False
        self.contacts = 0
        self.app_id = self.test_id = self.digest_id = 0
        self.follow_up_contact = self.contaminated_contact = 0
        self.applied_at = None

    @property
    def required_contacts(self) -> int:
        return int(self.has_follow_up) + int(self.contaminated)

    def downgrade(self) -> None:
        """Not enough contacts to go round: drop what needs one (the test becomes silent)."""
        if self.contaminated:
            self.contaminated = False
        elif self.has_follow_up:
            self.has_follow_up = False
            if self.state == SilenceTestState.CLOSED:
                self.outcome = SilenceOutcome.SILENT


PICK_REJECTED_AFTER = _Choice(enumerate(REJECTED_AFTER, start=1))
PICK_WITHDRAWN_AFTER = _Choice(enumerate(WITHDRAWN_AFTER, start=1))


def _path(rng: random.Random, target: Stage, main: list[Stage]) -> list[Stage]:
    if target.kind == StageKind.REJECTED:
        return [*main[: PICK_REJECTED_AFTER(rng)], target]
    if target.kind == StageKind.WITHDRAWN:
        return [*main[: PICK_WITHDRAWN_AFTER(rng)], target]
    return main[: main.index(target) + 1]


def _plan_timeline(
    plan: _Plan, rng: random.Random, now: datetime, requisition, company: CompanyCalendar
) -> None:
    """Stage entry times (and the silence test's instants) consistent with the pipeline."""
    path, k = plan.path, plan.silence_index
    hours = timedelta(hours=1)
    entries: list[datetime | None] = [None] * len(path)
    if k is None:
        entries[-1] = now - hours * rng.uniform(1, 24 * 60)
        start = len(path) - 1
    else:
        last = k == len(path) - 1
        # Still in the silence-test stage: told up to 3 weeks ago (waiting, observing or closed
        # by now). Past it: long enough ago for the window (≤ ~3 weeks after the announcement)
        # and the later stages (≤ ~2 weeks) to fit.
        announced = now - hours * (
            rng.uniform(1, 24 * 21) if last else rng.uniform(24 * 40, 24 * 120)
        )
        deadline, closes = hiring_services.silence_instants(
            announced_at=announced,
            stage=path[k],
            time_zone=requisition.time_zone,
            country=requisition.country,
            subdivision=requisition.subdivision,
            company=company,
        )
        plan.announced_at, plan.deadline_at, plan.closes_at = announced, deadline, closes
        entries[k] = announced - hours * rng.uniform(1, 8)
        at = closes
        for i in range(k + 1, len(path)):
            at += hours * (rng.uniform(2, 72) if i == k + 1 else rng.uniform(24, 24 * 5))
            entries[i] = min(at, now - timedelta(minutes=1))
        start = k
    for i in range(start - 1, -1, -1):
        entries[i] = entries[i + 1] - hours * rng.uniform(20, 24 * 6)
    plan.entries = entries
    plan.applied_at = entries[0]


def _plan_test(plan: _Plan, rng: random.Random, now: datetime) -> None:
    if plan.silence_index is None:
        return
    final_kind = plan.path[-1].kind
    if now < plan.deadline_at:
        plan.state = SilenceTestState.WAITING
        return
    if now < plan.closes_at:
        plan.state = SilenceTestState.OBSERVING
        plan.has_follow_up = rng.random() < 0.45
    else:
        plan.state = SilenceTestState.CLOSED
        if final_kind in {StageKind.FINAL, StageKind.OFFER, StageKind.HIRED}:
            reached = rng.random() < 0.95
        elif final_kind == StageKind.REJECTED:
            reached = rng.random() < 0.1
        elif final_kind == StageKind.WITHDRAWN:
            reached = rng.random() < 0.4
        else:  # still at the silence test, waiting for the manager's decision
            reached = rng.random() < 0.55
        plan.has_follow_up = reached
        plan.outcome = SilenceOutcome.REACHED_OUT if reached else SilenceOutcome.SILENT
    plan.contaminated = rng.random() < 0.03


# --- Seeding -------------------------------------------------------------------------------------


def scale_dataset_exists() -> bool:
    return Requisition.objects.filter(title__startswith=SCALE_PREFIX).exists()


def _scale_users(report: ScaleReport) -> tuple[list, list]:
    managers, recruiters = [], []
    for suffix, first, last, role in SCALE_USERS:
        username = f"{SCALE_USER_PREFIX}{suffix}"
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@persist.example",
            },
        )
        if created:
            user.set_password(secrets.token_urlsafe(24))  # never shown: log in as an admin
            user.save(update_fields=["password"])
            user.groups.add(Group.objects.get_or_create(name=role)[0])
            report.created_users.append(username)
        (managers if role == HIRING_MANAGERS else recruiters).append(user)
    return managers, recruiters


def _scale_pipeline() -> Pipeline:
    pipeline = Pipeline.objects.filter(name=SCALE_PIPELINE_NAME).first()
    if pipeline is None:
        pipeline = hiring_services.pipeline_create(name=SCALE_PIPELINE_NAME, stages=PIPELINE_STAGES)
    pipeline.stages.filter(kind=StageKind.SILENCE_TEST).update(
        silence_window_business_days=SCALE_WINDOW_BUSINESS_DAYS
    )
    return pipeline


def _cascade_delete(queryset, deleted: dict[str, int]) -> None:
    """Delete ``queryset`` and what depends on it, honouring every ``on_delete``, set-based.

    Django's collector loads the rows (a million contacts) and sends signals per row (each one
    scheduling a score refresh for an application being deleted); this follows the same
    relations (hidden ones and many-to-many tables included) with one statement per relation.
    """
    model = queryset.model
    pks = queryset.values("pk")
    for relation in model._meta.get_fields(include_hidden=True):
        if not (
            relation.auto_created
            and not relation.concrete
            and (relation.one_to_many or relation.one_to_one)
        ):
            continue
        name = relation.field.name
        related = relation.related_model._base_manager.filter(**{f"{name}__in": pks})
        if relation.on_delete is models.CASCADE:
            _cascade_delete(related, deleted)
        elif relation.on_delete is models.SET_NULL:
            related.update(**{name: None})
        elif relation.on_delete is not models.DO_NOTHING and related.exists():
            raise RuntimeError(f"Cannot delete {model.__name__} rows: {relation} protects them")
    count = sql.rows_delete(queryset)
    if count:
        deleted[model._meta.label] = deleted.get(model._meta.label, 0) + count


def scale_dataset_delete(progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Remove a previous scale dataset (requisitions, their candidates, contacts, …) with
    set-based deletes; users and the pipeline stay. Returns rows deleted per model."""
    deleted: dict[str, int] = {}
    requisitions = Requisition.objects.filter(title__startswith=SCALE_PREFIX)
    applications = Application.objects.filter(requisition__in=requisitions)
    candidate_ids = list(
        Candidate.objects.filter(applications__in=applications)
        .exclude(applications__in=Application.objects.exclude(requisition__in=requisitions))
        .values_list("id", flat=True)
        .distinct()
    )
    contacts = Contact.objects.filter(
        models.Q(application__in=applications)
        | models.Q(candidate_id__in=candidate_ids)
        | models.Q(
            candidate__isnull=True,
            external_id__startswith=f"<{SCALE_EXTERNAL_ID_PREFIX}",
            from_header__endswith=f"@{UNKNOWN_SENDER_DOMAIN}>",
        )
    )
    # Contacts first: deleting applications first would set a million application_ids to NULL.
    _cascade_delete(contacts, deleted)
    _cascade_delete(applications, deleted)
    _cascade_delete(Candidate.objects.filter(id__in=candidate_ids), deleted)
    _cascade_delete(requisitions, deleted)
    if progress:
        progress("deleted " + ", ".join(f"{n:,} {label}" for label, n in deleted.items()))
    return deleted


def _requisitions(
    *, count: int, pipeline: Pipeline, managers, recruiters, rng, batch_size: int
) -> list[Requisition]:
    statuses = (
        (RequisitionStatus.OPEN, 85),
        (RequisitionStatus.ON_HOLD, 8),
        (RequisitionStatus.FILLED, 5),
        (RequisitionStatus.CANCELLED, 2),
    )
    objects = []
    for index in range(count):
        label, time_zone, country = REGIONS[index % len(REGIONS)]
        role = ROLES[(index // len(REGIONS)) % len(ROLES)]
        objects.append(
            Requisition(
                title=f"{SCALE_PREFIX}{index + 1:04d} {role}, {label}",
                pipeline=pipeline,
                hiring_manager=managers[index % len(managers)],
                time_zone=time_zone,
                country=country,
                status=_weighted(rng, statuses),
            )
        )
    created = Requisition.objects.bulk_create(objects, batch_size=batch_size)
    through = Requisition.recruiters.through
    links = []
    for index, requisition in enumerate(created):
        for offset in range(1 + (index % 3 == 0)):  # a third have two recruiters
            user = recruiters[(index + offset) % len(recruiters)]
            links.append(through(requisition_id=requisition.pk, user_id=user.pk))
    through.objects.bulk_create(links, batch_size=batch_size)
    return created


def seed_scale(
    *,
    now: datetime,
    requisitions: int = DEFAULT_REQUISITIONS,
    applications: int = DEFAULT_APPLICATIONS,
    contacts: int = DEFAULT_CONTACTS,
    seed: int = 1,
    batch_size: int = DEFAULT_BATCH_SIZE,
    force: bool = False,
    method: str = "copy",
    progress: Callable[[str], None] | None = None,
) -> ScaleReport:
    """Create the scale dataset in one transaction; ``force`` replaces an existing one."""
    if requisitions < 1 or applications < 0 or contacts < 0 or batch_size < 1:
        raise ValueError("Sizes must be positive (at least one requisition).")
    if method not in {"copy", "orm"}:
        raise ValueError("method is 'copy' or 'orm'")
    report = ScaleReport()
    phase = _Phases(report, progress)
    rng = random.Random(seed)
    with transaction.atomic():
        # One seed at a time: a second concurrent run waits here, then sees the data.
        sql.seed_lock()
        if scale_dataset_exists():
            if not force:
                raise ScaleDataExists(
                    "A scale dataset already exists (requisitions titled "
                    f"“{SCALE_PREFIX}…”): use --force to replace it."
                )
            with phase("delete previous") as box:
                deleted = scale_dataset_delete(progress)
                box["rows"] = sum(deleted.values())
            with phase("delete: FK checks"):
                sql.deferred_constraints_check()
            report.replaced = True
        with phase("users + pipeline") as box:
            managers, recruiters = _scale_users(report)
            pipeline = _scale_pipeline()
            stages = list(pipeline.stages.order_by("order"))
            box["rows"] = len(report.created_users)
        with phase("requisitions") as box:
            reqs = _requisitions(
                count=requisitions,
                pipeline=pipeline,
                managers=managers,
                recruiters=recruiters,
                rng=rng,
                batch_size=batch_size,
            )
            box["rows"] = len(reqs)
        with phase("plan (python)") as box:
            plans, candidates = _plan_applications(
                rng=rng, now=now, reqs=reqs, stages=stages, applications=applications
            )
            box["rows"] = len(plans)
        writer = _Writer(
            rng=rng,
            now=now,
            seed=seed,
            reqs=reqs,
            recruiters=recruiters,
            stages=stages,
            plans=plans,
            candidates=candidates,
            batch_size=batch_size,
            method=method,
            phase=phase,
        )
        writer.write(contacts)
        with phase("FK checks"):
            # The foreign keys are DEFERRABLE INITIALLY DEFERRED: checked here rather than at
            # the commit, so the time shows (and a broken reference fails the seed).
            sql.deferred_constraints_check()
        with phase("analyze") as box:
            sql.tables_analyze(
                (
                    Candidate,
                    CandidateEmail,
                    CandidatePhone,
                    Application,
                    StageTransition,
                    InterviewRound,
                    Scorecard,
                    SilenceTest,
                    SilenceDigest,
                    Contact,
                    ContactTag,
                    Promise,
                )
            )
        report.counts = writer.counts
        report.counts["requisitions"] = len(reqs)
    return report


def _plan_applications(*, rng, now, reqs, stages, applications):
    """Which candidate applies where, in which stage, with which history and silence test."""
    # Read once: silence_instants would read the company calendar per application.
    company = company_calendar()
    by_name = {stage.name: stage for stage in stages}
    main = [s for s in stages if s.kind not in {StageKind.REJECTED, StageKind.WITHDRAWN}]
    pick_stage = _Choice([(by_name[name], weight) for name, weight in STAGE_WEIGHTS.items()])
    # Some requisitions draw far more applicants than others.
    req_weights = [rng.lognormvariate(0, 0.6) for _ in reqs]
    req_of_app = rng.choices(range(len(reqs)), weights=req_weights, k=applications)
    # ~4 % of the applications are a second one from an existing candidate (another requisition).
    repeats = applications // 25 if len(reqs) > 1 else 0
    candidate_count = applications - repeats
    first_req = req_of_app[:candidate_count]
    pairs: list[tuple[int, int]] = [(i, first_req[i]) for i in range(candidate_count)]
    seen = set(pairs)
    for _ in range(repeats):
        for _attempt in range(20):
            candidate = rng.randrange(candidate_count)
            req = (first_req[candidate] + rng.randrange(1, len(reqs))) % len(reqs)
            if (candidate, req) not in seen:
                break
        else:  # everyone drawn already applied there: a new candidate instead
            candidate, req = len(first_req), rng.randrange(len(reqs))
            first_req.append(req)
        seen.add((candidate, req))
        pairs.append((candidate, req))
    plans: list[_Plan] = []
    for candidate, req in pairs:
        plan = _Plan(req, candidate, _path(rng, pick_stage(rng), main))
        _plan_timeline(plan, rng, now, reqs[req], company)
        _plan_test(plan, rng, now)
        plans.append(plan)
    candidates = [{"time_zone": reqs[req].time_zone} for req in first_req]
    for plan in plans:
        applied = candidates[plan.candidate].get("created_at")
        if applied is None or plan.applied_at < applied:
            candidates[plan.candidate]["created_at"] = plan.applied_at
    return plans, candidates


PICK_INBOUND = _Choice(INBOUND_CHANNELS)
PICK_FOLLOW_UP = _Choice(FOLLOW_UP_CHANNELS)
PICK_OUTBOUND = _Choice(OUTBOUND_CHANNELS)
PICK_TAG = _Choice(TAG_WEIGHTS)
PICK_SOURCE = _Choice(SOURCES)
PICK_EMAIL_SOURCE = _Choice(
    ((ContactSource.IMAP, 50), (ContactSource.PIPE, 20), (ContactSource.WEBHOOK, 30))
)


class _Writer:
    """Writes the planned dataset table by table (reserved ids, COPY)."""

    def __init__(
        self,
        *,
        rng,
        now,
        seed,
        reqs,
        recruiters,
        stages,
        plans,
        candidates,
        batch_size,
        method,
        phase,
    ):
        self.rng, self.now, self.seed = rng, now, seed
        self.reqs, self.recruiters, self.stages = reqs, recruiters, stages
        self.plans, self.candidates = plans, candidates
        self.batch_size, self.method, self.phase = batch_size, method, phase
        self.counts: dict[str, int] = {}
        self.req_recruiter = {}
        through = Requisition.recruiters.through
        for req_id, user_id in through.objects.filter(
            requisition__in=[r.pk for r in reqs]
        ).values_list("requisition_id", "user_id"):
            self.req_recruiter.setdefault(req_id, user_id)

    def _insert(self, name: str, model, fields, rows) -> None:
        with self.phase(name) as box:
            box["rows"] = bulk_insert(
                model,
                fields,
                rows,
                now=self.now,
                batch_size=self.batch_size,
                method=self.method,
            )
        self.counts[name] = box["rows"]

    def write(self, contacts: int) -> None:
        self._candidates()
        self._applications()
        self._interviews()
        self._silence_tests_plan_contacts(contacts)
        self._contacts(contacts)
        self._tags_and_promises()

    # Candidates, their addresses and numbers.
    def _candidates(self) -> None:
        rng, first_id = self.rng, reserve_ids(Candidate, len(self.candidates))
        rows = []
        for index, data in enumerate(self.candidates):
            pk = first_id + index
            data["id"] = pk
            first = FIRST_NAMES[index % len(FIRST_NAMES)]
            last = LAST_NAMES[(index // len(FIRST_NAMES) + index * 7) % len(LAST_NAMES)]
            data["name"] = f"{first} {last}"
            address = f"{first}.{last}.{index}@{EMAIL_DOMAINS[index % len(EMAIL_DOMAINS)]}"
            data["emails"] = [address.lower()]
            if rng.random() < 0.35:
                data["emails"].append(f"{first[0]}{last}{index}@work{index % 97}.example".lower())
            area = PHONE_AREAS[(index // 10_000) % len(PHONE_AREAS)]
            data["phone"] = f"+1{area}555{index % 10_000:04d}"
            rows.append(
                (
                    pk,
                    first,
                    last,
                    data["time_zone"],
                    f"https://www.linkedin.com/in/{first}-{last}-{index}".lower(),
                    data["created_at"],
                )
            )
        fields = ("id", "first_name", "last_name", "time_zone", "linkedin_url", "created_at")
        self._insert("candidates", Candidate, fields, rows)
        first_email = reserve_ids(
            CandidateEmail, sum(len(data["emails"]) for data in self.candidates)
        )
        email_rows = []
        position = 0
        for data in self.candidates:
            for n, address in enumerate(data["emails"]):
                email_rows.append((first_email + position, data["id"], address, n == 0))
                position += 1
        self._insert(
            "candidate emails",
            CandidateEmail,
            ("id", "candidate_id", "address", "is_primary"),
            email_rows,
        )
        first_phone = reserve_ids(CandidatePhone, len(self.candidates))
        self._insert(
            "candidate phones",
            CandidatePhone,
            ("id", "candidate_id", "number", "label"),
            (
                (first_phone + i, data["id"], data["phone"], "mobile")
                for i, data in enumerate(self.candidates)
            ),
        )

    def _actor(self, plan: _Plan, stage: Stage) -> int | None:
        requisition = self.reqs[plan.requisition]
        if stage.kind in {StageKind.OFFER, StageKind.HIRED}:
            return requisition.hiring_manager_id
        return self.req_recruiter.get(requisition.pk)

    def _applications(self) -> None:
        rng, plans = self.rng, self.plans
        first_id = reserve_ids(Application, len(plans))
        rows = []
        for index, plan in enumerate(plans):
            plan.app_id = first_id + index
            rows.append(
                (
                    plan.app_id,
                    self.candidates[plan.candidate]["id"],
                    self.reqs[plan.requisition].pk,
                    plan.path[-1].pk,
                    plan.entries[-1],
                    PICK_SOURCE(rng),
                    plan.applied_at,
                    plan.entries[-1],
                )
            )
        fields = (
            "id",
            "candidate_id",
            "requisition_id",
            "stage_id",
            "stage_entered_at",
            "source",
            "created_at",
            "updated_at",
        )
        self._insert("applications", Application, fields, rows)

        def transitions():
            for plan in plans:
                previous = None
                for stage, at in zip(plan.path, plan.entries, strict=True):
                    if previous is None:
                        actor, reason = self._actor(plan, stage), "Application created"
                    elif stage.kind == StageKind.REJECTED and plan.outcome == "silent":
                        actor, reason = None, "Silent after the silence-test deadline."
                    else:
                        actor, reason = self._actor(plan, stage), ""
                    yield (
                        plan.app_id,
                        previous.pk if previous else None,
                        stage.pk,
                        actor,
                        reason,
                        at,
                    )
                    previous = stage

        total = sum(len(plan.path) for plan in plans)
        first_transition = reserve_ids(StageTransition, total)
        self._insert(
            "stage transitions",
            StageTransition,
            ("id", "application_id", "from_stage_id", "to_stage_id", "actor_id", "reason", "at"),
            ((first_transition + i, *row) for i, row in enumerate(transitions())),
        )

    def _interviews(self) -> None:
        """A round per interview stage reached; a scorecard once it has taken place."""
        rng, now = self.rng, self.now
        interview_kinds = {StageKind.INTERVIEW, StageKind.FINAL}
        rounds, cards = [], []
        for plan in self.plans:
            manager = self.reqs[plan.requisition].hiring_manager_id
            sequence = 0
            for stage, at in zip(plan.path, plan.entries, strict=True):
                if stage.kind not in interview_kinds:
                    continue
                sequence += 1
                scheduled = at + timedelta(hours=rng.uniform(20, 72))
                rounds.append((plan.app_id, sequence, stage.name, stage.pk, scheduled, manager))
                if scheduled + timedelta(hours=2) < now:
                    tenacity = rng.randint(2, 5)
                    cards.append(
                        (
                            len(rounds) - 1,
                            manager,
                            tenacity,
                            rng.randint(2, 5),
                            max(1, tenacity - rng.randint(0, 1)),
                            rng.randint(2, 5),
                            rng.randint(1, 5),
                            Recommendation.YES if tenacity >= 3 else Recommendation.NO,
                            scheduled + timedelta(hours=2),
                        )
                    )
        first_round = reserve_ids(InterviewRound, len(rounds))
        self._insert(
            "interview rounds",
            InterviewRound,
            ("id", "application_id", "sequence", "title", "stage_id", "scheduled_at", "created_at"),
            (
                (first_round + i, app, seq, title, stage, scheduled, scheduled - timedelta(days=1))
                for i, (app, seq, title, stage, scheduled, _m) in enumerate(rounds)
            ),
        )
        through = InterviewRound.interviewers.through
        first_link = reserve_ids(through, len(rounds))
        self._insert(
            "round interviewers",
            through,
            ("id", "interviewround_id", "user_id"),
            ((first_link + i, first_round + i, row[5]) for i, row in enumerate(rounds)),
        )
        first_card = reserve_ids(Scorecard, len(cards))
        fields = (
            "id",
            "round_id",
            "interviewer_id",
            "tenacity",
            "trust",
            "follow_up",
            "coachability",
            "closing",
            "recommendation",
            "submitted_at",
        )
        self._insert(
            "scorecards",
            Scorecard,
            fields,
            ((first_card + i, first_round + row[0], *row[1:]) for i, row in enumerate(cards)),
        )

    def _silence_tests_plan_contacts(self, contacts: int) -> None:
        """Digests and silence tests; decide how many contacts each application gets."""
        rng = self.rng
        tested = [plan for plan in self.plans if plan.silence_index is not None]
        # Contacts: how many per application (heavy tail), after what the stories require.
        unmatched = contacts // 300 if self.plans else contacts
        budget = contacts - unmatched
        required = sum(plan.required_contacts for plan in self.plans)
        for plan in reversed(self.plans):
            while required > budget and plan.required_contacts:
                plan.downgrade()
                required -= 1
        weights = []
        for plan in self.plans:
            weight = rng.lognormvariate(0, 1.3)
            if plan.silence_index is not None:
                weight *= 4
            elif plan.path[-1].kind in {StageKind.REJECTED, StageKind.WITHDRAWN}:
                weight *= 0.5
            weights.append(weight)
        shares = allocate(budget - required, weights)
        for plan, share in zip(self.plans, shares, strict=True):
            plan.contacts = plan.required_contacts + share
        self.unmatched = unmatched
        self.contact_first_id = reserve_ids(Contact, contacts)
        # Pre-assign the ids of the contacts the tests point at (the first of each plan's
        # contacts is the follow-up, the next the contaminating one).
        next_id = self.contact_first_id
        for plan in self.plans:
            if plan.has_follow_up:
                plan.follow_up_contact = next_id
            if plan.contaminated:
                plan.contaminated_contact = next_id + int(plan.has_follow_up)
            next_id += plan.contacts
        with self.phase("silence digests") as box:
            closed = {}
            for plan in tested:
                if plan.state == SilenceTestState.CLOSED:
                    closed.setdefault((plan.requisition, plan.closes_at), []).append(plan)
            digests = []
            for req_index, closes in closed:
                requisition = self.reqs[req_index]
                digests.append(
                    SilenceDigest(
                        requisition=requisition,
                        window_closes_at=closes,
                        queued_at=closes,
                        sent_at=closes + timedelta(minutes=rng.randint(1, 10)),
                        recipient=requisition.hiring_manager.email,
                    )
                )
            created = SilenceDigest.objects.bulk_create(digests, batch_size=self.batch_size)
            for digest, key in zip(created, closed, strict=True):
                for plan in closed[key]:
                    plan.digest_id = digest.pk
            box["rows"] = len(created)
        self.counts["silence digests"] = len(created)
        first_test = reserve_ids(SilenceTest, len(tested))

        def rows():
            for i, plan in enumerate(tested):
                plan.test_id = first_test + i
                requisition = self.reqs[plan.requisition]
                closed_state = plan.state == SilenceTestState.CLOSED
                contaminated_at = None
                if plan.contaminated:
                    contaminated_at = self._contamination_time(plan)
                yield (
                    plan.test_id,
                    plan.app_id,
                    plan.path[plan.silence_index].pk,
                    plan.announced_at,
                    requisition.hiring_manager_id,
                    self.req_recruiter.get(requisition.pk),
                    requisition.time_zone,
                    plan.deadline_at,
                    plan.closes_at,
                    plan.state,
                    plan.deadline_at if plan.state != SilenceTestState.WAITING else None,
                    plan.closes_at if closed_state else None,
                    plan.outcome,
                    contaminated_at,
                    plan.contaminated_contact or None,
                    plan.digest_id or None,
                    plan.announced_at,
                    plan.closes_at if closed_state else plan.announced_at,
                )

        self._insert(
            "silence tests",
            SilenceTest,
            (
                "id",
                "application_id",
                "stage_id",
                "announced_at",
                "announced_by_id",
                "recorded_by_id",
                "time_zone",
                "deadline_at",
                "window_closes_at",
                "state",
                "observing_since",
                "closed_at",
                "outcome",
                "contaminated_at",
                "contaminated_by_id",
                "digest_id",
                "created_at",
                "updated_at",
            ),
            rows(),
        )

    def _window_end(self, plan: _Plan) -> datetime:
        return min(plan.closes_at, self.now)

    def _contamination_time(self, plan: _Plan) -> datetime:
        # Deterministic from the plan (used twice: the test row and the contact row).
        span = self._window_end(plan) - plan.deadline_at
        return plan.deadline_at + span * ((plan.app_id * 7919) % 1000 + 1) / 1002

    # Contacts -----------------------------------------------------------------------------------

    CONTACT_FIELDS = (
        "id",
        "candidate_id",
        "application_id",
        "channel",
        "direction",
        "occurred_at",
        "source",
        "logged_by_id",
        "summary",
        "external_id",
        "is_prompted",
        "is_automated",
        "automated_reason",
        "match_status",
        "match_note",
        "subject",
        "body_text",
        "from_header",
        "duration_seconds",
        "phone_number",
        "created_at",
    )

    def _contact_row(
        self,
        pk: int,
        *,
        candidate: dict | None,
        app_id: int | None,
        channel: str,
        direction: str,
        at: datetime,
        summary: str,
        logged_by: int | None,
        prompted: bool = False,
        automated: bool = False,
    ) -> tuple:
        rng = self.rng
        external_id, source = "", ContactSource.MANUAL
        subject = body = from_header = phone = ""
        duration = None
        automated_reason = ""
        inbound = direction == Direction.INBOUND
        if channel == Channel.EMAIL:
            external_id = f"<{SCALE_EXTERNAL_ID_PREFIX}{self.seed}-{pk}@mail.example>"
            if inbound:
                source = PICK_EMAIL_SOURCE(rng)
                address = (
                    candidate["emails"][-1] if candidate else f"someone{pk}@{UNKNOWN_SENDER_DOMAIN}"
                )
                name = candidate["name"] if candidate else "Unknown sender"
                from_header = f"{name} <{address}>"
            subject = "Automatic reply: Out of office" if automated else f"Re: {summary[:60]}"
            body = summary
            if automated:
                automated_reason = "Auto-Submitted: auto-replied"
        elif channel in {Channel.PHONE, Channel.VOICEMAIL, Channel.SMS}:
            prefix = "sms" if channel == Channel.SMS else "call"
            external_id = f"{SCALE_EXTERNAL_ID_PREFIX}{prefix}-{self.seed}-{pk}"
            source = ContactSource.CSV if rng.random() < 0.6 else ContactSource.WEBHOOK
            phone = candidate["phone"] if candidate else f"+1202555{pk % 10_000:04d}"
            if channel != Channel.SMS:
                duration = rng.randint(20, 1500)
        if not inbound:
            source = ContactSource.MANUAL
        matched = candidate is not None
        return (
            pk,
            candidate["id"] if matched else None,
            app_id,
            channel,
            direction,
            at,
            source,
            logged_by if source == ContactSource.MANUAL else None,
            summary,
            external_id,
            prompted,
            automated,
            automated_reason,
            MatchStatus.MATCHED if matched else MatchStatus.UNMATCHED,
            "" if matched else "No candidate has this address.",
            subject,
            body,
            from_header,
            duration,
            phone,
            at + timedelta(seconds=rng.randint(5, 900)),
        )

    def _plan_contact_rows(self, plan: _Plan, pk: int) -> Iterator[tuple]:
        rng, now = self.rng, self.now
        candidate = self.candidates[plan.candidate]
        recruiter = self.req_recruiter.get(self.reqs[plan.requisition].pk)
        row = self._contact_row
        made = 0
        if plan.has_follow_up:
            # The follow-up that makes the test "reached out": soon after the deadline, mostly.
            span = self._window_end(plan) - plan.deadline_at
            at = plan.deadline_at + span * (0.002 + 0.99 * rng.random() ** 2)
            yield row(
                pk,
                candidate=candidate,
                app_id=plan.app_id,
                channel=PICK_FOLLOW_UP(rng),
                direction=Direction.INBOUND,
                at=at,
                summary=rng.choice(FOLLOW_UP_SUMMARIES),
                logged_by=recruiter,
            )
            made += 1
        if plan.contaminated:
            yield row(
                pk + made,
                candidate=candidate,
                app_id=plan.app_id,
                channel=Channel.PHONE,
                direction=Direction.OUTBOUND,
                at=self._contamination_time(plan),
                summary="Manager called to ask whether the candidate was still interested.",
                logged_by=self.reqs[plan.requisition].hiring_manager_id,
            )
            made += 1
        life_start = plan.applied_at
        life_end = min(now, plan.entries[-1] + timedelta(days=10))
        for offset in range(made, plan.contacts):
            if plan.deadline_at is not None and now > plan.deadline_at and rng.random() < 0.6:
                # After the deadline: in the window, or after it for a closed test.
                end = (
                    min(now, plan.closes_at + timedelta(days=7))
                    if plan.state == (SilenceTestState.CLOSED)
                    else now
                )
                at = plan.deadline_at + (end - plan.deadline_at) * (0.001 + 0.998 * rng.random())
            elif plan.deadline_at is not None:
                at = life_start + (min(plan.deadline_at, now) - life_start) * rng.random()
            else:
                at = life_start + (max(life_end, life_start) - life_start) * rng.random()
            roll = rng.random()
            prompted = automated = False
            if roll < 0.15:
                direction, channel = Direction.OUTBOUND, PICK_OUTBOUND(rng)
                summary = rng.choice(OUTBOUND_SUMMARIES)
                if plan.deadline_at is not None and plan.deadline_at <= at <= plan.closes_at:
                    # The team stays silent while observing (only contaminated tests break it):
                    # this one went out before the candidate was told.
                    at = plan.announced_at - (at - plan.deadline_at) / 4
            else:
                direction = Direction.INBOUND
                channel = PICK_INBOUND(rng)
                summary = rng.choice(OTHER_SUMMARIES)
                if roll < 0.20 and channel == Channel.EMAIL:
                    automated, summary = True, "Out of office until Monday."
                elif roll < 0.32:
                    prompted = True
                # A test without a follow-up keeps none: what lands in its window answered the
                # team (prompted).
                if (
                    not plan.has_follow_up
                    and plan.deadline_at is not None
                    and plan.deadline_at <= at <= plan.closes_at
                    and not automated
                ):
                    prompted = True
            yield row(
                pk + offset,
                candidate=candidate,
                app_id=plan.app_id,
                channel=channel,
                direction=direction,
                at=at,
                summary=summary,
                logged_by=recruiter,
                prompted=prompted,
                automated=automated,
            )

    def _contacts(self, contacts: int) -> None:
        rng, now = self.rng, self.now
        self.tag_candidates: list[tuple[int, str]] = []
        self.follow_ups: list[tuple[_Plan, int, datetime]] = []

        def rows():
            pk = self.contact_first_id
            for plan in self.plans:
                for contact in self._plan_contact_rows(plan, pk):
                    # (direction, prompted, automated) → a persistence signal: maybe tagged.
                    if (
                        contact[4] == Direction.INBOUND
                        and not contact[10]
                        and not contact[11]
                        and rng.random() < 0.04
                    ):
                        self.tag_candidates.append((contact[0], PICK_TAG(rng)))
                    if contact[0] == plan.follow_up_contact:
                        self.follow_ups.append((plan, contact[0], contact[5]))
                    yield contact
                pk += plan.contacts
            for index in range(self.unmatched):
                yield self._contact_row(
                    pk + index,
                    candidate=None,
                    app_id=None,
                    channel=Channel.EMAIL,
                    direction=Direction.INBOUND,
                    at=now - timedelta(hours=rng.uniform(1, 24 * 30)),
                    summary="Following up on my application",
                    logged_by=None,
                )

        self._insert("contacts", Contact, self.CONTACT_FIELDS, rows())
        if self.counts["contacts"] != contacts:  # pragma: no cover - a planning bug
            raise AssertionError(f"planned {contacts} contacts, wrote {self.counts['contacts']}")

    def _tags_and_promises(self) -> None:
        rng, now = self.rng, self.now
        recruiter = self.recruiters[0].pk
        first_tag = reserve_ids(ContactTag, len(self.tag_candidates))
        self._insert(
            "contact tags",
            ContactTag,
            ("id", "contact_id", "tag", "added_by_id", "created_at"),
            (
                (first_tag + i, contact_id, tag, recruiter, now)
                for i, (contact_id, tag) in enumerate(self.tag_candidates)
            ),
        )
        promises = []
        for plan, contact_id, at in self.follow_ups:
            if rng.random() >= 0.08:
                continue
            due = at + timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 8))
            if due < now:
                status = _weighted(
                    rng,
                    (
                        (PromiseStatus.KEPT, 60),
                        (PromiseStatus.BROKEN, 30),
                        (PromiseStatus.CANCELLED, 10),
                    ),
                )
                resolved = min(now, due + timedelta(hours=rng.uniform(0, 24)))
            else:
                status, resolved = PromiseStatus.OPEN, None
            promises.append(
                (plan.app_id, contact_id, rng.choice(PROMISE_TEXTS), "", due, status, resolved, at)
            )
        first_promise = reserve_ids(Promise, len(promises))
        self._insert(
            "promises",
            Promise,
            (
                "id",
                "application_id",
                "made_in_id",
                "description",
                "channel",
                "due_at",
                "status",
                "resolved_at",
                "created_at",
            ),
            ((first_promise + i, *row) for i, row in enumerate(promises)),
        )
