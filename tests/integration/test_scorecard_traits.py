"""Scorecard traits configured per pipeline (issue #15): named slots over the five rating
columns, shown under their names, disabled ones left empty and out of every average; and the
blind rule on every page that shows an average (board, ranking, its CSV)."""

import html
import importlib

import pytest
from django.apps import apps as django_apps
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from audit.models import AuditAction, AuditEvent
from candidates import policy
from candidates.models import SCORECARD_TRAITS, Application, Scorecard, scorecard_mean
from hiring.models import Pipeline, ScorecardTrait
from hiring.services import pipeline_create, scorecard_traits_default_create
from privacy.services import candidate_data
from tests.factories import (
    ApplicationFactory,
    InterviewRoundFactory,
    PipelineFactory,
    RequisitionFactory,
    ScorecardFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DEFAULT_LABELS = ["Tenacity", "Trust", "Follow-up", "Coachability", "Closing"]


def configure(pipeline, **changes):
    """The default traits, with ``changes`` per slot (``slot_1={"label": "Grit"}``)."""
    scorecard_traits_default_create(pipeline=pipeline)
    for slot, fields in changes.items():
        ScorecardTrait.objects.filter(pipeline=pipeline, slot=int(slot[-1])).update(**fields)


@pytest.fixture
def world():
    manager = UserFactory(hiring_manager=True)
    recruiter = UserFactory(recruiter=True)
    other = UserFactory(recruiter=True)
    requisition = RequisitionFactory(hiring_manager=manager, recruiters=[recruiter, other])
    application = ApplicationFactory(requisition=requisition, interviewing=True)
    interview_round = InterviewRoundFactory(application=application, sequence=1)
    return {
        "manager": manager,
        "recruiter": recruiter,
        "other": other,
        "requisition": requisition,
        "pipeline": requisition.pipeline,
        "app": application,
        "round": interview_round,
    }


# --- configuration ------------------------------------------------------------------------------


def test_the_migration_gives_every_existing_pipeline_the_five_default_traits():
    # The data migration's own function, run on a pipeline as it was before traits existed.
    # (Unapplying and reapplying the schema in the shared test database would wipe the rows
    # that later serialized-rollback tests restore from.)
    migration = importlib.import_module("hiring.migrations.0014_scorecard_traits")
    old_pipeline = PipelineFactory(name="Field sales")
    ScorecardTrait.objects.filter(pipeline=old_pipeline).delete()
    migration.give_every_pipeline_the_default_traits(django_apps, None)
    traits = ScorecardTrait.objects.filter(pipeline_id=old_pipeline.pk).order_by("slot")
    assert [(t.slot, t.column, t.label, t.enabled) for t in traits] == [
        (slot, column, label, True)
        for slot, (column, label) in enumerate(SCORECARD_TRAITS, start=1)
    ]


def test_a_new_pipeline_gets_the_default_traits():
    pipeline = pipeline_create(name="Inside sales", stages=[("Applied", "applied", None)])
    labels = list(pipeline.scorecard_traits.order_by("order").values_list("label", flat=True))
    assert labels == DEFAULT_LABELS


def test_the_scorecard_form_asks_for_the_pipelines_enabled_traits_under_their_names(client, world):
    configure(
        world["pipeline"],
        slot_1={"label": "Grit", "help_text": "Kept going after a no."},
        slot_5={"enabled": False},
    )
    client.force_login(world["recruiter"])
    url = reverse("candidates:scorecard_submit", args=[world["app"].pk, world["round"].pk])
    text = html.unescape(client.get(url).content.decode())
    assert "Grit" in text
    assert "Kept going after a no." in text
    assert "Tenacity" not in text
    assert "Closing" not in text
    assert 'name="closing"' not in text


def test_a_disabled_trait_stays_empty_and_the_average_is_over_the_rated_ones(client, world):
    configure(world["pipeline"], slot_5={"enabled": False})
    client.force_login(world["recruiter"])
    url = reverse("candidates:scorecard_submit", args=[world["app"].pk, world["round"].pk])
    ratings = {"tenacity": 5, "trust": 4, "follow_up": 3, "coachability": 4}
    response = client.post(url, {**ratings, "closing": 1, "recommendation": "yes", "notes": ""})
    assert response.status_code == 302
    card = Scorecard.objects.get()
    assert card.closing is None  # not asked for, so not stored even when posted
    assert card.average == 4.0
    row = Application.objects.annotate_scorecard_average().get(pk=world["app"].pk)
    assert row.scorecard_average == 4.0


def test_a_missing_rating_of_an_enabled_trait_is_a_form_error_in_plain_language(client, world):
    configure(world["pipeline"], slot_1={"label": "Grit"})
    client.force_login(world["recruiter"])
    url = reverse("candidates:scorecard_submit", args=[world["app"].pk, world["round"].pk])
    response = client.post(url, {"trust": 4, "recommendation": "yes"})
    assert response.status_code == 422
    assert "Rate Grit." in html.unescape(response.content.decode())


def test_the_application_page_shows_ratings_under_the_pipelines_trait_names(client, world):
    configure(world["pipeline"], slot_2={"label": "Honesty"}, slot_4={"enabled": False})
    ScorecardFactory(round=world["round"], interviewer=world["recruiter"], coachability=None)
    client.force_login(world["recruiter"])
    text = client.get(reverse("candidates:application_detail", args=[world["app"].pk]))
    text = html.unescape(text.content.decode())
    assert "Honesty" in text
    assert "Coachability" not in text


@pytest.mark.parametrize(
    "ratings",
    [
        (4, 4, 4, 4, 4),
        (5, None, 3, None, None),
        (None, None, None, None, 2),
        (1, 2, 3, 4, 5),
    ],
)
def test_the_card_average_in_sql_matches_python_and_ignores_empty_slots(world, ratings):
    ScorecardFactory(
        round=world["round"],
        interviewer=world["other"],
        **dict(zip(_columns(), ratings, strict=True)),
    )
    row = Application.objects.annotate_scorecard_average().get(pk=world["app"].pk)
    expected = scorecard_mean(ratings)
    assert row.scorecard_average == pytest.approx(expected)


def _columns():
    return [name for name, _label in SCORECARD_TRAITS]


# --- the admin ----------------------------------------------------------------------------------


def pipeline_post_data(pipeline, trait_changes=None):
    """The pipeline change form as the admin posts it (stages unchanged)."""
    trait_changes = trait_changes or {}
    stages = list(pipeline.stages.order_by("order"))
    traits = list(pipeline.scorecard_traits.order_by("order", "slot"))
    data = {
        "name": pipeline.name,
        "description": pipeline.description,
        "stages-TOTAL_FORMS": str(len(stages)),
        "stages-INITIAL_FORMS": str(len(stages)),
        "stages-MIN_NUM_FORMS": "0",
        "stages-MAX_NUM_FORMS": "1000",
        "scorecard_traits-TOTAL_FORMS": str(len(traits)),
        "scorecard_traits-INITIAL_FORMS": str(len(traits)),
        "scorecard_traits-MIN_NUM_FORMS": "0",
        "scorecard_traits-MAX_NUM_FORMS": "5",
    }
    for i, stage in enumerate(stages):
        row = {
            "id": stage.pk,
            "pipeline": pipeline.pk,
            "order": stage.order,
            "name": stage.name,
            "kind": stage.kind,
            "stuck_after_days": stage.stuck_after_days or "",
        }
        data.update({f"stages-{i}-{key}": value for key, value in row.items()})
    for i, trait in enumerate(traits):
        row = {
            "id": trait.pk,
            "pipeline": pipeline.pk,
            "slot": trait.slot,
            "label": trait.label,
            "help_text": trait.help_text,
            "enabled": "on" if trait.enabled else "",
            "order": trait.order,
            **trait_changes.get(trait.slot, {}),
        }
        data.update({f"scorecard_traits-{i}-{k}": v for k, v in row.items() if v != ""})
    return data


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(admin=True))  # an admin, not a superuser
    return client


