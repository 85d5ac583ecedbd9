"""Silence tests: announcing, the sweep (idempotent, concurrent-safe), outcomes, digest,
contamination, and the pages that show them."""

import datetime as dt
import html
import threading
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ

from candidates.models import StageTransition
from candidates.services import application_move
from followups.models import Contact, Direction, PersistenceScore
from hiring.models import (
    SilenceAction,
    SilenceDigest,
    SilenceOutcome,
    SilenceTest,
    SilenceTestState,
    StageKind,
)
from scoring.scores import score_for, weights_current
from silence.services import (
    _digests_release,
    silence_digest_send,
    silence_test_announce,
    silence_tests_sweep,
)
from tests.factories import (
    ApplicationFactory,
    ContactFactory,
    RequisitionFactory,
    SilenceTestFactory,
    UserFactory,
    stage_of,
)

LA = ZoneInfo("America/Los_Angeles")
UTC = dt.UTC


def _state(test):
    test.refresh_from_db()
    return test.state, test.outcome


# --- announcing -----------------------------------------------------------------------------


def test_announcing_on_wednesday_sets_the_deadline_to_friday_five_pm_local():
    req = RequisitionFactory(los_angeles=True)
    app = ApplicationFactory(requisition=req, at_silence_test=True)
    announced = dt.datetime(2026, 11, 18, 11, 0, tzinfo=LA)
    test = silence_test_announce(
        application=app,
        announced_by=req.hiring_manager,
        recorded_by=req.hiring_manager,
        announced_at=announced,
        now=announced,
    )
    assert test.deadline_at == dt.datetime(2026, 11, 20, 17, 0, tzinfo=LA)
    # Window: Mon 23, Tue 24, Wed 25 → closes at the start of Thanksgiving, Thu 26.
    assert test.window_closes_at == dt.datetime(2026, 11, 26, 0, 0, tzinfo=LA)
    assert test.state == SilenceTestState.WAITING
    assert test.time_zone == "America/Los_Angeles"


def test_deadline_uses_the_stage_configuration():
    req = RequisitionFactory(berlin=True)
    app = ApplicationFactory(requisition=req, at_silence_test=True)
    stage = app.stage
    stage.silence_weekday = 0  # Monday
    stage.silence_local_time = dt.time(9, 30)
    stage.silence_lead_hours = 24
    stage.save()
    berlin = ZoneInfo("Europe/Berlin")
    announced = dt.datetime(2026, 11, 19, 15, 0, tzinfo=berlin)  # Thursday
    test = silence_test_announce(
        application=app,
        announced_by=None,
        recorded_by=req.hiring_manager,
        announced_at=announced,
        now=announced,
    )
    assert test.deadline_at == dt.datetime(2026, 11, 23, 9, 30, tzinfo=berlin)


def test_reannouncing_a_waiting_test_replaces_it():
    req = RequisitionFactory(los_angeles=True)
    app = ApplicationFactory(requisition=req, at_silence_test=True)
    first = dt.datetime(2026, 11, 16, 10, 0, tzinfo=LA)  # Monday
    second = dt.datetime(2026, 11, 19, 10, 0, tzinfo=LA)  # Thursday: < 48 h → next Friday
    kwargs = {"application": app, "announced_by": None, "recorded_by": req.hiring_manager}
    silence_test_announce(**kwargs, announced_at=first, now=first)
    test = silence_test_announce(**kwargs, announced_at=second, now=second)
    assert SilenceTest.objects.filter(application=app).count() == 1
    assert test.deadline_at == dt.datetime(2026, 11, 27, 17, 0, tzinfo=LA)


def test_an_observing_test_cannot_be_reannounced():
    test = SilenceTestFactory(observing=True)
    with pytest.raises(ValidationError, match="already running"):
        silence_test_announce(
            application=test.application,
            announced_by=None,
            recorded_by=None,
            announced_at=timezone.now(),
            now=timezone.now(),
        )


def test_announcing_outside_the_silence_stage_is_refused():
    app = ApplicationFactory(interviewing=True)
    with pytest.raises(ValidationError, match="does not run a silence test"):
        silence_test_announce(
            application=app,
            announced_by=None,
            recorded_by=None,
            announced_at=timezone.now(),
            now=timezone.now(),
        )


