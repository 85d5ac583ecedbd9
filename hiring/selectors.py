"""Reads about pipelines and stages that need the applications of the layer above."""

from collections.abc import Callable, Sequence

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
