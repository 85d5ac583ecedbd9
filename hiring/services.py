from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction

from hiring.models import Pipeline, Requisition, RequisitionStatus, Stage, StageKind, UserProfile

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
            kind=StageKind(kind),
            stuck_after_days=stuck_after_days,
        )
        stage.full_clean()
        stage.save()
    return pipeline


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
    requisition.full_clean()
    requisition.save()
    requisition.recruiters.set(list(recruiters))
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