def test_announcing_in_the_future_is_refused():
    app = ApplicationFactory(at_silence_test=True)
    now = timezone.now()
    with pytest.raises(ValidationError, match="future"):
        silence_test_announce(
            application=app,
            announced_by=None,
            recorded_by=None,
            announced_at=now + dt.timedelta(days=1),
            now=now,
        )


def test_database_refuses_a_second_open_test_for_one_application():
    from django.db import IntegrityError, transaction

    test = SilenceTestFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        SilenceTestFactory(application=test.application)


def test_rejecting_the_candidate_cancels_the_open_test():
    test = SilenceTestFactory(observing=True)
    req = test.application.requisition
    application_move(
        application=test.application,
        to_stage=stage_of(req, StageKind.REJECTED),
        actor=req.hiring_manager,
        reason="Took another job",
    )
    test.refresh_from_db()
    assert test.state == SilenceTestState.CANCELLED
    assert "Took another job" in test.cancel_reason


# --- the sweep ------------------------------------------------------------------------------


def test_sweep_starts_observing_at_the_deadline_and_not_before():
    due = SilenceTestFactory(due=True)
    later = SilenceTestFactory()
    result = silence_tests_sweep(now=timezone.now())
    assert result.started == 1
    assert _state(due) == (SilenceTestState.OBSERVING, "")
    assert _state(later) == (SilenceTestState.WAITING, "")
    due.refresh_from_db()
    assert due.observing_since == due.deadline_at


def test_candidate_with_unprompted_follow_up_ends_reached_out():
    test = SilenceTestFactory(closing=True)
    ContactFactory(
        application=test.application, occurred_at=test.deadline_at + dt.timedelta(hours=17)
    )
    silence_tests_sweep(now=timezone.now())
    assert _state(test) == (SilenceTestState.CLOSED, SilenceOutcome.REACHED_OUT)


def test_a_contact_at_exactly_the_deadline_instant_closes_as_reached_out_and_scores(
    django_capture_on_commit_callbacks,
):
    # "If you haven't heard by Friday 5 pm, reach out": an email at 17:00:00 is a follow-up.
    test = SilenceTestFactory(closing=True)
    ContactFactory(application=test.application, occurred_at=test.deadline_at)
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        silence_tests_sweep(now=now)
    assert _state(test) == (SilenceTestState.CLOSED, SilenceOutcome.REACHED_OUT)
    stored = PersistenceScore.objects.get(application=test.application, is_current=True)
    assert stored.outcome == "reached_out"
    assert stored.score >= weights_current().base_reached_out
    fresh = score_for(test.application_id, now=now)
    assert (stored.score, stored.outcome) == (fresh.score, fresh.outcome)


@pytest.mark.parametrize(
    "contact_kwargs",
    [
        pytest.param({"prompted": True}, id="prompted reply"),
        pytest.param({"auto_reply": True}, id="auto-reply"),
        pytest.param({"outbound": True}, id="team's own call"),
        pytest.param({"after_window": True}, id="after the window"),
    ],
)
def test_contacts_that_are_not_persistence_leave_the_candidate_silent(contact_kwargs):
    test = SilenceTestFactory(closing=True)
    before = contact_kwargs.pop("before_deadline", False)
    after = contact_kwargs.pop("after_window", False)
    when = test.deadline_at + dt.timedelta(hours=2)
    if before:
        when = test.deadline_at - dt.timedelta(hours=2)
    if after:
        when = test.window_closes_at + dt.timedelta(seconds=1)
    ContactFactory(application=test.application, occurred_at=when, **contact_kwargs)
    silence_tests_sweep(now=timezone.now() + dt.timedelta(minutes=5))
    assert _state(test) == (SilenceTestState.CLOSED, SilenceOutcome.SILENT)


def test_silent_candidate_is_recommended_no_and_stays_in_stage_by_default():
    test = SilenceTestFactory(closing=True)
    silence_tests_sweep(now=timezone.now())
    test.application.refresh_from_db()
    assert test.application.stage.kind == StageKind.SILENCE_TEST
    assert _state(test) == (SilenceTestState.CLOSED, SilenceOutcome.SILENT)


