"""End to end: a real django-q2 cluster (ORM broker on PostgreSQL) runs the minutely sweeper
schedule while time-machine moves the clock through one silence test week.

The cluster's processes are forked from this one, so they inherit the travelled clock; each
phase starts a fresh cluster at the new instant, waits for the schedule to fire and stops it.
"""

import datetime as dt
import signal
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connections
from django_q.brokers import get_broker
from django_q.cluster import Cluster
from django_q.conf import Conf
from django_q.models import Schedule, Task

from followups.models import Direction
from followups.services import contact_log
from hiring.models import SilenceDigest, SilenceOutcome, SilenceTest, SilenceTestState
from hiring.schedules import SILENCE_SWEEPER
from silence.services import silence_test_announce
from tests.factories import ApplicationFactory, RequisitionFactory, UserFactory

LA = ZoneInfo("America/Los_Angeles")
CLUSTER_WAIT_S = 60
SWEEP = "silence.tasks.sweep_silence_tests"
DIGEST = "silence.tasks.send_silence_digest"


def _run_cluster_at(instant: dt.datetime, *, until) -> None:
    """Start a cluster with the clock at ``instant``, wait for ``until()``, stop the cluster."""
    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    # Forked children must not share this process's database socket.
    connections.close_all()
    with time_machine.travel(instant, tick=True):
        cluster = Cluster(get_broker())
        cluster.start()
        try:
            deadline = time.monotonic() + CLUSTER_WAIT_S
            while not until():
                if time.monotonic() > deadline:
                    pytest.fail(f"cluster did not get there by {instant.isoformat()}")
                time.sleep(0.3)
        finally:
            cluster.stop()
            signal.signal(signal.SIGINT, handlers[0])
            signal.signal(signal.SIGTERM, handlers[1])


def _sweeps_done() -> int:
    return Task.objects.filter(func=SWEEP, success=True).count()


@pytest.mark.cluster
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_silence_test_week_runs_on_a_real_cluster(settings, tmp_path, monkeypatch):
    # The first guard cycle runs the scheduler at once (django-q2 runs it every 30 s of cycles),
    # so each phase takes seconds rather than half a minute.
    monkeypatch.setattr(Conf, "GUARD_CYCLE", 30)
    # The worker is another process: mail goes to files this test can read.
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)

    manager = UserFactory(hiring_manager=True, email="hm@team.example")
    req = RequisitionFactory(hiring_manager=manager, los_angeles=True)
    eager = ApplicationFactory(requisition=req, at_silence_test=True)
    quiet = ApplicationFactory(requisition=req, at_silence_test=True)
    wednesday = dt.datetime(2026, 11, 18, 10, 0, tzinfo=LA)
    tests = [
        silence_test_announce(
            application=app,
            announced_by=manager,
            recorded_by=manager,
            announced_at=wednesday,
            now=wednesday,
        )
        for app in (eager, quiet)
    ]
    friday_five = dt.datetime(2026, 11, 20, 17, 0, tzinfo=LA)
    assert {t.deadline_at for t in tests} == {friday_five}
    with time_machine.travel(wednesday):
        call_command("setup_schedules")
    assert Schedule.objects.filter(name=SILENCE_SWEEPER).count() == 1
    # The migration created the schedule at today's real time; this week lies in the past.
    Schedule.objects.filter(name=SILENCE_SWEEPER).update(next_run=wednesday)

    def states():
        return sorted(SilenceTest.objects.values_list("state", flat=True))

    # Friday 16:59 local: the sweeper runs, nothing is due yet.
    _run_cluster_at(friday_five - dt.timedelta(minutes=1), until=lambda: _sweeps_done() >= 1)
    assert states() == [SilenceTestState.WAITING] * 2

    # Friday 17:00:30 local: both tests observe.
    _run_cluster_at(friday_five + dt.timedelta(seconds=30), until=lambda: _sweeps_done() >= 2)
    assert states() == [SilenceTestState.OBSERVING] * 2

    # Monday 09:12: the eager candidate calls, unprompted.
    monday = dt.datetime(2026, 11, 23, 9, 12, tzinfo=LA)
    contact_log(
        application=eager,
        channel="phone",
        direction=Direction.INBOUND,
        occurred_at=monday,
        summary="Called with a 30-60-90 day plan.",
        logged_by=manager,
        now=monday,
    )

    # Thanksgiving 00:01 local: the window (Mon to Wed) has closed; the digest goes out once.
    after_window = dt.datetime(2026, 11, 26, 0, 1, tzinfo=LA)
    _run_cluster_at(
        after_window,
        until=lambda: Task.objects.filter(func=DIGEST, success=True).exists(),
    )
    outcomes = dict(SilenceTest.objects.values_list("application_id", "outcome"))
    assert outcomes == {eager.pk: SilenceOutcome.REACHED_OUT, quiet.pk: SilenceOutcome.SILENT}
    digest = SilenceDigest.objects.get()
    assert digest.sent_at is not None
    assert digest.recipient == "hm@team.example"
    mails = list(Path(tmp_path).iterdir())
    assert len(mails) == 1
    body = mails[0].read_text()
    assert "1 reached out, 1 silent" in body
    assert quiet.candidate.full_name in body.split("Stayed silent")[1]

    # Another run of the schedule later changes nothing and sends nothing more.
    _run_cluster_at(after_window + dt.timedelta(hours=1), until=lambda: _sweeps_done() >= 4)
    assert dict(SilenceTest.objects.values_list("application_id", "outcome")) == outcomes
    assert len(list(Path(tmp_path).iterdir())) == 1