def test_an_admin_renames_a_trait_and_the_change_is_audited(admin_client):
    pipeline = PipelineFactory()
    configure(pipeline)
    url = reverse("admin:hiring_pipeline_change", args=[pipeline.pk])
    response = admin_client.post(url, pipeline_post_data(pipeline, {1: {"label": "Grit"}}))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert pipeline.scorecard_traits.get(slot=1).label == "Grit"
    event = AuditEvent.objects.filter(action=AuditAction.ADMIN_CHANGED).latest("pk")
    assert "hiring.scorecardtrait" in event.details["inlines"]


def test_two_traits_with_the_same_name_are_refused_in_plain_language(admin_client):
    pipeline = PipelineFactory()
    configure(pipeline)
    url = reverse("admin:hiring_pipeline_change", args=[pipeline.pk])
    response = admin_client.post(url, pipeline_post_data(pipeline, {2: {"label": "tenacity"}}))
    assert response.status_code == 200
    assert "Each trait of a pipeline needs its own name; used twice: tenacity." in (
        html.unescape(response.content.decode())
    )
    assert pipeline.scorecard_traits.get(slot=2).label == "Trust"


def test_disabling_every_trait_is_refused_in_plain_language(admin_client):
    pipeline = PipelineFactory()
    configure(pipeline)
    url = reverse("admin:hiring_pipeline_change", args=[pipeline.pk])
    data = pipeline_post_data(pipeline, {slot: {"enabled": ""} for slot in range(1, 6)})
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Scorecards must rate at least one trait" in html.unescape(response.content.decode())
    assert pipeline.scorecard_traits.filter(enabled=True).count() == 5