def test_silent_candidate_is_auto_rejected_with_history_when_the_stage_says_so():
    test = SilenceTestFactory(closing=True)
    test.stage.silence_action = SilenceAction.AUTO_REJECT
    test.stage.save()
    reached = SilenceTestFactory(
        closing=True, application__requisition=test.application.requisition
    )
    ContactFactory(
        application=reached.application, occurred_at=reached.deadline_at + dt.timedelta(hours=1)
    )
    result = silence_tests_sweep(now=timezone.now())
    assert result.auto_rejected == 1
    test.application.refresh_from_db()
    assert test.application.stage.kind == StageKind.REJECTED
    transition = StageTransition.objects.get(application=test.application)
    assert transition.actor is None
    assert "did not reach out" in transition.reason
    reached.application.refresh_from_db()
    assert reached.application.stage.kind == StageKind.SILENCE_TEST


def test_catch_up_after_downtime_advances_overdue_tests_straight_to_closed():
    test = SilenceTestFactory(
        announced_at=timezone.now() - dt.timedelta(days=12),
        deadline_at=timezone.now() - dt.timedelta(days=10),
        window_closes_at=timezone.now() - dt.timedelta(days=6),
    )
    result = silence_tests_sweep(now=timezone.now())
    assert (result.started, result.closed) == (1, 1)
    assert _state(test) == (SilenceTestState.CLOSED, SilenceOutcome.SILENT)


# Where a contact falls relative to the test, and what kind it is: the one-step path (waiting →
# closed, for a test whose window closed before the sweep reached it) and the two-step path
# (waiting → observing, then closed) must decide the same outcome.
_AT = {
    "before the deadline": lambda t: t.deadline_at - dt.timedelta(hours=2),
    "at the deadline": lambda t: t.deadline_at,
    "inside the window": lambda t: t.deadline_at + dt.timedelta(hours=20),
    "at the window close": lambda t: t.window_closes_at,
    "after the window": lambda t: t.window_closes_at + dt.timedelta(seconds=1),
}
REACHED, SILENT = SilenceOutcome.REACHED_OUT, SilenceOutcome.SILENT
EARLY, WITHDREW = SilenceOutcome.EARLY_ONLY, SilenceOutcome.WITHDREW


@pytest.mark.parametrize(
    ("at", "kind", "expected"),
    [
        ("inside the window", {}, REACHED),
        ("at the window close", {}, REACHED),
        ("at the deadline", {}, REACHED),
        ("before the deadline", {}, EARLY),
        ("before the deadline", {"prompted": True}, SILENT),
        ("before the deadline", {"opt_out": True}, WITHDREW),
        ("after the window", {}, SILENT),
        ("inside the window", {"prompted": True}, SILENT),
        ("inside the window", {"auto_reply": True}, SILENT),
        ("inside the window", {"outbound": True}, SILENT),
        ("inside the window", {"opt_out": True}, WITHDREW),
        ("inside the window", {"opt_out": True, "prompted": True}, WITHDREW),
        (None, {}, SILENT),
    ],
)
def test_a_test_closed_in_one_step_gets_the_outcome_of_the_two_step_path(at, kind, expected):
    from followups.models import ContactTag

    now = timezone.now()
    req = RequisitionFactory()
    instants = {
        "announced_at": now - dt.timedelta(days=7),
        "deadline_at": now - dt.timedelta(days=5),
        "window_closes_at": now - dt.timedelta(days=1),
        "application__requisition": req,
    }

    def with_contact(test):
        if at is not None:
            options = dict(kind)
            opt_out = options.pop("opt_out", False)
            contact = ContactFactory(
                application=test.application, occurred_at=_AT[at](test), **options
            )
            if opt_out:
                ContactTag.objects.create(contact=contact, tag="opt_out")
        return test

    two_step = with_contact(SilenceTestFactory(**instants))
    # Swept while its window was open: it starts observing.
    assert silence_tests_sweep(now=two_step.deadline_at + dt.timedelta(hours=1)).started == 1
    assert _state(two_step) == (SilenceTestState.OBSERVING, "")
    one_step = with_contact(SilenceTestFactory(**instants))

    result = silence_tests_sweep(now=now)

    assert (result.started, result.closed) == (1, 2)
    assert _state(one_step) == _state(two_step) == (SilenceTestState.CLOSED, expected)
    for test in (one_step, two_step):
        assert (test.observing_since, test.closed_at) == (test.deadline_at, now)
    assert one_step.digest_id == two_step.digest_id == SilenceDigest.objects.get().pk


