from django.db import models
from django.db.models import Avg, OuterRef, Subquery


class CandidateQuerySet(models.QuerySet):
    def visible_to(self, user) -> "CandidateQuerySet":
        """Candidates the user may see (the rule: ``hiring.policy.candidates_visible_to``)."""
        # Imported when called: the policy module imports this app's models.
        from hiring import policy

        return policy.candidates_visible_to(user, self)


class ApplicationQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ApplicationQuerySet":
        """Applications the user may see (``hiring.policy.applications_visible_to``)."""
        from hiring import policy

        return policy.applications_visible_to(user, self)

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
