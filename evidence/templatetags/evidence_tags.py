from django import template

from evidence import policy
from evidence.forms import AlternativeAssessmentForm
from hiring import policy as hiring_policy

register = template.Library()


@register.inclusion_tag("evidence/_application_panel.html", takes_context=True)
def evidence_panel(context, application):
    """The application page's evidence panel: the alternative assessment, the self-ID
    invitation and, for a hire, the post-hire outcome link. Nothing about the candidate's own
    self-identification, which no team page shows."""
    user = context["request"].user
    # One visibility query for both rules (the page asked it already, but the panel does not
    # rely on its caller for who may do what).
    visible = policy.application_visible(user, application)
    return {
        "application": application,
        "alternative_form": AlternativeAssessmentForm(),
        "may_mark": policy.may_mark_alternative_assessment(user, application, visible=visible),
        "alternative_too_late": (
            not application.alternative_assessment
            and policy.alternative_assessment_too_late(application)
        ),
        "alternative_too_late_text": policy.ALTERNATIVE_TOO_LATE,
        "may_record_outcome": policy.may_record_outcome(user, application, visible=visible),
        "human_review": hiring_policy.requires_human_review(application.requisition.country),
        "csrf_token": context.get("csrf_token"),
    }
