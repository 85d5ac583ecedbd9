"""Reads of the hiring app that other apps share, and reads about pipelines and stages that
need the applications of the layer above."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hiring.models import SCORECARD_SLOTS, ScorecardTrait

#: Counters of how many applications are in, or went through, each of some stages: the
#: applications live in ``candidates``, a layer above, which registers its counter from its
#: ``AppConfig.ready()`` (this layer may not import it).
_stage_usage_counters: list[Callable[[Sequence[int]], dict[int, int]]] = []


def stage_usage_register(counter: Callable[[Sequence[int]], dict[int, int]]) -> None:
    if counter not in _stage_usage_counters:
        _stage_usage_counters.append(counter)


def stages_in_use(stage_ids: Sequence[int]) -> dict[int, int]:
    """Applications in or through each stage (stages nobody used are left out)."""
    usage: dict[int, int] = {}
    for counter in _stage_usage_counters:
        for stage_id, count in counter(stage_ids).items():
            usage[stage_id] = usage.get(stage_id, 0) + count
    return {stage_id: count for stage_id, count in usage.items() if count}


def stage_reorder_warning(stage_name: str, applications: int) -> str:
    """What an admin is told before and after changing the order of a stage in use."""
    return (
        f"“{stage_name}” is in use ({applications} application"
        f"{'s are' if applications != 1 else ' is'} in it or went through it): changing its "
        "order changes how the insights funnel and the stage history read, since they follow "
        "today's order."
    )


@dataclass(frozen=True)
class TraitShown:
    """A trait as a scorecard asks for it and a page shows it."""

    column: str
    label: str
    help_text: str = ""


#: What a pipeline without configured traits rates (one created before traits were configurable
#: gets these rows from migration ``hiring.0014_scorecard_traits``).
DEFAULT_TRAITS = tuple(TraitShown(column, label) for _slot, column, label in SCORECARD_SLOTS)


def scorecard_traits_for(pipeline_id: int) -> list[TraitShown]:
    """The enabled traits of a pipeline's scorecards, in display order (one query)."""
    rows = list(ScorecardTrait.objects.filter(pipeline_id=pipeline_id).order_by("order", "slot"))
    if not rows:
        return list(DEFAULT_TRAITS)
    return [TraitShown(row.column, row.label, row.help_text) for row in rows if row.enabled]