def test_deleting_every_trait_is_refused_in_plain_language(admin_client):
    pipeline = PipelineFactory()
    configure(pipeline)
    url = reverse("admin:hiring_pipeline_change", args=[pipeline.pk])
    data = pipeline_post_data(pipeline, {slot: {"DELETE": "on"} for slot in range(1, 6)})
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Scorecards must rate at least one trait" in html.unescape(response.content.decode())
    assert pipeline.scorecard_traits.count() == 5


def test_a_pipeline_added_in_the_admin_without_traits_gets_the_defaults(admin_client):
    response = admin_client.post(
        reverse("admin:hiring_pipeline_add"),
        {
            "name": "Enterprise",
            "description": "",
            "stages-TOTAL_FORMS": "0",
            "stages-INITIAL_FORMS": "0",
            "stages-MIN_NUM_FORMS": "0",
            "stages-MAX_NUM_FORMS": "1000",
            "scorecard_traits-TOTAL_FORMS": "0",
            "scorecard_traits-INITIAL_FORMS": "0",
            "scorecard_traits-MIN_NUM_FORMS": "0",
            "scorecard_traits-MAX_NUM_FORMS": "5",
        },
    )
    assert response.status_code == 302
    pipeline = Pipeline.objects.get(name="Enterprise")
    assert pipeline.scorecard_traits.count() == 5


# --- blind averages everywhere ------------------------------------------------------------------


def _with_others_card(world):
    ScorecardFactory(round=world["round"], interviewer=world["other"], tenacity=1, trust=1)
    return "2.8"  # (1 + 1 + 4 + 4 + 4) / 5, rounded as the pages show it


def test_the_board_shows_no_average_to_someone_who_has_not_rated_the_round(client, world):
    _with_others_card(world)
    client.force_login(world["recruiter"])
    url = reverse("hiring:requisition_board", args=[world["requisition"].pk])
    assert "★" not in client.get(url).content.decode()


def test_the_board_shows_the_average_once_you_rated_the_round(client, world):
    _with_others_card(world)
    ScorecardFactory(round=world["round"], interviewer=world["recruiter"])
    client.force_login(world["recruiter"])
    url = reverse("hiring:requisition_board", args=[world["requisition"].pk])
    assert "★" in client.get(url).content.decode()


