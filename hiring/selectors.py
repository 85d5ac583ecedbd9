"""Reads of the hiring app that other apps share."""

from dataclasses import dataclass

from hiring.models import SCORECARD_SLOTS, ScorecardTrait


@dataclass(frozen=True)
class TraitShown:
    """A trait as a scorecard asks for it and a page shows it."""

    column: str
    label: str
    help_text: str = ""


#: What a pipeline without configured traits rates (one created before traits were configurable
#: gets these rows from migration ``hiring.0013_scorecard_traits``).
DEFAULT_TRAITS = tuple(TraitShown(column, label) for _slot, column, label in SCORECARD_SLOTS)


def scorecard_traits_for(pipeline_id: int) -> list[TraitShown]:
    """The enabled traits of a pipeline's scorecards, in display order (one query)."""
    rows = list(ScorecardTrait.objects.filter(pipeline_id=pipeline_id).order_by("order", "slot"))
    if not rows:
        return list(DEFAULT_TRAITS)
    return [TraitShown(row.column, row.label, row.help_text) for row in rows if row.enabled]
