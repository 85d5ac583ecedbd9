"""End to end: the daily retention schedule fires on a real django-q2 cluster (ORM broker on
PostgreSQL) and erases the inactive candidate, not the active one."""

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import Schedule, Task

from hiring.schedules import RETENTION_POLICY
from privacy.models import ErasureReason, ErasureRecord, RetentionPolicy
from tests.factories import CandidateFactory
from tests.integration.test_silence_cluster import _run_cluster_at

RETENTION_TASK = "privacy.tasks.apply_retention_policy"


@pytest.mark.cluster
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_retention_schedule_erases_inactive_candidates_on_a_real_cluster(monkeypatch):
    # The first guard cycle runs the scheduler at once, so the test takes seconds.
    monkeypatch.setattr(Conf, "GUARD_CYCLE", 30)
    now = timezone.now()
    RetentionPolicy.objects.create(anonymise_after_months=6)
    with time_machine.travel(now - dt.timedelta(days=400), tick=False):
        stale = CandidateFactory()
    active = CandidateFactory()
    # Re-asserted as a deployment does: a transactional test before this one may have flushed
    # the migration's rows. Then the first run is made due now.
    call_command("setup_schedules", stdout=io.StringIO())
    assert Schedule.objects.filter(name=RETENTION_POLICY).update(
        next_run=now - dt.timedelta(minutes=1)
    )

    _run_cluster_at(
        now, until=lambda: Task.objects.filter(func=RETENTION_TASK, success=True).exists()
    )

    record = ErasureRecord.objects.get()
    assert (record.candidate_pk, record.reason, record.erased_by) == (
        stale.pk,
        ErasureReason.RETENTION,
        None,
    )
    stale.refresh_from_db()
    assert stale.full_name == f"Erased candidate #{stale.pk}"
    active.refresh_from_db()
    assert not active.full_name.startswith("Erased")
    # The next run is tomorrow: the schedule is daily.
    next_run = Schedule.objects.get(name=RETENTION_POLICY).next_run
    assert next_run > now + dt.timedelta(hours=23)