def test_the_ranking_and_its_csv_show_no_average_to_the_hiring_manager_before_rating(client, world):
    shown = _with_others_card(world)
    client.force_login(world["manager"])
    page = client.get(reverse("followups:ranking", args=[world["requisition"].pk]))
    assert (
        f'<td class="num cards" data-label="Scorecards">{shown}</td>' not in page.content.decode()
    )
    csv_text = client.get(reverse("followups:ranking_csv", args=[world["requisition"].pk]))
    assert "2.80" not in csv_text.content.decode()


def test_after_a_reveal_the_ranking_shows_the_average_to_the_hiring_manager(client, world):
    shown = _with_others_card(world)
    client.force_login(world["manager"])
    url = reverse("followups:ranking", args=[world["requisition"].pk])
    assert (
        f'<td class="num cards" data-label="Scorecards">{shown}</td>'
        not in client.get(url).content.decode()
    )  # cached
    reveal = reverse("candidates:scorecards_reveal", args=[world["app"].pk, world["round"].pk])
    client.post(reveal)
    assert (
        f'<td class="num cards" data-label="Scorecards">{shown}</td>'
        in client.get(url).content.decode()
    )


def test_two_viewers_never_share_a_cached_ranking_with_different_averages(client, world):
    shown = _with_others_card(world)
    client.force_login(world["other"])  # rated: sees the average (and caches the rows)
    url = reverse("followups:ranking", args=[world["requisition"].pk])
    assert (
        f'<td class="num cards" data-label="Scorecards">{shown}</td>'
        in client.get(url).content.decode()
    )
    client.force_login(world["recruiter"])  # same rendering otherwise, but has not rated
    assert (
        f'<td class="num cards" data-label="Scorecards">{shown}</td>'
        not in client.get(url).content.decode()
    )


PROPERTY = hsettings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@PROPERTY
@given(
    rounds=st.lists(
        st.tuples(
            st.booleans(),  # revealed
            st.lists(st.sampled_from(["viewer", "a", "b"]), unique=True, max_size=3),
        ),
        max_size=3,
    )
)
def test_the_blind_rule_gives_the_same_answer_in_python_and_in_sql(world, rounds):
    people = {"viewer": world["recruiter"], "a": world["other"], "b": world["manager"]}
    with transaction.atomic():
        sid = transaction.savepoint()
        application = ApplicationFactory(requisition=world["requisition"], interviewing=True)
        for sequence, (revealed, raters) in enumerate(rounds, start=1):
            interview_round = InterviewRoundFactory(
                application=application,
                sequence=sequence,
                scorecards_revealed_at=timezone.now() if revealed else None,
            )
            for rater in raters:
                ScorecardFactory(round=interview_round, interviewer=people[rater])
        fetched = Application.objects.prefetch_related("rounds__scorecards").get(pk=application.pk)
        python = policy.sees_every_rating(world["recruiter"], fetched.rounds.all())
        sql = Application.objects.filter(
            policy.sees_every_rating_sql(world["recruiter"]), pk=application.pk
        ).exists()
        transaction.savepoint_rollback(sid)
    assert python == sql


def test_the_privacy_export_names_each_rating_by_its_pipelines_trait(world):
    configure(world["pipeline"], slot_1={"label": "Grit"}, slot_5={"enabled": False})
    ScorecardFactory(round=world["round"], interviewer=world["recruiter"], tenacity=5, closing=None)
    data = candidate_data(candidate=world["app"].candidate)
    cards = [
        card
        for application in data["applications"]
        for interview_round in application["interview_rounds"]
        for card in interview_round["scorecards"]
    ]
    assert cards[0]["ratings"] == {"Grit": 5, "Trust": 4, "Follow-up": 4, "Coachability": 4}


def test_two_traits_in_the_same_slot_are_refused_not_a_server_error(admin_client):
    pipeline = PipelineFactory()
    configure(pipeline)
    url = reverse("admin:hiring_pipeline_change", args=[pipeline.pk])
    response = admin_client.post(url, pipeline_post_data(pipeline, {2: {"slot": 1}}))
    assert response.status_code == 200
    assert "Please correct the duplicate data for slot" in html.unescape(response.content.decode())
    assert pipeline.scorecard_traits.get(slot=2).label == "Trust"
