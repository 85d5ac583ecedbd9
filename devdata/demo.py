"""Deterministic, idempotent demo data for ``manage.py seed_demo``."""

import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import F

from accounts.roles import ADMINS, HIRING_MANAGERS, RECRUITERS
from candidates import services as candidate_services
from candidates.models import (
    Application,
    CandidateEmail,
    InterviewRound,
    Recommendation,
    Scorecard,
)
from decisions.models import EmailTemplate, SendDelayKind, TemplateKind
from decisions.services import email_template_save, scheduled_email_create
from devdata.evidence_demo import seed_evidence
from followups.models import Channel, Contact, ContactTag, Direction, QualityTag
from hiring import services as hiring_services
from hiring.models import Pipeline, Requisition, SilenceTest, Stage, StageKind
from scoring.scores import scores_recompute
from silence import services as silence_services
from twofactor.services import second_factor_reset

User = get_user_model()

PIPELINE_NAME = "Sales (silence test)"
PIPELINE_STAGES = (
    ("Applied", StageKind.APPLIED, 5),
    ("Phone screen", StageKind.SCREEN, 5),
    ("Interview 1", StageKind.INTERVIEW, 7),
    ("Interview 2", StageKind.INTERVIEW, 7),
    ("Silence test", StageKind.SILENCE_TEST, None),
    ("Final", StageKind.FINAL, 7),
    ("Offer", StageKind.OFFER, 5),
    ("Hired", StageKind.HIRED, None),
    ("Rejected", StageKind.REJECTED, None),
    ("Withdrawn", StageKind.WITHDRAWN, None),
)

# (username, first, last, role, time zone)
DEMO_USERS = (
    ("admin", "Alex", "Admin", ADMINS, "UTC"),
    ("manager", "Morgan", "Reyes", HIRING_MANAGERS, "America/New_York"),
    ("recruiter", "Riley", "Chen", RECRUITERS, "Europe/Berlin"),
    ("manager2", "Sam", "Okafor", HIRING_MANAGERS, "Australia/Sydney"),
)

# (title, time zone, country, manager username, recruiter usernames, phone prefix for demo numbers)
DEMO_REQUISITIONS = (
    ("Account Executive, Mid-Market East", "America/New_York", "US", "manager", ("recruiter",)),
    ("Sales Development Rep, DACH", "Europe/Berlin", "DE", "manager", ("recruiter",)),
    ("Enterprise Account Executive, ANZ", "Australia/Sydney", "AU", "manager2", ("recruiter",)),
)

# Valid national-format demo numbers per country: the country's default region parses them.
PHONE_FORMATS = {"US": "(212) 555-{:04d}", "DE": "030 1234{:04d}", "AU": "02 9876 {:04d}"}

FIRST_NAMES = [
    "Avery",
    "Jordan",
    "Taylor",
    "Casey",
    "Quinn",
    "Harper",
    "Rowan",
    "Emerson",
    "Finley",
    "Reese",
    "Skyler",
    "Dakota",
    "Hayden",
    "Parker",
    "Sawyer",
    "Logan",
    "Elliot",
    "Blake",
    "Cameron",
    "Drew",
    "Jamie",
    "Kendall",
    "Marley",
    "Peyton",
]
LAST_NAMES = [
    "Nguyen",
    "Schmidt",
    "Patel",
    "Garcia",
    "Müller",
    "Kowalski",
    "Okoye",
    "Larsen",
    "Rossi",
    "Tanaka",
    "Fischer",
    "Murphy",
    "Silva",
    "Novak",
    "Haddad",
    "Brennan",
    "Weber",
    "Ivanova",
    "Dubois",
    "Moreau",
    "Lindqvist",
    "Costa",
    "Yamada",
    "Walsh",
]
CANDIDATES_PER_REQUISITION = 16
# Where the 16 candidates of each requisition sit (stage names, repeated as needed).
STAGE_SPREAD = (
    *["Applied"] * 3,
    *["Phone screen"] * 2,
    *["Interview 1"] * 2,
    "Interview 2",
    # One silence test per story below (waiting, reached out, silent, observing).
    *["Silence test"] * 4,
    "Final",
    "Offer",
    "Rejected",
    "Withdrawn",
)
TERMINAL_REASONS = {
    "Rejected": "Not enough closing experience for the segment.",
    "Withdrawn": "Accepted another offer.",
    "Hired": "Offer accepted.",
    "Offer": "Strong interviews; silence test: reached out Monday morning with a plan.",
}


