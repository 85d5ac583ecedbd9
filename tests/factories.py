"""All test factories in one module. Traits name the situations tests talk about."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.roles import ADMINS, HIRING_MANAGERS, RECRUITERS
from candidates.freshness import mark_scores_stale
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
from decisions.models import EmailTemplate, SendDelayKind, TemplateKind
from followups.models import Channel, Contact, ContactSource, Direction
from hiring.models import Pipeline, Requisition, SilenceTest, SilenceTestState, Stage, StageKind

User = get_user_model()

DEFAULT_STAGES = (
    ("Applied", StageKind.APPLIED, 7),
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


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@team.example")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=extracted))

    class Params:
        admin = factory.Trait(
            is_staff=True, roles=factory.PostGeneration(lambda u, c, e: _add_role(u, ADMINS))
        )
        hiring_manager = factory.Trait(
            roles=factory.PostGeneration(lambda u, c, e: _add_role(u, HIRING_MANAGERS))
        )
        recruiter = factory.Trait(
            roles=factory.PostGeneration(lambda u, c, e: _add_role(u, RECRUITERS))
        )


def _add_role(user, name):
    # get_or_create: transactional tests flush the groups the data migration created.
    user.groups.add(Group.objects.get_or_create(name=name)[0])


class PipelineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pipeline
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Sales pipeline {n}")

    @factory.post_generation
    def stages(self, create, extracted, **kwargs):
        if not create:
            return
        # ``stages=()`` means "no stages" (StageFactory relies on it); omitted means the defaults.
        stages = DEFAULT_STAGES if extracted is None else extracted
        for order, (name, kind, stuck) in enumerate(stages, start=1):
            Stage.objects.create(
                pipeline=self, name=name, kind=kind, order=order * 10, stuck_after_days=stuck
            )


class StageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stage

    pipeline = factory.SubFactory(PipelineFactory, stages=())
    name = factory.Sequence(lambda n: f"Stage {n}")
    order = factory.Sequence(lambda n: n + 1)
    kind = StageKind.INTERVIEW


class RequisitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Requisition
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Account Executive {n}")
    pipeline = factory.SubFactory(PipelineFactory)
    hiring_manager = factory.SubFactory(UserFactory, hiring_manager=True)
    time_zone = "America/New_York"
    country = "US"

    @factory.post_generation
    def recruiters(self, create, extracted, **kwargs):
        if create and extracted:
            self.recruiters.set(extracted)

    class Params:
        berlin = factory.Trait(time_zone="Europe/Berlin", country="DE")
        sydney = factory.Trait(time_zone="Australia/Sydney", country="AU")
        los_angeles = factory.Trait(time_zone="America/Los_Angeles", country="US")


class CandidateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Candidate
        skip_postgeneration_save = True

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")

    @factory.post_generation
    def email(self, create, extracted, **kwargs):
        if create and extracted is not False:
            address = extracted or f"{self.first_name}.{self.last_name}.{self.pk}@mail.example"
            CandidateEmail.objects.create(candidate=self, address=address.lower(), is_primary=True)


class CandidateEmailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CandidateEmail

    candidate = factory.SubFactory(CandidateFactory, email=False)
    address = factory.Sequence(lambda n: f"candidate{n}@mail.example")


class CandidatePhoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CandidatePhone

    candidate = factory.SubFactory(CandidateFactory)
    number = factory.Sequence(lambda n: f"+1415555{n % 10000:04d}")


def stage_of(requisition: Requisition, kind: str) -> Stage:
    return requisition.pipeline.stages.filter(kind=kind).order_by("order").first()


class ApplicationFactory(factory.django.DjangoModelFactory):
    """An application; ``stage_kind`` picks the requisition's first stage of that kind."""

    class Meta:
        model = Application
        exclude = ("stage_kind",)

    candidate = factory.SubFactory(CandidateFactory)
    requisition = factory.SubFactory(RequisitionFactory)
    stage_kind = StageKind.APPLIED
    stage = factory.LazyAttribute(lambda a: stage_of(a.requisition, a.stage_kind))
    stage_entered_at = factory.LazyFunction(timezone.now)

    class Params:
        at_silence_test = factory.Trait(stage_kind=StageKind.SILENCE_TEST)
        interviewing = factory.Trait(stage_kind=StageKind.INTERVIEW)
        rejected = factory.Trait(stage_kind=StageKind.REJECTED)
        stuck = factory.Trait(
            stage_kind=StageKind.SCREEN,
            stage_entered_at=factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=30)),
        )


class StageTransitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StageTransition

    application = factory.SubFactory(ApplicationFactory)
    from_stage = None
    to_stage = factory.SelfAttribute("application.stage")
    at = factory.LazyFunction(timezone.now)


class InterviewRoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InterviewRound

    application = factory.SubFactory(ApplicationFactory, interviewing=True)
    sequence = factory.Sequence(lambda n: n + 1)
    title = factory.LazyAttribute(lambda r: f"Interview {r.sequence}")


class ScorecardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Scorecard

    round = factory.SubFactory(InterviewRoundFactory)
    interviewer = factory.SubFactory(UserFactory)
    tenacity = 4
    trust = 4
    follow_up = 4
    coachability = 4
    closing = 4
    recommendation = Recommendation.YES
    submitted_at = factory.LazyFunction(timezone.now)


