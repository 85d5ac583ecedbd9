"""What the API returns and accepts. Outcomes and states are serialised as the model fields'
values with their display labels, so a value added to a choice list appears here unchanged."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from candidates.models import Candidate
from followups.models import Channel, Direction, QualityTag
from hiring.models import Requisition, SilenceOutcome, SilenceTestState, StageKind
from hiring.validators import validate_plausible_instant


def _outcome_label(value: str | None) -> str:
    if not value:
        return ""
    try:
        return SilenceOutcome(value).label
    except ValueError:  # a score's "pending"
        return value.replace("_", " ").capitalize()


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 instant that names its offset (``Z`` or ``+02:00``): an API has no "your
    time zone" to assume."""

    default_error_messages = {
        "naive": "Give the time with its offset, e.g. 2026-03-06T17:00:00+01:00 or …Z.",
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            parsed = parse_datetime(value.strip()) if len(value) <= 64 else None
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        instant = super().to_internal_value(value)
        try:
            validate_plausible_instant(instant)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return instant


class StageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=StageKind.choices)
    order = serializers.IntegerField()


class RequisitionSerializer(serializers.ModelSerializer):
    hiring_manager = serializers.IntegerField(source="hiring_manager_id")
    stages = serializers.SerializerMethodField()

    class Meta:
        model = Requisition
        fields = ["id", "title", "status", "time_zone", "country", "hiring_manager", "stages"]

    @staticmethod
    def _stages(requisition) -> list:
        return sorted(requisition.pipeline.stages.all(), key=lambda s: (s.order, s.pk))

    @extend_schema_field(StageSerializer(many=True))
    def get_stages(self, requisition):
        return StageSerializer(self._stages(requisition), many=True).data


class CandidateRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()


class SilenceTestSummarySerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=SilenceTestState.choices)
    state_label = serializers.CharField()
    outcome = serializers.ChoiceField(choices=SilenceOutcome.choices, allow_blank=True)
    outcome_label = serializers.CharField()
    deadline_at = serializers.DateTimeField()
    contaminated = serializers.BooleanField()


class BreakdownLineSerializer(serializers.Serializer):
    rule = serializers.CharField()
    text = serializers.CharField()
    points = serializers.IntegerField()


class ScoreSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=0, max_value=100)
    outcome = serializers.CharField(help_text="reached_out, silent or pending.")
    outcome_label = serializers.CharField()
    comparable = serializers.BooleanField()
    shown_in_ranking = serializers.BooleanField(
        help_text="False while the test is pending and nothing has scored yet."
    )
    weights_version = serializers.IntegerField(allow_null=True)
    first_follow_up_at = serializers.DateTimeField(allow_null=True)
    breakdown = BreakdownLineSerializer(many=True, help_text="The lines add up to the score.")


class OverrideSerializer(serializers.Serializer):
    position = serializers.IntegerField(allow_null=True)
    outcome = serializers.CharField(allow_blank=True)
    reason = serializers.CharField()


def silence_test_data(app) -> dict | None:
    if not app.test_state:
        return None
    return {
        "state": app.test_state,
        "state_label": app.test_state_label,
        "outcome": app.test_outcome or "",
        "outcome_label": _outcome_label(app.test_outcome),
        "deadline_at": app.test_deadline_at,
        "contaminated": app.test_contaminated_at is not None,
    }


def score_data(app) -> dict | None:
    if app.score is None:
        return None
    return {
        "score": app.score,
        "outcome": app.score_outcome,
        "outcome_label": _outcome_label(app.score_outcome),
        "comparable": app.score_comparable,
        "shown_in_ranking": app.has_score,
        "weights_version": app.weights_version,
        "first_follow_up_at": app.first_follow_up_at,
        "breakdown": [
            {"rule": line.get("rule", ""), "text": line["text"], "points": line["points"]}
            for line in app.score_lines or []
        ],
    }


def override_data(app) -> dict | None:
    if not (app.override_position or app.override_outcome):
        return None
    return {
        "position": app.override_position,
        "outcome": app.override_outcome or "",
        "reason": app.override_reason or "",
    }


