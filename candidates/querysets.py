from django.db import models
from django.db.models import Avg, Exists, OuterRef, Subquery


def _visible_requisitions(user):
    # Imported lazily: hiring.models imports this app's models through relations.
    from hiring.models import Requisition

    return Requisition.objects.visible_to(user)


class CandidateQuerySet(models.QuerySet):
    def visible_to(self, user) -> "CandidateQuerySet":
        """Candidates with at least one application on a requisition the user may open.

        Admins see every candidate, including those without an application.
        """
        from candidates.models import Application
        from hiring.roles import is_admin

        if user.is_authenticated and user.is_active and is_admin(user):
            return self.all()
        applications = Application.objects.filter(
            candidate_id=OuterRef("pk"), requisition__in=_visible_requisitions(user)
        )
        return self.filter(Exists(applications))


class ApplicationQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ApplicationQuerySet":
        return self.filter(requisition__in=_visible_requisitions(user))

    def annotate_primary_email(self) -> "ApplicationQuerySet":
        from candidates.models import CandidateEmail

        primary = CandidateEmail.objects.filter(candidate_id=OuterRef("candidate_id")).order_by(
            "-is_primary", "address"
        )
        return self.annotate(primary_email=Subquery(primary.values("address")[:1]))

    def annotate_scorecard_average(self) -> "ApplicationQuerySet":
        """Mean of every trait rating over all scorecards of the application (None if none)."""
        from candidates.models import SCORECARD_TRAITS, Scorecard

        # One average over the five trait columns, computed in SQL per application.
        trait_sum = sum(
            (models.F(name) for name, _label in SCORECARD_TRAITS[1:]),
            start=models.F(SCORECARD_TRAITS[0][0]),
        )
        per_app = (
            Scorecard.objects.filter(round__application_id=OuterRef("pk"))
            .order_by()
            .values("round__application_id")
            .annotate(
                avg=Avg(
                    models.ExpressionWrapper(
                        trait_sum * 1.0 / len(SCORECARD_TRAITS), output_field=models.FloatField()
                    )
                )
            )
            .values("avg")
        )
        return self.annotate(scorecard_average=Subquery(per_app, output_field=models.FloatField()))

    def for_board(self) -> "ApplicationQuerySet":
        """Everything the pipeline board shows, in one query."""
        return (
            self.select_related("candidate", "stage")
            .annotate_primary_email()
            .annotate_scorecard_average()
            .order_by("stage__order", "stage_entered_at", "id")
        )
