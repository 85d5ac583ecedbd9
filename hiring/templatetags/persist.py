from django import template

register = template.Library()


@register.filter
def duration_mmss(seconds: int | None) -> str:
    """4 min 05 s -> '4:05'; an hour or more -> '1:04:05'."""
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