@dataclass
class SeedReport:
    created_users: dict[str, str] = field(default_factory=dict)  # username -> password
    existing_users: list[str] = field(default_factory=list)
    requisitions: int = 0
    candidates: int = 0
    applications_created: int = 0


def _users(*, password: str | None, reset_passwords: bool, report: SeedReport) -> dict:
    users = {}
    for username, first, last, role, time_zone in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@persist.example",
                "is_staff": role == ADMINS,
                "is_superuser": role == ADMINS,
            },
        )
        # get_or_create: the role groups come from a migration, but a seed must not depend on
        # a database that lost them (a flushed test database).
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        hiring_services.user_time_zone_set(user=user, time_zone=time_zone)
        if created or reset_passwords:
            chosen = password or secrets.token_urlsafe(12)
            user.set_password(chosen)
            user.save(update_fields=["password"])
            if not created:
                # A fresh start for a demo someone is locked out of: the admin sets up an
                # authenticator app again at the next sign-in.
                second_factor_reset(user=user, actor=None)
            report.created_users[username] = chosen
        else:
            report.existing_users.append(username)
        users[username] = user
    return users


def _pipeline() -> Pipeline:
    existing = Pipeline.objects.filter(name=PIPELINE_NAME).first()
    return existing or hiring_services.pipeline_create(name=PIPELINE_NAME, stages=PIPELINE_STAGES)


#: The demo's candidate emails after a decision: (kind, subject, body).
DEMO_EMAIL_TEMPLATES = (
    (
        TemplateKind.REJECTION_SILENT,
        "Your application for {requisition_title}",
        "Dear {first_name},\n\nthank you for the time you gave us for the {requisition_title} "
        "role. We have decided not to take your application further.\n\nWe wish you every "
        "success.\n\n{hiring_manager_name}\n{company}",
    ),
    (
        TemplateKind.REJECTION_INTERVIEWS,
        "Your interviews for {requisition_title}",
        "Dear {first_name},\n\nthank you for meeting the team. After the interviews we have "
        "decided to go ahead with other candidates for {requisition_title}.\n\nKind regards,"
        "\n{hiring_manager_name}\n{company}",
    ),
    (
        TemplateKind.WITHDRAWAL,
        "Your withdrawal from {requisition_title}",
        "Dear {first_name},\n\nthank you for letting us know. We have withdrawn your "
        "application for {requisition_title}; you are welcome to apply again.\n\n"
        "{hiring_manager_first_name}\n{company}",
    ),
)


def _email_templates(pipeline: Pipeline) -> None:
    existing = set(pipeline.email_templates.values_list("kind", flat=True))
    for kind, subject, body in DEMO_EMAIL_TEMPLATES:
        if kind not in existing:
            email_template_save(
                template=EmailTemplate(
                    pipeline=pipeline,
                    kind=kind,
                    company="Northwind Sales",
                    subject=subject,
                    body=body,
                    send_delay=SendDelayKind.NEXT_BUSINESS_MORNING,
                )
            )


def _requisitions(pipeline: Pipeline, users: dict) -> list[Requisition]:
    requisitions = []
    for title, time_zone, country, manager, recruiters in DEMO_REQUISITIONS:
        requisition = Requisition.objects.filter(title=title).first()
        if requisition is None:
            requisition = hiring_services.requisition_create(
                title=title,
                pipeline=pipeline,
                hiring_manager=users[manager],
                recruiters=[users[name] for name in recruiters],
                time_zone=time_zone,
                country=country,
            )
        requisitions.append(requisition)
    return requisitions


#: Demo silence tests, by how long ago the candidate was told (days): still waiting; reached out
#: with a follow-up call; stayed silent.
#: (announced how many days ago, what the candidate did, its summary). A requisition's first
#: three silence-test candidates take three consecutive stories from the requisition's position,
#: so the demo shows every outcome: waiting, reached out, silent, contacted before the deadline
#: only, withdrew.
SILENCE_STORIES = (
    (0.5, None, ""),
    (16, "follow_up", "Called the morning after the deadline with a 30-60-90 day plan."),
    (16, None, ""),
    (16, "early", "Called a minute before the deadline: any news?"),
    (16, "opt_out", "Thank you — I have accepted another offer and withdraw my application."),
)


#: The fourth silence-test candidate of every requisition: announced just so long ago that the
#: deadline has passed and the window is still open now, so the demo shows a test in *observing*
#: and its "Don't chase" warning without waiting for the clock.
OBSERVING = "observing"
FIRST_SILENCE_SLOT = STAGE_SPREAD.index("Silence test")


