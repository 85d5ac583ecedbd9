from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    """Read-only pages over everything below: home, requisition boards, insights, calendar."""

    name = "dashboards"
    verbose_name = "Dashboards and reports"