def test_sweep_in_small_batches_processes_everything(django_assert_max_num_queries):
    tests = SilenceTestFactory.create_batch(7, closing=True)
    result = silence_tests_sweep(now=timezone.now(), batch_size=3)
    assert result.closed == 7
    assert {_state(t) for t in tests} == {(SilenceTestState.CLOSED, SilenceOutcome.SILENT)}


def test_sweep_query_count_does_not_depend_on_the_number_of_due_tests(
    django_assert_max_num_queries,
):
    req = RequisitionFactory()
    closes = timezone.now() - dt.timedelta(minutes=1)
    SilenceTestFactory.create_batch(
        40, closing=True, window_closes_at=closes, application__requisition=req
    )
    # The stage lookup; waiting tests: an empty claim; observing ones: a claim, the digest
    # INSERT, the UPDATE and the inline score refresh (with its writer lock), then an empty
    # claim; the digest release; the company calendar read once by the score refresh. Whatever
    # the number of rows.
    with django_assert_max_num_queries(26):
        result = silence_tests_sweep(now=timezone.now())
    assert result.closed == 40


def test_digest_release_query_count_does_not_depend_on_the_number_of_tests(
    django_assert_num_queries,
):
    closes = timezone.now() - dt.timedelta(minutes=1)
    for n in range(4):
        SilenceTestFactory.create_batch(
            n + 1,
            closing=True,
            window_closes_at=closes - dt.timedelta(days=n),
            application__requisition=RequisitionFactory(),
        )
    now = timezone.now()
    silence_tests_sweep(now=now)  # closes them; the digests come with it
    SilenceDigest.objects.update(queued_at=None)
    OrmQ.objects.all().delete()
    # A savepoint and its release, the ready digests, their UPDATE, the chat-webhook endpoints
    # (integrations: one lookup, whatever the number of digests), one queued task per digest.
    with django_assert_num_queries(5 + 4):
        released = _digests_release(now)
    assert len(released) == 4
    assert OrmQ.objects.count() == 4
    assert SilenceTest.objects.filter(digest__isnull=True).count() == 0


def test_a_group_with_a_test_still_open_gets_its_digest_queued_only_once_all_have_closed():
    req = RequisitionFactory()
    closes = timezone.now() - dt.timedelta(minutes=1)
    closed = SilenceTestFactory(closing=True, window_closes_at=closes, application__requisition=req)
    now = timezone.now()
    silence_tests_sweep(now=now)
    closed.refresh_from_db()
    digest = closed.digest
    # Another test of the same group is still observing (a concurrent sweeper holds it).
    SilenceDigest.objects.update(queued_at=None)
    still = SilenceTestFactory(closing=True, window_closes_at=closes, application__requisition=req)
    assert _digests_release(now) == []
    digest.refresh_from_db()
    assert digest.queued_at is None
    SilenceTest.objects.filter(pk=still.pk).update(
        state=SilenceTestState.CLOSED, outcome=SilenceOutcome.SILENT, closed_at=now, digest=digest
    )
    assert _digests_release(now) == [digest.pk]
    assert _digests_release(now) == []  # queued once
    digest.refresh_from_db()
    assert digest.queued_at == now


def test_a_digest_whose_tests_are_gone_is_never_queued():
    test = SilenceTestFactory(closing=True)
    now = timezone.now()
    silence_tests_sweep(now=now)
    digest = SilenceDigest.objects.get()
    SilenceDigest.objects.update(queued_at=None)
    test.application.delete()  # its tests go with it; the digest stays, empty
    assert _digests_release(now) == []
    digest.refresh_from_db()
    assert digest.queued_at is None