def _observing_announcement(*, application, now) -> datetime:
    """The most recent announcement (in whole days back) whose deadline has passed with its
    observation window still open at ``now``: holidays and weekends move both, so look."""
    requisition = application.requisition
    for days in range(1, 22):
        announced_at = now - timedelta(days=days)
        deadline, closes = hiring_services.silence_instants(
            announced_at=announced_at,
            stage=application.stage,
            time_zone=requisition.time_zone,
            country=requisition.country,
            subdivision=requisition.subdivision,
        )
        if deadline < now - timedelta(hours=1) and closes > now + timedelta(hours=12):
            return announced_at
    return now - timedelta(days=0.5)  # no such day (an odd stage schedule): a waiting test


def _seed_silence_test(*, application, story: int | str, manager, now) -> None:
    if application.silence_tests.exists():
        return
    if story is OBSERVING:
        days_ago, kind, summary = OBSERVING, None, ""
        announced_at = _observing_announcement(application=application, now=now)
    else:
        days_ago, kind, summary = SILENCE_STORIES[story % len(SILENCE_STORIES)]
        announced_at = now - timedelta(days=days_ago)
    requisition = application.requisition
    # The story needs the candidate in the stage before they were told: shift the whole history
    # back so it stays in order.
    shift = application.stage_entered_at - (announced_at - timedelta(hours=2))
    if shift > timedelta(0):
        Application.objects.filter(pk=application.pk).update(
            stage_entered_at=F("stage_entered_at") - shift
        )
        application.transitions.update(at=F("at") - shift)
        InterviewRound.objects.filter(application=application).update(
            scheduled_at=F("scheduled_at") - shift
        )
        Scorecard.objects.filter(round__application=application).update(
            submitted_at=F("submitted_at") - shift
        )
    deadline, closes = hiring_services.silence_instants(
        announced_at=announced_at,
        stage=application.stage,
        time_zone=requisition.time_zone,
        country=requisition.country,
        subdivision=requisition.subdivision,
    )
    SilenceTest.objects.create(
        application=application,
        stage=application.stage,
        announced_at=announced_at,
        announced_by=manager,
        recorded_by=manager,
        time_zone=requisition.time_zone,
        deadline_at=deadline,
        window_closes_at=closes,
    )
    channel, at = {
        "follow_up": (Channel.PHONE, deadline + timedelta(hours=16)),
        "early": (Channel.PHONE, deadline - timedelta(minutes=1)),
        "opt_out": (Channel.EMAIL, deadline + timedelta(days=2, hours=3)),
    }.get(kind, (None, None))
    if channel and at < now:
        contact = Contact.objects.create(
            candidate=application.candidate,
            application=application,
            channel=channel,
            direction=Direction.INBOUND,
            occurred_at=at,
            summary=summary,
            logged_by=requisition.recruiters.first(),
        )
        if kind == "opt_out":
            ContactTag.objects.create(contact=contact, tag=QualityTag.OPT_OUT)


