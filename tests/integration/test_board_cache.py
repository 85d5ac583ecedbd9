"""The pipeline board is cached whole per viewer under its requisition's page version
(``hiring.page_cache``, bumped by database triggers): every change to a card shows on the next
request, time alone changes days in stage and stuck badges, and a cached board costs the same
queries at any size."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from candidates.models import Application
from dashboards import board as board_module
from tests.factories import (
    ApplicationFactory,
    RequisitionFactory,
    UserFactory,
    bulk_applications,
    stage_of,
)

#: Session, user, zone and roles, the requisition with its page version.
BOARD_QUERIES = 4


@pytest.fixture
def board(client):
    manager = UserFactory(hiring_manager=True)
    requisition = RequisitionFactory(hiring_manager=manager)
    application = ApplicationFactory(
        requisition=requisition, candidate__first_name="Ada", candidate__last_name="Okafor"
    )
    client.force_login(manager)
    url = reverse("hiring:requisition_board", args=[requisition.pk])
    return client, url, requisition, application


@pytest.mark.parametrize("count", [1, 200])
def test_a_cached_board_costs_the_same_queries_at_any_size(board, count, django_assert_num_queries):
    client, url, requisition, _application = board
    bulk_applications(requisition, count)
    client.get(url)
    with django_assert_num_queries(BOARD_QUERIES):
        response = client.get(url)
    assert response.content.count(b'class="card-item') == count + 1


def test_a_renamed_candidate_shows_on_the_next_request(board):
    client, url, _requisition, application = board
    assert b"Ada Okafor" in client.get(url).content
    application.candidate.first_name = "Adaeze"
    application.candidate.save()
    assert b"Adaeze Okafor" in client.get(url).content


def test_a_moved_application_changes_column_on_the_next_request(board):
    client, url, requisition, application = board
    client.get(url)
    screen = stage_of(requisition, "screen")
    Application.objects.filter(pk=application.pk).update(stage=screen)
    html = client.get(url).content.decode()
    column = html[html.index(f'id="stage-{screen.pk}"') :]
    assert "Ada Okafor" in column[: column.index("</section>")]


def test_days_in_stage_and_stuck_change_when_a_day_passes_although_nothing_was_written(board):
    client, url, requisition, application = board
    screen = stage_of(requisition, "screen")
    screen.stuck_after_days = 3
    screen.save()
    entered = timezone.now() - dt.timedelta(days=3, hours=-1)  # 2 days 23 hours ago
    Application.objects.filter(pk=application.pk).update(stage=screen, stage_entered_at=entered)
    html = client.get(url).content.decode()
    assert "2 days in stage" in html
    assert "Stuck</span>" not in html
    with time_machine.travel(timezone.now() + dt.timedelta(hours=2)):
        html = client.get(url).content.decode()
    assert "3 days in stage" in html
    assert "Stuck</span>" in html


def test_an_unchanged_board_is_served_from_the_cache_without_building_its_cards(board, monkeypatch):
    client, url, _requisition, _application = board
    first = client.get(url).content.decode()
    built = []
    original = board_module.selectors.requisition_board
    monkeypatch.setattr(
        board_module.selectors,
        "requisition_board",
        lambda **kwargs: built.append(kwargs) or original(**kwargs),
    )
    again = client.get(url).content.decode()
    assert built == []
    board_html = first[first.index('<div class="board"') :]
    assert board_html[: board_html.index("</main>")] in again
