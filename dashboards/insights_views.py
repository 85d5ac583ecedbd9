from django.shortcuts import get_object_or_404, render

from dashboards import charts
from dashboards.insights import requisition_insights as insights_for
from hiring.models import Requisition


def requisition_insights(request, pk: int):
    requisition = get_object_or_404(Requisition.objects.visible_to(request.user), pk=pk)
    data = insights_for(requisition=requisition)
    panels = [
        {
            "heading": "Stage funnel",
            "svg": charts.funnel_svg(data.funnel),
            "table": charts.funnel_table(data.funnel),
        },
        {
            "heading": "Persistence scores",
            "svg": charts.histogram_svg(data.scores, label="Persistence score"),
            "table": charts.histogram_table(data.scores, label="Persistence score"),
        },
        {
            "heading": "Time to follow-up after the deadline",
            "svg": charts.latency_svg(data.latency_hours),
            "table": charts.latency_table(data.latency_hours),
        },
        {
            "heading": "Reached out vs silent per week",
            "svg": charts.outcomes_by_week_svg(data.outcomes_by_week),
            "table": charts.outcomes_by_week_table(data.outcomes_by_week),
        },
    ]
    return render(request, "hiring/insights.html", {"requisition": requisition, "panels": panels})
