"""Demo data for the evidence pages (issue #16): a history of finished silence tests with hires
and their post-hire outcomes, and voluntary self-identification (some declined, some never
answered), so the bias audit and the validity page show real numbers. Deterministic and
idempotent, like the rest of ``seed_demo``."""

import random
from datetime import datetime, timedelta
from decimal import Decimal

from candidates import services as candidate_services
from candidates.models import Application, Candidate, CandidateEmail, Recommendation
from evidence import services as evidence_services
from evidence.models import DECLINED, RaceEthnicity, SelfIdentification, SelfIdSource, Sex
from followups.models import Channel, Contact, Direction
from hiring import services as hiring_services
from hiring.models import SilenceOutcome, SilenceTest, Stage, StageKind
from silence import services as silence_services

#: Past candidates per requisition who went through the silence test 11 to 17 months ago.
HISTORY_PER_REQUISITION = 14
#: Share of candidates who never answered the self-identification (no row at all).
NEVER_ANSWERED = 0.1
SEX_WEIGHTS = {Sex.FEMALE: 45, Sex.MALE: 45, DECLINED: 10}
RACE_WEIGHTS = {
    RaceEthnicity.WHITE: 40,
    RaceEthnicity.HISPANIC_LATINO: 15,
    RaceEthnicity.BLACK: 13,
    RaceEthnicity.ASIAN: 14,
    RaceEthnicity.TWO_OR_MORE: 5,
    RaceEthnicity.NATIVE_HAWAIIAN_PACIFIC: 1,
    RaceEthnicity.AMERICAN_INDIAN_ALASKA: 1,
    DECLINED: 11,
}
HISTORY_FIRST = ["Ari", "Bo", "Cory", "Devon", "Eden", "Frankie", "Gray", "Indy", "Jules", "Kai"]
HISTORY_LAST = ["Alvarez", "Becker", "Chowdhury", "Diallo", "Eriksen", "Fontaine", "Ghosh"]


def _pick(rng: random.Random, weights: dict) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _history_application(*, requisition, req_index, index, stages, now, rng) -> Application | None:
    address = f"history.{req_index}{index:02d}@candidates.example"
    if CandidateEmail.objects.filter(address=address).exists():
        return None
    candidate = candidate_services.candidate_create(
        first_name=HISTORY_FIRST[(index + req_index) % len(HISTORY_FIRST)],
        last_name=HISTORY_LAST[(index * 3 + req_index) % len(HISTORY_LAST)],
        emails=[address],
        time_zone=requisition.time_zone,
    )
    silence = stages[StageKind.SILENCE_TEST]
    announced_at = now - timedelta(days=rng.randint(330, 520))
    application = candidate_services.application_create(
        candidate=candidate,
        requisition=requisition,
        stage=silence,
        source="Referral",
        at=announced_at - timedelta(days=3),
    )
    manager = requisition.hiring_manager
    interview_round = candidate_services.interview_round_create(
        application=application,
        title="Interview",
        scheduled_at=announced_at - timedelta(days=2),
        interviewers=[manager],
    )
    rating = rng.randint(2, 5)
    candidate_services.scorecard_submit(
        interview_round=interview_round,
        interviewer=manager,
        ratings={
            "tenacity": rating,
            "trust": rng.randint(2, 5),
            "follow_up": rating,
            "coachability": rng.randint(2, 5),
            "closing": rng.randint(2, 5),
        },
        recommendation=Recommendation.YES if rating >= 3 else Recommendation.NO,
        at=announced_at - timedelta(days=2),
    )
    deadline, closes = hiring_services.silence_instants(
        announced_at=announced_at,
        stage=silence,
        time_zone=requisition.time_zone,
        country=requisition.country,
    )
    SilenceTest.objects.create(
        application=application,
        stage=silence,
        announced_at=announced_at,
        announced_by=manager,
        recorded_by=manager,
        time_zone=requisition.time_zone,
        deadline_at=deadline,
        window_closes_at=closes,
    )
    if rng.random() < 0.55:
        Contact.objects.create(
            candidate=candidate,
            application=application,
            channel=rng.choice([Channel.PHONE, Channel.EMAIL]),
            direction=Direction.INBOUND,
            occurred_at=deadline + timedelta(hours=rng.randint(2, 40)),
            summary="Followed up after the deadline with questions about the territory.",
            logged_by=requisition.recruiters.first(),
        )
    return application