def test_a_group_closed_over_several_batches_gets_one_digest_queued_after_the_last():
    req = RequisitionFactory()
    closes = timezone.now() - dt.timedelta(minutes=1)
    tests = SilenceTestFactory.create_batch(
        7, closing=True, window_closes_at=closes, application__requisition=req
    )
    with CaptureQueriesContext(connection) as captured:
        result = silence_tests_sweep(now=timezone.now(), batch_size=3)
    assert result.closed == 7
    (digest,) = SilenceDigest.objects.all()
    assert result.digests == [digest.pk]
    assert digest.queued_at is not None
    assert {t.digest_id for t in SilenceTest.objects.filter(pk__in=[t.pk for t in tests])} == {
        digest.pk
    }
    # Each test gets its digest in the UPDATE that closes it: no second write attaches it.
    updates = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
    assert not any("digest_id" in sql and '"state" =' not in sql for sql in updates)


def test_sweep_claims_rows_with_skip_locked_before_updating_them(django_assert_max_num_queries):
    SilenceTestFactory.create_batch(2, due=True)
    SilenceTestFactory.create_batch(2, closing=True)
    with CaptureQueriesContext(connection) as captured:
        result = silence_tests_sweep(now=timezone.now())
    assert (result.started, result.closed) == (2, 2)
    claims = [q["sql"] for q in captured.captured_queries if "SKIP LOCKED" in q["sql"]]
    # Waiting tests, then observing ones: each phase claims its batch, then updates it.
    assert sum(sql.startswith("SELECT") for sql in claims) >= 2


def test_running_the_sweep_twice_changes_nothing_the_second_time():
    req = RequisitionFactory()
    closes = timezone.now() - dt.timedelta(minutes=1)
    SilenceTestFactory.create_batch(
        3, closing=True, window_closes_at=closes, application__requisition=req
    )
    SilenceTestFactory.create_batch(2, due=True, application__requisition=req)
    now = timezone.now()
    first = silence_tests_sweep(now=now)
    snapshot = list(SilenceTest.objects.order_by("id").values())
    second = silence_tests_sweep(now=now)
    assert (first.started, first.closed, len(first.digests)) == (2, 3, 1)
    assert (second.started, second.closed, second.digests) == (0, 0, [])
    assert list(SilenceTest.objects.order_by("id").values()) == snapshot
    assert SilenceDigest.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_sweeps_from_two_connections_process_each_test_once():
    req = RequisitionFactory()
    closes = timezone.now() - dt.timedelta(minutes=1)
    SilenceTestFactory.create_batch(
        30, closing=True, window_closes_at=closes, application__requisition=req
    )
    SilenceTestFactory.create_batch(30, due=True, application__requisition=req)
    now = timezone.now()
    results, errors = [], []
    barrier = threading.Barrier(2)

    def sweep():
        try:
            barrier.wait()
            results.append(silence_tests_sweep(now=now, batch_size=5))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(r.started for r in results) == 30
    assert sum(r.closed for r in results) == 30
    assert sum(len(r.digests) for r in results) == 1
    (digest,) = SilenceDigest.objects.annotate(n=Count("tests"))
    # However the two sweepers split the group, one digest lists all 30 and is queued once.
    assert (digest.n, digest.queued_at is not None) == (30, True)
    assert SilenceTest.objects.filter(state=SilenceTestState.OBSERVING).count() == 30
    assert OrmQ.objects.count() == 1  # one digest task queued


# --- digest -----------------------------------------------------------------------------------