class ApplicationSerializer(serializers.Serializer):
    """An application read through ``scoring.ranking.with_ranking_fields``."""

    id = serializers.IntegerField()
    requisition = serializers.IntegerField(source="requisition_id")
    candidate = CandidateRefSerializer()
    stage = StageSerializer()
    stage_entered_at = serializers.DateTimeField()
    alternative_assessment = serializers.BooleanField()
    silence_test = serializers.SerializerMethodField()
    score = serializers.SerializerMethodField()
    outcome = serializers.CharField(
        source="outcome_shown",
        allow_null=True,
        help_text="The outcome the ranking shows: the manager's override, else the test's.",
    )
    outcome_label = serializers.CharField()
    override = serializers.SerializerMethodField()
    scorecard_average = serializers.FloatField(allow_null=True)

    @extend_schema_field(SilenceTestSummarySerializer(allow_null=True))
    def get_silence_test(self, app):
        return silence_test_data(app)

    @extend_schema_field(ScoreSerializer(allow_null=True))
    def get_score(self, app):
        return score_data(app)

    @extend_schema_field(OverrideSerializer(allow_null=True))
    def get_override(self, app):
        return override_data(app)


class RankingRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField(help_text="Overall rank, whatever the filters and sort.")
    group = serializers.IntegerField()
    group_label = serializers.CharField()
    application = ApplicationSerializer()


class EmailSerializer(serializers.Serializer):
    address = serializers.EmailField()
    is_primary = serializers.BooleanField()


class PhoneSerializer(serializers.Serializer):
    number = serializers.CharField()
    label = serializers.CharField()


class CandidateSerializer(serializers.ModelSerializer):
    emails = EmailSerializer(many=True)
    phones = PhoneSerializer(many=True)
    applications = serializers.SerializerMethodField()

    class Meta:
        model = Candidate
        fields = [
            "id",
            "first_name",
            "last_name",
            "full_name",
            "time_zone",
            "emails",
            "phones",
            "applications",
        ]

    def get_applications(self, candidate) -> list[int]:
        # Prefetched through Application.objects.visible_to(user): other teams' stay hidden.
        return [a.pk for a in candidate.visible_applications]


# --- Writes ------------------------------------------------------------------------------


class ContactCreateSerializer(serializers.Serializer):
    external_id = serializers.CharField(
        max_length=200,
        help_text="Your id for this contact: posting it again returns the same contact.",
    )
    channel = serializers.ChoiceField(choices=Channel.choices)
    direction = serializers.ChoiceField(choices=Direction.choices)
    occurred_at = AwareDateTimeField()
    duration_seconds = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=7 * 24 * 3600
    )
    summary = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    tags = serializers.ListField(
        child=serializers.ChoiceField(
            choices=[(t.value, t.label) for t in QualityTag if not t.value.startswith("promise_")]
        ),
        required=False,
        default=list,
        max_length=len(QualityTag.values),
    )
    confirm_contamination = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Log an outbound contact while the silence test observes (it contaminates "
        "the test). Without it such a post is refused with 409 would_contaminate.",
    )


class ContactSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    application = serializers.IntegerField(source="application_id")
    candidate = serializers.IntegerField(source="candidate_id")
    channel = serializers.ChoiceField(choices=Channel.choices)
    direction = serializers.ChoiceField(choices=Direction.choices)
    occurred_at = serializers.DateTimeField()
    duration_seconds = serializers.IntegerField(allow_null=True)
    summary = serializers.CharField()
    tags = serializers.SerializerMethodField()
    is_prompted = serializers.BooleanField()

    def get_tags(self, contact) -> list[str]:
        return sorted(contact.tags.values_list("tag", flat=True))


class MoveSerializer(serializers.Serializer):
    to_stage = serializers.IntegerField(help_text="A stage id of the requisition's pipeline.")
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        default="",
        help_text="Required when rejecting, withdrawing, hiring or reopening.",
    )


class AnnouncementSerializer(serializers.Serializer):
    announced_at = AwareDateTimeField(help_text="When the candidate was told.")
    announced_by = serializers.IntegerField(
        required=False,
        help_text="User id of who told them: the hiring manager, a recruiter of the "
        "requisition, or you (the default).",
    )


class SilenceTestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    application = serializers.IntegerField(source="application_id")
    state = serializers.ChoiceField(choices=SilenceTestState.choices)
    announced_at = serializers.DateTimeField()
    announced_by = serializers.IntegerField(source="announced_by_id", allow_null=True)
    deadline_at = serializers.DateTimeField()
    window_closes_at = serializers.DateTimeField()
    time_zone = serializers.CharField()