# --- Silence tests and contacts ---------------------------------------------------------------


class SilenceTestFactory(factory.django.DjangoModelFactory):
    """A waiting test whose deadline is two days ahead; traits move it along."""

    class Meta:
        model = SilenceTest

    application = factory.SubFactory(ApplicationFactory, at_silence_test=True)
    stage = factory.SelfAttribute("application.stage")
    announced_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
    deadline_at = factory.LazyAttribute(lambda t: t.announced_at + dt.timedelta(days=2))
    window_closes_at = factory.LazyAttribute(lambda t: t.deadline_at + dt.timedelta(days=3))
    time_zone = factory.SelfAttribute("application.requisition.time_zone")
    state = SilenceTestState.WAITING

    class Params:
        due = factory.Trait(
            announced_at=factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=3)),
            deadline_at=factory.LazyFunction(lambda: timezone.now() - dt.timedelta(minutes=1)),
        )
        observing = factory.Trait(
            state=SilenceTestState.OBSERVING,
            announced_at=factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=3)),
            deadline_at=factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1)),
            observing_since=factory.SelfAttribute("deadline_at"),
        )
        closing = factory.Trait(
            state=SilenceTestState.OBSERVING,
            announced_at=factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=9)),
            deadline_at=factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=6)),
            window_closes_at=factory.LazyFunction(lambda: timezone.now() - dt.timedelta(minutes=1)),
            observing_since=factory.SelfAttribute("deadline_at"),
        )


class ContactFactory(factory.django.DjangoModelFactory):
    """An unprompted inbound phone call from the candidate, just now. Its score is marked
    stale as the recording action does (the fields, ``is_prompted`` included, are the test's)."""

    class Meta:
        model = Contact

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        contact = super()._create(model_class, *args, **kwargs)
        mark_scores_stale([contact.application_id])
        return contact

    application = factory.SubFactory(ApplicationFactory)
    candidate = factory.SelfAttribute("application.candidate")
    channel = Channel.PHONE
    direction = Direction.INBOUND
    occurred_at = factory.LazyFunction(timezone.now)
    source = ContactSource.MANUAL
    summary = "Called to follow up."

    class Params:
        outbound = factory.Trait(direction=Direction.OUTBOUND, summary="We called them.")
        prompted = factory.Trait(is_prompted=True)
        auto_reply = factory.Trait(
            channel=Channel.EMAIL, is_automated=True, summary="Out of office until Monday"
        )


def bulk_applications(requisition, count: int, *, stage_kind: str = StageKind.APPLIED):
    """Many applications fast (two INSERTs), for query-count tests at scale."""
    stage = stage_of(requisition, stage_kind)
    candidates = Candidate.objects.bulk_create(
        Candidate(first_name=f"Bulk{i}", last_name=f"Candidate{i}") for i in range(count)
    )
    CandidateEmail.objects.bulk_create(
        CandidateEmail(candidate=c, address=f"bulk{c.pk}@mail.example", is_primary=True)
        for c in candidates
    )
    return Application.objects.bulk_create(
        Application(
            candidate=c,
            requisition=requisition,
            stage=stage,
            stage_entered_at=timezone.now() - dt.timedelta(days=i % 40),
        )
        for i, c in enumerate(candidates)
    )


# --- CVs ----------------------------------------------------------------------------------------

#: The smallest file every PDF reader and our sniffing accept as a PDF.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def application_cv(application, *, content: bytes = PDF_BYTES, filename: str = "cv.pdf"):
    """A stored CV on ``application`` (through the service's storage, without the upload)."""
    from django.core.files.base import ContentFile

    from candidates.models import ApplicationCV

    cv = ApplicationCV(
        application=application,
        filename=filename,
        content_type="application/pdf",
        size=len(content),
        uploaded_at=timezone.now(),
    )
    cv.file.save(filename, ContentFile(content), save=True)
    return cv


# --- Decisions ----------------------------------------------------------------------------------


class EmailTemplateFactory(factory.django.DjangoModelFactory):
    """A rejection email after a silent test, sent right after a one-hour cancel window."""

    class Meta:
        model = EmailTemplate

    pipeline = factory.SubFactory(PipelineFactory)
    kind = TemplateKind.REJECTION_SILENT
    company = "Acme"
    subject = "Your application for {requisition_title}"
    body = (
        "Dear {first_name},\n\nthank you for your time. We will not take your application for "
        "{requisition_title} further.\n\nKind regards,\n{hiring_manager_name}, {company}"
    )
    send_delay = SendDelayKind.AFTER
    cancel_minutes = 60


def closed_silence_test(*, requisition, outcome="silent", candidate=None, closed_at=None):
    """A finished silence test whose candidate still waits in the silence-test stage."""
    application = ApplicationFactory(
        requisition=requisition,
        at_silence_test=True,
        **({"candidate": candidate} if candidate else {}),
    )
    closed_at = closed_at or timezone.now() - dt.timedelta(hours=1)
    return SilenceTestFactory(
        application=application,
        state=SilenceTestState.CLOSED,
        outcome=outcome,
        announced_at=closed_at - dt.timedelta(days=9),
        deadline_at=closed_at - dt.timedelta(days=6),
        window_closes_at=closed_at,
        observing_since=closed_at - dt.timedelta(days=6),
        closed_at=closed_at,
    )
