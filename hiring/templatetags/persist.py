from django import template

from hiring import wording

register = template.Library()


@register.filter
def duration_mmss(seconds: int | None) -> str:
    """4 min 05 s -> '4:05'; an hour or more -> '1:04:05'."""
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def window_end(closes_at, zone: str) -> str:
    """``{{ test.window_closes_at|window_end:requisition.time_zone }}`` -> "end of Thursday 17
    Dec"."""
    return "" if closes_at is None or not zone else wording.window_end(closes_at, zone)


@register.filter
def deadline_sentence(deadline_at, zone: str) -> str:
    """``{{ deadline|deadline_sentence:zone }}`` -> "you'll hear from us by Wednesday 25
    November, 5 pm Eastern"."""
    return "" if deadline_at is None or not zone else wording.deadline_sentence(deadline_at, zone)
