"""The home page per role, with a constant number of queries."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from followups.quality import promise_record
from hiring.models import SilenceTestState
from tests.emails import make_email
from tests.factories import (
    ApplicationFactory,
    PipelineFactory,
    RequisitionFactory,
    SilenceTestFactory,
    UserFactory,
    bulk_applications,
)


def _populate(manager, recruiter, rows):
    req = RequisitionFactory(hiring_manager=manager, recruiters=[recruiter])
    # Bulk rows (stuck applications) at full size; a few of each kind of card row on top.
    bulk_applications(req, rows, stage_kind="screen")
    for _ in range(min(rows, 12)):
        SilenceTestFactory(
            closing=True,
            application__requisition=req,
            state=SilenceTestState.CLOSED,
            outcome="silent",
        )
        SilenceTestFactory(
            application__requisition=req,
            deadline_at=timezone.now() + dt.timedelta(days=2),
        )
        app = ApplicationFactory(requisition=req, stuck=True)
        promise_record(
            application=app,
            description="Call back Monday",
            due_at=timezone.now() + dt.timedelta(hours=5),
            now=timezone.now(),
        )
    return req


@pytest.mark.parametrize("rows", [5, 500])
def test_hiring_manager_home_lists_decisions_and_deadlines_in_constant_queries(
    client, rows, django_assert_max_num_queries
):
    manager, recruiter = UserFactory(hiring_manager=True), UserFactory(recruiter=True)
    _populate(manager, recruiter, rows)
    _populate(UserFactory(hiring_manager=True), UserFactory(recruiter=True), 2)  # not theirs
    client.force_login(manager)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("hiring:home"))
    text = response.text
    assert "Needs your decision" in text
    assert "Recommend No — don" in text
    assert text.count("Silent") == min(rows, 10)
    assert "Deadlines this week" in text
    assert "Stuck applications" not in text  # a recruiter's card


@pytest.mark.parametrize("rows", [5, 500])
def test_recruiter_home_shows_queue_promises_and_stuck_in_constant_queries(
    client, rows, django_assert_max_num_queries
):
    from followups.services import email_ingest

    manager, recruiter = UserFactory(hiring_manager=True), UserFactory(recruiter=True)
    _populate(manager, recruiter, rows)
    email_ingest(raw=make_email(from_="nobody@example.net"), source="pipe", now=timezone.now())
    client.force_login(recruiter)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("hiring:home"))
    text = response.text
    assert "1</strong> unmatched contact" in text
    assert text.count("Call back Monday") == min(rows, 10)
    assert ("in all" in text) == (rows > 10)
    assert "Needs your decision" not in text


def test_admin_home_reports_configuration_health(client):
    PipelineFactory(name="No silence here", stages=[("Applied", "applied", None)])
    RequisitionFactory(title="Orphan requisition")
    client.force_login(UserFactory(admin=True, is_superuser=True))
    text = client.get(reverse("hiring:home")).text
    assert "No silence here" in text
    assert "has no silence-test stage" in text
    assert "Orphan requisition" in text


def test_empty_home_says_so(client):
    client.force_login(UserFactory(recruiter=True))
    text = client.get(reverse("hiring:home")).text
    assert "The unmatched queue is empty" in text
    assert "Nothing is stuck" in text


def test_hiring_manager_cards_keep_their_order_and_only_the_managers_own_tests(client):
    manager = UserFactory(hiring_manager=True)
    req = RequisitionFactory(hiring_manager=manager)
    now = timezone.now()

    def decision(name, outcome, closed_days_ago, requisition=req):
        SilenceTestFactory(
            closing=True,
            application__requisition=requisition,
            application__candidate__last_name=name,
            state=SilenceTestState.CLOSED,
            outcome=outcome,
            closed_at=now - dt.timedelta(days=closed_days_ago),
        )

    def deadline(name, in_days, requisition=req):
        SilenceTestFactory(
            application__requisition=requisition,
            application__candidate__last_name=name,
            deadline_at=now + dt.timedelta(days=in_days),
        )

    # Created out of order, so that neither id nor insertion order can pass for the order.
    decision("Silentolder", "silent", 3)
    decision("Reachedout", "reached_out", 5)
    decision("Silentnewer", "silent", 1)
    deadline("Dueinthree", 3)
    deadline("Dueinone", 1)
    deadline("Dueintwo", 2)
    elsewhere = RequisitionFactory()
    decision("Notyours", "reached_out", 1, requisition=elsewhere)
    deadline("Notyourseither", 1, requisition=elsewhere)
    client.force_login(manager)
    text = client.get(reverse("hiring:home")).text
    order = ["Reachedout", "Silentnewer", "Silentolder", "Dueinone", "Dueintwo", "Dueinthree"]
    positions = [text.index(name) for name in order]
    assert positions == sorted(positions)
    assert "Notyours" not in text
