"""The bulk toolbar, drawn by pages of lower apps (the ranking in ``scoring``) that may not
import this app: loading a template library is not an import between the layers."""

from django import template

from decisions.models import TemplateKind

register = template.Library()


@register.inclusion_tag("decisions/_bulk_toolbar.html", takes_context=True)
def bulk_toolbar(context, requisition, stages):
    """``stages``: Stage objects or ``(id, name)`` pairs. The email kinds are the static
    choices: a pipeline without the template refuses each item with that reason, and the
    pages' query counts stay pinned."""
    choices = [
        (stage.pk, stage.name) if hasattr(stage, "pk") else tuple(stage)
        for stage in stages
        if (stage.pk if hasattr(stage, "pk") else stage[0]) != ""
    ]
    request = context.get("request")
    # A cached page (hiring.page_cache) passes a placeholder that each response replaces.
    next_path = context.get("next_path")
    if next_path is None:
        next_path = request.get_full_path() if request is not None else ""
    return {
        "request": request,
        "next_path": next_path,
        "csrf_token": context.get("csrf_token"),
        "requisition": requisition,
        "bulk_stages": choices,
        "email_kinds": TemplateKind.choices,
    }