def _seed_application(
    *,
    requisition,
    req_index: int,
    index: int,
    target: Stage,
    stages: list[Stage],
    users,
    rng,
    now,
    report,
) -> None:
    # Everything derives from positions, not database ids, so every run builds the same people.
    first = FIRST_NAMES[(index * 7 + req_index) % len(FIRST_NAMES)]
    last = LAST_NAMES[(index * 5 + req_index * 3) % len(LAST_NAMES)]
    slug = f"{first}.{last}".lower().replace("ü", "ue")
    address = f"{slug}.{req_index}{index:02d}@candidates.example"
    email = CandidateEmail.objects.filter(address=address).select_related("candidate").first()
    if email is None:
        candidate = candidate_services.candidate_create(
            first_name=first,
            last_name=last,
            emails=[address],
            phones=[PHONE_FORMATS[requisition.country].format(req_index * 100 + index)],
            phone_region=requisition.country,
            time_zone=requisition.time_zone,
        )
        report.candidates += 1
    else:
        candidate = email.candidate
    if Application.objects.filter(candidate=candidate, requisition=requisition).exists():
        return
    recruiter = requisition.recruiters.first()
    manager = requisition.hiring_manager
    path = [s for s in stages if s.kind not in {StageKind.REJECTED, StageKind.WITHDRAWN}]
    if target.kind in {StageKind.REJECTED, StageKind.WITHDRAWN}:
        steps = [*path[: rng.randint(2, 4)], target]
    else:
        steps = path[: path.index(target) + 1]
    at = now - timedelta(days=3 * len(steps) + rng.randint(1, 6), hours=rng.randint(0, 9))
    application = candidate_services.application_create(
        candidate=candidate,
        requisition=requisition,
        actor=recruiter,
        stage=steps[0],
        source=rng.choice(["Referral", "LinkedIn", "Careers page", "Job board"]),
        at=at,
    )
    report.applications_created += 1
    for stage in steps[1:]:
        at += timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 6))
        at = min(at, now - timedelta(hours=1))
        if stage.kind == StageKind.INTERVIEW:
            interview_round = candidate_services.interview_round_create(
                application=application,
                title=stage.name,
                scheduled_at=at,
                interviewers=[manager],
            )
            score = rng.randint(2, 5)
            candidate_services.scorecard_submit(
                interview_round=interview_round,
                interviewer=manager,
                ratings={
                    "tenacity": score,
                    "trust": rng.randint(3, 5),
                    "follow_up": max(1, score - rng.randint(0, 1)),
                    "coachability": rng.randint(2, 5),
                    "closing": rng.randint(2, 5),
                },
                recommendation=Recommendation.YES if score >= 3 else Recommendation.NO,
                notes=rng.choice(
                    [
                        "Strong discovery questions; asked about our ICP unprompted.",
                        "Good energy, needs coaching on qualification.",
                        "Clear story about a lost deal and what they changed afterwards.",
                        "Talked more than listened; closing attempt felt scripted.",
                    ]
                ),
                at=at + timedelta(hours=2),
            )
        actor = manager if stage.kind in {StageKind.OFFER, StageKind.HIRED} else recruiter
        candidate_services.application_move(
            application=application,
            to_stage=stage,
            actor=actor,
            reason=TERMINAL_REASONS.get(stage.name, ""),
            at=at,
        )
    if target.kind == StageKind.SILENCE_TEST:
        slot = index % len(STAGE_SPREAD) - FIRST_SILENCE_SLOT
        _seed_silence_test(
            application=application,
            story=OBSERVING if slot == 3 else slot + req_index,
            manager=manager,
            now=now,
        )


@transaction.atomic
def seed_demo(
    *, now: datetime, password: str | None = None, reset_passwords: bool = False
) -> SeedReport:
    """Create the demo pipeline, users, requisitions and candidates; safe to run repeatedly."""
    report = SeedReport()
    users = _users(password=password, reset_passwords=reset_passwords, report=report)
    pipeline = _pipeline()
    _email_templates(pipeline)
    stages = list(pipeline.stages.order_by("order"))
    by_name = {stage.name: stage for stage in stages}
    requisitions = _requisitions(pipeline, users)
    report.requisitions = len(requisitions)
    for req_index, requisition in enumerate(requisitions):
        rng = random.Random(f"persist-demo-{requisition.title}")
        for index in range(CANDIDATES_PER_REQUISITION):
            _seed_application(
                requisition=requisition,
                req_index=req_index,
                index=index,
                target=by_name[STAGE_SPREAD[index % len(STAGE_SPREAD)]],
                stages=stages,
                users=users,
                rng=rng,
                now=now,
                report=report,
            )
    # A rejection email waiting in its cancel window, on the first rejected candidate of each
    # requisition (the timeline's "Emails after decisions"; the cluster sends it when due).
    for requisition in requisitions:
        rejected = (
            Application.objects.filter(requisition=requisition, stage__kind=StageKind.REJECTED)
            .select_related("candidate", "stage", "requisition__hiring_manager")
            .order_by("stage_entered_at", "pk")  # the board's first card in Rejected
            .first()
        )
        if rejected is not None and not rejected.scheduled_emails.exists():
            scheduled_email_create(
                application=rejected,
                kind=TemplateKind.REJECTION_INTERVIEWS,
                actor=requisition.hiring_manager,
                now=now,
            )
    # evidence (issue #16): a history of hires with outcomes, and self-identification.
    seed_evidence(requisitions=requisitions, pipeline=pipeline, now=now)
    # Bring the demo's silence tests to where the clock says they are, as the sweeper would,
    # and give every application its score.
    silence_services.silence_tests_sweep(now=now)
    scores_recompute(
        application_ids=Application.objects.filter(requisition__in=requisitions).values_list(
            "pk", flat=True
        ),
        now=now,
    )
    return report