def test_one_digest_per_requisition_lists_reached_out_and_silent():
    manager = UserFactory(hiring_manager=True, email="morgan@team.example")
    req = RequisitionFactory(hiring_manager=manager, los_angeles=True)
    closes = timezone.now() - dt.timedelta(minutes=1)
    reached = SilenceTestFactory(
        closing=True, window_closes_at=closes, application__requisition=req
    )
    silent = SilenceTestFactory(closing=True, window_closes_at=closes, application__requisition=req)
    ContactFactory(
        application=reached.application, occurred_at=reached.deadline_at + dt.timedelta(hours=19)
    )
    other_req_test = SilenceTestFactory(closing=True)

    result = silence_tests_sweep(now=timezone.now())
    assert len(result.digests) == 2
    # One queued send per digest, in the transaction that marks it queued.
    assert sorted(q.name() for q in OrmQ.objects.all()) == sorted(
        f"silence-digest-{digest_id}" for digest_id in result.digests
    )

    digest = SilenceDigest.objects.get(requisition=req)
    assert silence_digest_send(digest_id=digest.pk, now=timezone.now()) is True
    assert silence_digest_send(digest_id=digest.pk, now=timezone.now()) is False  # retried task
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["morgan@team.example"]
    assert "1 reached out, 1 silent" in message.subject
    body = message.body
    assert reached.application.candidate.full_name in body.split("Stayed silent")[0]
    assert "19 h after the deadline" in body
    assert silent.application.candidate.full_name in body.split("Stayed silent")[1]
    assert "Don't chase" in body
    assert f"/requisitions/{req.pk}/silence/" in body
    assert f"/requisitions/{req.pk}/ranking/" in body
    assert other_req_test.application.candidate.full_name not in body


def test_digest_without_a_manager_email_records_why(django_capture_on_commit_callbacks):
    req = RequisitionFactory(hiring_manager=UserFactory(email=""))
    SilenceTestFactory(closing=True, application__requisition=req)
    result = silence_tests_sweep(now=timezone.now())
    assert silence_digest_send(digest_id=result.digests[0], now=timezone.now()) is False
    assert "no email address" in SilenceDigest.objects.get().failure
    assert mail.outbox == []


def test_failed_digest_send_releases_the_claim_for_a_retry(monkeypatch):
    SilenceTestFactory(closing=True)
    digest_id = silence_tests_sweep(now=timezone.now()).digests[0]

    def broken(**kwargs):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr("silence.services.send_mail", broken)
    with pytest.raises(ConnectionRefusedError):
        silence_digest_send(digest_id=digest_id, now=timezone.now())
    assert SilenceDigest.objects.get().sent_at is None
    monkeypatch.undo()
    assert silence_digest_send(digest_id=digest_id, now=timezone.now()) is True
    assert len(mail.outbox) == 1


# --- don't chase ------------------------------------------------------------------------------


def _contact_post(direction, confirm=False):
    local = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    data = {"channel": "phone", "direction": direction, "occurred_at": local, "summary": "Hi"}
    if confirm:
        data["confirm_contamination"] = "true"
    return data


def test_logging_an_outbound_contact_while_observing_warns_first(client):
    test = SilenceTestFactory(observing=True)
    req = test.application.requisition
    client.force_login(req.hiring_manager)
    url = reverse("followups:contact_log", args=[test.application.pk])
    response = client.post(url, _contact_post("outbound"))
    assert response.status_code == 200
    assert "Don't chase — the silence test is running" in html.unescape(response.text)
    assert "Log it anyway" in response.text
    assert Contact.objects.count() == 0
    test.refresh_from_db()
    assert not test.is_contaminated

    response = client.post(url, _contact_post("outbound", confirm=True), follow=True)
    assert response.status_code == 200
    test.refresh_from_db()
    assert test.is_contaminated
    assert test.contaminated_by.direction == Direction.OUTBOUND
    assert "Contaminated — not comparable" in response.text
    board = client.get(reverse("hiring:silence_board", args=[req.pk]))
    assert "Contaminated" in board.text


def test_inbound_contact_while_observing_is_logged_without_warning(client):
    test = SilenceTestFactory(observing=True)
    client.force_login(test.application.requisition.hiring_manager)
    response = client.post(
        reverse("followups:contact_log", args=[test.application.pk]), _contact_post("inbound")
    )
    assert response.status_code == 302
    assert Contact.objects.get().direction == Direction.INBOUND
    test.refresh_from_db()
    assert not test.is_contaminated