def _percent(value: float) -> Decimal:
    return Decimal(f"{max(0.0, value):.1f}")


def _decide(application: Application, stages, now, rng) -> None:
    """After the sweep: hire most who reached out (and a few who did not), reject the rest;
    record outcomes for the hires that loosely follow persistence."""
    test = application.silence_tests.get()
    reached = test.outcome == SilenceOutcome.REACHED_OUT
    manager = application.requisition.hiring_manager
    at = min(test.window_closes_at + timedelta(days=7), now - timedelta(days=1))
    if rng.random() < (0.6 if reached else 0.2):
        candidate_services.application_move(
            application=application,
            to_stage=stages[StageKind.HIRED],
            actor=manager,
            reason="Offer accepted.",
            at=at,
        )
        months_since = (now - at).days / 30
        evidence_services.outcome_record(
            application=application,
            actor=None,
            quota_6m=_percent(rng.gauss(85 + 20 * reached, 18)),
            quota_12m=_percent(rng.gauss(90 + 22 * reached, 20)) if months_since >= 12 else None,
            ramp_months=max(1, round(rng.gauss(6 - 2 * reached, 1.5))),
            employed_12m=(rng.random() < 0.55 + 0.3 * reached) if months_since >= 12 else None,
        )
    else:
        candidate_services.application_move(
            application=application,
            to_stage=stages[StageKind.REJECTED],
            actor=manager,
            reason="Another candidate was a better fit.",
            at=at,
        )


def _self_identification(candidates, now) -> None:
    answered = set(
        SelfIdentification.objects.filter(candidate__in=candidates).values_list(
            "candidate_id", flat=True
        )
    )
    for candidate in candidates:
        if candidate.pk in answered:
            continue
        address = candidate.emails.values_list("address", flat=True).first() or str(candidate.pk)
        rng = random.Random(f"persist-demo-self-id-{address}")
        if rng.random() < NEVER_ANSWERED:
            continue
        evidence_services.self_id_record(
            candidate=candidate,
            sex=_pick(rng, SEX_WEIGHTS),
            race_ethnicity=_pick(rng, RACE_WEIGHTS),
            source=SelfIdSource.CANDIDATE,
            now=now,
        )


def seed_evidence(*, requisitions, pipeline, now: datetime) -> None:
    stages = {
        stage.kind: stage
        for stage in Stage.objects.filter(pipeline=pipeline).order_by("-order")
        if stage.kind in {StageKind.SILENCE_TEST, StageKind.HIRED, StageKind.REJECTED}
    }
    created = []
    for req_index, requisition in enumerate(requisitions):
        rng = random.Random(f"persist-demo-history-{requisition.title}")
        for index in range(HISTORY_PER_REQUISITION):
            application = _history_application(
                requisition=requisition,
                req_index=req_index,
                index=index,
                stages=stages,
                now=now,
                rng=rng,
            )
            if application is not None:
                created.append((application, rng))
    if created:
        # One accommodation per requisition, recorded before its test finished (afterwards it
        # is refused): the test is cancelled and the audit counts the application out.
        for application, _rng in created[::HISTORY_PER_REQUISITION]:
            evidence_services.alternative_assessment_set(
                application=application,
                actor=application.requisition.hiring_manager,
                reason="Asked for a structured follow-up exercise instead (accommodation).",
                now=now,
            )
        silence_services.silence_tests_sweep(now=now)
        for application, rng in created:
            _decide(application, stages, now, rng)
    _self_identification(
        list(Candidate.objects.filter(applications__requisition__in=requisitions).distinct()),
        now,
    )