def test_outbound_contact_while_waiting_does_not_contaminate(client):
    test = SilenceTestFactory()
    client.force_login(test.application.requisition.hiring_manager)
    response = client.post(
        reverse("followups:contact_log", args=[test.application.pk]), _contact_post("outbound")
    )
    assert response.status_code == 302
    test.refresh_from_db()
    assert not test.is_contaminated


# --- pages ----------------------------------------------------------------------------------


def test_announce_page_flow_shows_deadline_in_three_zones(client):
    manager = UserFactory(hiring_manager=True)
    req = RequisitionFactory(hiring_manager=manager, los_angeles=True)
    app = ApplicationFactory(requisition=req, at_silence_test=True)
    app.candidate.time_zone = "Asia/Kolkata"
    app.candidate.save()
    client.force_login(manager)
    client.post(reverse("hiring:profile"), {"time_zone": "Europe/Berlin"})
    now_local = timezone.now().astimezone(ZoneInfo("Europe/Berlin"))
    response = client.post(
        reverse("hiring:silence_announce", args=[app.pk]),
        {"announced_at": now_local.strftime("%Y-%m-%dT%H:%M"), "announced_by": manager.pk},
        follow=True,
    )
    assert response.status_code == 200
    test = SilenceTest.objects.get(application=app)
    assert "Silence test started" in response.text
    text = response.text
    assert test.deadline_at.astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M") in text
    assert "17:00 PST" in text or "17:00 PDT" in text
    assert "(candidate)" in text
    assert "IST" in text


def test_announce_for_another_teams_application_is_404(client):
    app = ApplicationFactory(at_silence_test=True)
    client.force_login(UserFactory(hiring_manager=True))
    response = client.post(
        reverse("hiring:silence_announce", args=[app.pk]),
        {"announced_at": "2026-11-18T10:00", "announced_by": app.requisition.hiring_manager_id},
    )
    assert response.status_code == 404
    assert not SilenceTest.objects.exists()


def test_silence_board_groups_tests_by_state(client, django_assert_max_num_queries):
    req = RequisitionFactory()
    waiting = SilenceTestFactory(application__requisition=req)
    observing = SilenceTestFactory(observing=True, application__requisition=req)
    closed = SilenceTestFactory(
        closing=True,
        application__requisition=req,
        state=SilenceTestState.CLOSED,
        outcome=SilenceOutcome.SILENT,
    )
    client.force_login(req.hiring_manager)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("hiring:silence_board", args=[req.pk]))
    text = response.text
    waiting_part, rest = text.split("Observing", 1)
    observing_part, closed_part = rest.split("Closed", 1)
    assert waiting.application.candidate.full_name in waiting_part
    assert observing.application.candidate.full_name in observing_part
    assert closed.application.candidate.full_name in closed_part
    assert "Recommendation: <strong>No</strong>" in closed_part


def test_a_polite_opt_out_is_a_withdrawal_not_reaching_out_nor_silence():
    from followups.models import ContactTag

    test = SilenceTestFactory(closing=True)
    contact = ContactFactory(
        application=test.application, occurred_at=test.deadline_at + dt.timedelta(hours=3)
    )
    ContactTag.objects.create(contact=contact, tag="opt_out")
    silence_tests_sweep(now=timezone.now())
    assert _state(test) == (SilenceTestState.CLOSED, SilenceOutcome.WITHDREW)


@pytest.mark.parametrize("rows", [5, 500])
def test_silence_board_query_count_is_constant(client, rows, django_assert_max_num_queries):
    from tests.factories import bulk_applications

    req = RequisitionFactory()
    apps = bulk_applications(req, rows, stage_kind=StageKind.SILENCE_TEST)
    now = timezone.now()
    SilenceTest.objects.bulk_create(
        SilenceTest(
            application=app,
            stage=app.stage,
            announced_at=now - dt.timedelta(days=1),
            deadline_at=now + dt.timedelta(days=1),
            window_closes_at=now + dt.timedelta(days=4),
            time_zone=req.time_zone,
        )
        for app in apps
    )
    client.force_login(req.hiring_manager)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("hiring:silence_board", args=[req.pk]))
    assert f'Waiting <span class="count">{rows}</span>' in response.text
