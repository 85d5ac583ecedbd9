"""Reliability drills (issue #9): real processes are killed or starved at the worst moment, then
the end state is checked row by row — nothing lost, nothing doubled.

* a ``manage.py qcluster`` worker (or the whole cluster) is SIGKILLed in the middle of the
  silence sweep, while it sends the digest, and in the middle of an IMAP batch;
* ``manage.py ingest_email`` meets a PostgreSQL that refuses, hangs up, is starting up or goes
  away mid-transaction: exit 75 (EX_TEMPFAIL, the MTA keeps the message), then it is stored on
  the retry;
* the same ESP and Twilio webhook is posted 20 times at once to gunicorn (4 workers x 5
  threads): one contact, every answer 200.

How a kill lands mid-way deterministically: instead of racing a timer, the drill holds a lock
(a transaction of its own, in a thread) that the worker needs part-way through — an application
the sweep's second batch rejects, a Rejected stage its COMMIT checks (Django's foreign keys are
deferred), the Message-ID of the k-th message in the mailbox — or a fake SMTP server withholds
its answer. The worker commits everything before that point and waits; the drill finds that
worker by its connection (``pg_blocking_pids`` → client port → psutil) and SIGKILLs exactly that
process. The production code runs unchanged.

The SIGKILLed ``manage.py poll_imap`` command (the cron path) is drilled in
``test_email_entrypoints.py``.

Run only the drills: ``make test ARGS=tests/integration/test_drills.py``.
"""

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import imaplib
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote, urlencode

import psutil
import pytest
from django.db import connection, connections, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ, Schedule, Task
from django_q.tasks import async_task
from twilio.request_validator import RequestValidator

from candidates.models import Application, Candidate, StageTransition, StaleScore
from followups.email_parsing import parse_email
from followups.imap import ImapConfig
from followups.models import (
    Channel,
    Contact,
    ContactSource,
    Direction,
    ImapCheckpoint,
    InboundMessage,
    PersistenceScore,
)
from hiring.models import (
    SilenceAction,
    SilenceDigest,
    SilenceOutcome,
    SilenceTest,
    SilenceTestState,
    Stage,
    StageKind,
)
from scoring.tasks import drain_stale_scores
from silence.services import silence_tests_sweep
from tests.emails import make_email
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    CandidatePhoneFactory,
    RequisitionFactory,
    SilenceTestFactory,
    UserFactory,
    bulk_applications,
    stage_of,
)
from tests.security.helpers import fresh_folder

ROOT = Path(__file__).resolve().parents[2]
#: Every wait polls the database (or a socket) against this deadline; nothing sleeps blindly.
DRILL_DEADLINE_S = 45
#: django-q2's ORM broker hands an unacknowledged task out again ``retry`` seconds after a
#: worker took it. Production: timeout 240 s < retry 300 s; the drills keep timeout < retry at a
#: few seconds so a killed task comes back within the drill.
DRILL_Q_TIMEOUT_S = 10
DRILL_Q_RETRY_S = 12
SWEEP = "silence.tasks.sweep_silence_tests"
POLL_IMAP = "followups.tasks.poll_imap"
#: How killed a cluster gets: only the worker running the task (the sentinel spawns a new one
#: and the cluster lives on), or every process of it (then a new cluster is started).
KILLS = ["worker", "whole cluster"]
#: Where the worker is when it dies: inside its transaction (it rolls back), or waiting for its
#: COMMIT to complete (the commit completes without it).
HELD = ["in its transaction", "in its commit"]


# --- processes and locks ---------------------------------------------------------------------


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def _wait_for(description: str, predicate, deadline_s: float = DRILL_DEADLINE_S):
    deadline = time.monotonic() + deadline_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {deadline_s} s waiting for {description}")
        time.sleep(0.1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class HeldTransaction:
    """A transaction on a connection of its own (in a thread) that keeps the locks ``work``
    takes until ``release()`` rolls it back."""

    class _Release(Exception):
        pass

    def __init__(self, work):
        self._ready, self._released = threading.Event(), threading.Event()
        self._error: BaseException | None = None
        self.backend_pid = 0
        self._thread = threading.Thread(target=self._hold, args=(work,), daemon=True)
        self._thread.start()
        assert self._ready.wait(DRILL_DEADLINE_S), "the held transaction did not start"
        if self._error:
            raise self._error

    def _hold(self, work) -> None:
        try:
            with contextlib.suppress(self._Release), transaction.atomic():
                work()
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    self.backend_pid = cursor.fetchone()[0]
                self._ready.set()
                self._released.wait(2 * DRILL_DEADLINE_S)
                raise self._Release
        except BaseException as exc:
            self._error = exc
            self._ready.set()
        finally:
            connections.close_all()

    def waiters(self) -> list[tuple[int, int]]:
        """``(backend pid, client port)`` of every session waiting for this transaction."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid, client_port FROM pg_stat_activity "
                "WHERE %s = ANY(pg_blocking_pids(pid))",
                [self.backend_pid],
            )
            return cursor.fetchall()

    def release(self) -> None:
        self._released.set()
        self._thread.join(timeout=DRILL_DEADLINE_S)


def _backend_gone(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0] == 0


class ProcessGroup:
    """A server started for a drill (qcluster, gunicorn) in a session of its own, logging to a
    file, so it can be killed whole."""

    def __init__(self, args: list[str], *, env: dict[str, str], log: Path):
        self.log = log
        self._log_file = log.open("wb")
        self.popen = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def process_connected_from(self, client_port: int) -> psutil.Process:
        """The one process of the group that owns the TCP connection from ``client_port``."""
        return self._owner(lambda c: c.laddr.port == client_port)

    def process_connected_to(self, server_port: int) -> psutil.Process:
        """The one process of the group with a TCP connection to ``server_port``."""
        return self._owner(lambda c: c.raddr and c.raddr.port == server_port)

    def _owner(self, connection_matches) -> psutil.Process:
        root = psutil.Process(self.popen.pid)
        owners = []
        for process in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                if any(connection_matches(c) for c in process.net_connections("tcp")):
                    owners.append(process)
        assert len(owners) == 1, f"the connection is owned by {owners}"
        return owners[0]

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=20)
        # Whatever did not stop gracefully must not outlive the test (it holds connections).
        self.kill()
        self._log_file.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _qcluster(tmp_path: Path, name: str, **env) -> ProcessGroup:
    return ProcessGroup(
        [sys.executable, "manage.py", "qcluster"],
        env={
            **os.environ,
            "DATABASE_URL": _database_url(),
            "Q_WORKERS": "2",
            "Q_TIMEOUT": str(DRILL_Q_TIMEOUT_S),
            "Q_RETRY": str(DRILL_Q_RETRY_S),
            "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
            **env,
        },
        log=tmp_path / f"{name}.log",
    )


def _only_this_task_runs() -> None:
    # The minutely schedules (fired 30 s after a cluster starts) would finish the work by a
    # second route; the drills prove that the killed task's redelivery alone completes it.
    Schedule.objects.update(next_run=timezone.now() + dt.timedelta(days=1))


def _kill_where_blocked(cluster: ProcessGroup, lock: HeldTransaction, kill: str) -> int:
    """SIGKILL the worker waiting for ``lock`` (or the whole cluster); its backend pid."""
    waiters = _wait_for("a worker to wait for the locked row", lock.waiters)
    assert len(waiters) == 1, waiters
    backend_pid, client_port = waiters[0]
    if kill == "worker":
        worker = cluster.process_connected_from(client_port)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        assert cluster.popen.poll() is None, "the cluster survives its worker"
    else:
        cluster.kill()
    return backend_pid


def _after_kill(cluster: ProcessGroup, lock: HeldTransaction, backend_pid: int, tmp_path, **env):
    """Let the killed transaction end; the cluster that finishes the job (a new one if the old
    one was killed whole)."""
    lock.release()
    # The orphaned backend goes on: a statement ends, finds its client gone and rolls back; a
    # COMMIT it had already been asked for completes.
    _wait_for("the killed worker's transaction to end", lambda: _backend_gone(backend_pid))
    if cluster.popen.poll() is None:
        return cluster
    return _qcluster(tmp_path, "restarted", **env)


# --- 1. a worker killed mid-sweep ------------------------------------------------------------

SWEEP_BATCH = 20
CLOSING_PER_REQUISITION = 30
WAITING_PER_REQUISITION = 10


def _due_silence_tests(now: dt.datetime) -> tuple[dict[int, str], list[int]]:
    """Two auto-rejecting requisitions, each with tests whose window has closed (every other
    candidate called back) and tests whose deadline has passed. Returns the expected outcome
    by application of the closing tests, and the ids of the waiting ones."""
    manager = UserFactory(hiring_manager=True, email="hm@team.example")
    deadline = now - dt.timedelta(days=6)
    expected, waiting = {}, []
    for n in range(2):
        # The first requisition's windows close first: the sweep's first batch is all its own.
        closes = now - dt.timedelta(minutes=2 - n)
        requisition = RequisitionFactory(hiring_manager=manager)
        stage = stage_of(requisition, StageKind.SILENCE_TEST)
        Stage.objects.filter(pk=stage.pk).update(silence_action=SilenceAction.AUTO_REJECT)
        apps = bulk_applications(
            requisition,
            CLOSING_PER_REQUISITION + WAITING_PER_REQUISITION,
            stage_kind=StageKind.SILENCE_TEST,
        )
        closing, due = apps[:CLOSING_PER_REQUISITION], apps[CLOSING_PER_REQUISITION:]
        SilenceTest.objects.bulk_create(
            SilenceTest(
                application=app,
                stage=stage,
                announced_at=deadline - dt.timedelta(days=3),
                deadline_at=deadline,
                window_closes_at=closes,
                observing_since=deadline,
                time_zone=requisition.time_zone,
                state=SilenceTestState.OBSERVING,
            )
            for app in closing
        )
        waiting += [
            t.pk
            for t in SilenceTest.objects.bulk_create(
                SilenceTest(
                    application=app,
                    stage=stage,
                    announced_at=now - dt.timedelta(days=3),
                    deadline_at=now - dt.timedelta(minutes=1),
                    window_closes_at=now + dt.timedelta(days=3),
                    time_zone=requisition.time_zone,
                )
                for app in due
            )
        ]
        called_back = closing[::2]
        Contact.objects.bulk_create(
            Contact(
                candidate_id=app.candidate_id,
                application=app,
                channel=Channel.PHONE,
                direction=Direction.INBOUND,
                occurred_at=deadline + dt.timedelta(hours=2),
                source=ContactSource.MANUAL,
                summary="Called back with questions about the territory.",
            )
            for app in called_back
        )
        expected |= {app.pk: SilenceOutcome.SILENT for app in closing}
        expected |= {app.pk: SilenceOutcome.REACHED_OUT for app in called_back}
    return expected, waiting


# Where the sweep's worker is held when it is killed, closing the second batch:
# - "in its transaction": the drill locks a silent candidate's application, which the batch
#   moves to Rejected; the kill rolls the whole batch back;
# - "in its commit": the drill locks the second requisition's Rejected stage, which the
#   batch's new stage transitions reference; Django's foreign keys are deferred, so they are
#   checked at COMMIT: the worker has asked to commit and dies before hearing back, and the
#   commit completes without it (nothing after the commit runs in that worker).


@pytest.mark.cluster
@pytest.mark.parametrize("held", HELD)
@pytest.mark.parametrize("kill", KILLS)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sweep_killed_mid_way_advances_every_silence_test_exactly_once(tmp_path, kill, held):
    expected, waiting = _due_silence_tests(timezone.now())
    silent = {app for app, outcome in expected.items() if outcome == SilenceOutcome.SILENT}
    # The sweep closes in (window close, id) order, SWEEP_BATCH a transaction.
    in_order = SilenceTest.objects.filter(application_id__in=expected).order_by(
        "window_closes_at", "id"
    )
    second_batch = list(in_order[SWEEP_BATCH : 2 * SWEEP_BATCH])
    if held == "in its transaction":
        app = next(t.application_id for t in second_batch if t.application_id in silent)
        lock = HeldTransaction(lambda: Application.objects.select_for_update().get(pk=app))
        closed_by_killed = SWEEP_BATCH
    else:
        rejected = stage_of(second_batch[-1].application.requisition, StageKind.REJECTED).pk
        lock = HeldTransaction(lambda: Stage.objects.select_for_update().get(pk=rejected))
        closed_by_killed = 2 * SWEEP_BATCH
    _only_this_task_runs()
    cluster = _qcluster(tmp_path, "cluster")
    try:
        task_id = async_task(SWEEP, SWEEP_BATCH)
        backend_pid = _kill_where_blocked(cluster, lock, kill)

        def closed():
            return SilenceTest.objects.filter(state=SilenceTestState.CLOSED).count()

        assert not SilenceTest.objects.filter(state=SilenceTestState.WAITING).exists()
        assert closed() == SWEEP_BATCH, "killed after the first batch committed"
        cluster = _after_kill(cluster, lock, backend_pid, tmp_path)
        # The batch in flight committed or rolled back whole: none half-closed or half-rejected.
        assert closed() == closed_by_killed
        closed_apps = SilenceTest.objects.filter(state=SilenceTestState.CLOSED).values_list(
            "application_id", flat=True
        )
        assert StageTransition.objects.count() == len(silent & set(closed_apps))
        _wait_for(
            "the redelivered sweep, both digests and every score",
            lambda: (
                Task.objects.filter(id=task_id, success=True).exists()
                and SilenceDigest.objects.filter(sent_at__isnull=False).count() == 2
                and not OrmQ.objects.exists()
            ),
        )
    finally:
        lock.release()
        cluster.stop()
    logs = "".join(p.read_text(errors="replace") for p in tmp_path.glob("*.log"))

    outcomes = dict(
        SilenceTest.objects.filter(application_id__in=expected).values_list(
            "application_id", "outcome"
        )
    )
    assert outcomes == expected
    states = dict(SilenceTest.objects.values_list("state").annotate(n=Count("id")))
    assert states == {
        SilenceTestState.CLOSED: len(expected),
        SilenceTestState.OBSERVING: len(waiting),
    }
    # One rejection per silent candidate: none doubled, none missing.
    moves = dict(StageTransition.objects.values_list("application_id").annotate(n=Count("id")))
    assert moves == dict.fromkeys(silent, 1)
    assert (
        set(Application.objects.filter(stage__kind=StageKind.REJECTED).values_list("id", flat=True))
        == silent
    )
    # One digest per requisition, listing all of its tests, emailed once.
    digests = SilenceDigest.objects.annotate(n=Count("tests"))
    assert sorted(d.n for d in digests) == [CLOSING_PER_REQUISITION] * 2
    assert len(re.findall(r"^Subject: \[Persist\]", logs, flags=re.MULTILINE)) == 2
    # The killed run reported nothing; its redelivery did exactly the rest.
    result = Task.objects.get(id=task_id).result
    assert (result["started"], result["closed"]) == (0, len(expected) - closed_by_killed)
    # The batch whose worker died at COMMIT committed its stale-score marks with it, and its
    # drain after the commit never ran: the minutely drain task recomputes them.
    assert StaleScore.objects.exists() == (held == "in its commit")
    drain_stale_scores()
    assert not StaleScore.objects.exists()
    # Every closed test's score is current, also those of the batch whose worker died at COMMIT.
    scores = PersistenceScore.objects.filter(is_current=True, application_id__in=expected)
    assert dict(scores.values_list("application_id", "outcome")) == expected


class SmtpSink:
    """A minimal SMTP server that records the messages it accepts. While ``stall`` is set it
    never answers the end of DATA: the sender waits with the message sent but not accepted."""

    def __init__(self):
        self.accepted: list[bytes] = []
        self.stall, self.stalled = threading.Event(), threading.Event()
        self.stall.set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _address = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:  # closed
                return
            threading.Thread(target=self._session, args=(client,), daemon=True).start()

    def _session(self, client: socket.socket) -> None:
        with client, client.makefile("rb") as lines:
            client.sendall(b"220 drill ESMTP\r\n")
            for line in lines:
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    client.sendall(b"250 drill\r\n")
                elif verb == b"DATA":
                    client.sendall(b"354 end with <CRLF>.<CRLF>\r\n")
                    message = b"".join(iter(lines.readline, b".\r\n"))
                    if self.stall.is_set():
                        self.stalled.set()
                        while client.recv(1024):  # until the sender is gone
                            pass
                        return
                    self.accepted.append(message)
                    client.sendall(b"250 accepted\r\n")
                elif verb == b"QUIT":
                    client.sendall(b"221 bye\r\n")
                    return
                else:  # MAIL, RCPT, RSET, NOOP
                    client.sendall(b"250 OK\r\n")

    def close(self) -> None:
        self._stopped.set()
        self._listener.close()


@pytest.mark.cluster
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_digest_worker_killed_while_sending_sends_the_digest_once(tmp_path):
    """The sweep's last step, killed: the worker has sent the digest to the mail server, which
    has not accepted it yet (it never answered the end of DATA)."""
    manager = UserFactory(hiring_manager=True, email="hm@team.example")
    requisition = RequisitionFactory(hiring_manager=manager)
    closes = timezone.now() - dt.timedelta(minutes=1)
    SilenceTestFactory.create_batch(
        2, closing=True, window_closes_at=closes, application__requisition=requisition
    )
    _only_this_task_runs()
    sink = SmtpSink()
    cluster = _qcluster(
        tmp_path,
        "cluster",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(sink.port),
    )
    try:
        # The sweep commits the digest and queues its sending.
        (digest_id,) = silence_tests_sweep(now=timezone.now()).digests
        assert sink.stalled.wait(DRILL_DEADLINE_S), "the digest was not sent"
        worker = cluster.process_connected_to(sink.port)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        # Not accepted by the mail server, so not sent: the redelivered task must send it.
        assert SilenceDigest.objects.get(pk=digest_id).sent_at is None
        sink.stall.clear()
        _wait_for(
            "the redelivered digest task",
            lambda: Task.objects.filter(name=f"silence-digest-{digest_id}", success=True).exists(),
        )
    finally:
        cluster.stop()
        sink.close()
    assert len(sink.accepted) == 1
    assert b"Subject: [Persist]" in sink.accepted[0]
    digest = SilenceDigest.objects.get(pk=digest_id)
    assert (digest.recipient, digest.failure) == ("hm@team.example", "")
    assert digest.sent_at is not None
    assert Task.objects.get(name=f"silence-digest-{digest_id}").result is True


# --- 2. a worker killed mid-IMAP-batch -------------------------------------------------------

IMAP_MESSAGES = 40
#: The message (1-based, in UID order) at which the drill holds the worker.
IMAP_HELD_MESSAGE = 15


def _unseen(config: ImapConfig) -> list[bytes]:
    client = imaplib.IMAP4(config.host, config.port)
    client.login(config.user, config.password)
    client.select(config.folder)
    unseen = client.uid("SEARCH", None, "UNSEEN")[1][0].split()
    client.logout()
    return unseen


# Where the poll's worker is held when it is killed, working on message 15:
# - "in its transaction": the same message is being stored by a concurrent delivery (an
#   uncommitted twin row), so the worker waits on the unique Message-ID index; the kill rolls
#   message 15 back and it is fetched again;
# - "in its commit": the candidate's row is locked, and Django's deferred foreign keys are
#   checked at COMMIT, so the worker has asked to commit and dies before hearing back; the
#   commit completes, message 15 is stored and not fetched again, but never got its Seen flag
#   from the dead worker.


@pytest.mark.cluster
@pytest.mark.parametrize("held", HELD)
@pytest.mark.parametrize("kill", KILLS)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_imap_poll_killed_mid_batch_stores_every_message_exactly_once(
    imap_server, tmp_path, kill, held
):
    requisition = RequisitionFactory()
    apps = bulk_applications(requisition, IMAP_MESSAGES)
    senders = [app.candidate.emails.get().address for app in apps]
    messages = [
        make_email(from_=sender, subject=f"Follow-up {i}") for i, sender in enumerate(senders)
    ]
    config = fresh_folder(imap_server, "drill-" + re.sub(r"\W+", "-", f"{kill}-{held}"), messages)
    imap_env = {
        "IMAP_HOST": config.host,
        "IMAP_PORT": str(config.port),
        "IMAP_SSL": "false",
        "IMAP_USER": config.user,
        "IMAP_PASSWORD": config.password,
        "IMAP_FOLDER": config.folder,
    }
    before = IMAP_HELD_MESSAGE - 1
    # Message 15 is stored by the killed worker only if it was already committing.
    stored_by_killed = before + (held == "in its commit")
    _only_this_task_runs()
    if held == "in its transaction":
        twin = parse_email(messages[before])
        lock = HeldTransaction(
            lambda: InboundMessage.objects.create(
                message_id=twin.message_id,
                fingerprint="a concurrent delivery of message 15",
                source=ContactSource.WEBHOOK,
                received_at=timezone.now(),
                size=0,
                raw=b"",
            )
        )
    else:
        candidate = apps[before].candidate_id
        lock = HeldTransaction(lambda: Candidate.objects.select_for_update().get(pk=candidate))

    def checkpoint() -> int:
        return ImapCheckpoint.objects.get(mailbox=config.mailbox_key).last_uid

    cluster = _qcluster(tmp_path, "cluster", **imap_env)
    try:
        task_id = async_task(POLL_IMAP)
        backend_pid = _kill_where_blocked(cluster, lock, kill)
        assert (Contact.objects.count(), checkpoint()) == (before, before)
        cluster = _after_kill(cluster, lock, backend_pid, tmp_path, **imap_env)
        # The message and its checkpoint commit together, or neither does.
        assert (Contact.objects.count(), checkpoint()) == (stored_by_killed, stored_by_killed)
        _wait_for(
            "the redelivered poll",
            lambda: Task.objects.filter(id=task_id, success=True).exists(),
        )
    finally:
        lock.release()
        cluster.stop()

    assert InboundMessage.objects.count() == IMAP_MESSAGES
    per_candidate = dict(
        Contact.objects.filter(source=ContactSource.IMAP)
        .values_list("candidate_id")
        .annotate(n=Count("id"))
    )
    assert per_candidate == {app.candidate_id: 1 for app in apps}
    assert checkpoint() == IMAP_MESSAGES
    assert _unseen(config) == []
    # The redelivered poll resumed at the checkpoint: nothing fetched twice.
    result = Task.objects.get(id=task_id).result
    rest = IMAP_MESSAGES - stored_by_killed
    assert (result["fetched"], result["stored"], result["duplicates"]) == (rest, rest, 0)


# --- 3. PostgreSQL unavailable while ingest_email runs ----------------------------------------

#: The startup requests a client sends before its startup packet (SSL, GSSAPI encryption).
SSL_REQUEST, GSSENC_REQUEST = 80877103, 80877104
STARTING_UP = b"SFATAL\0VFATAL\0C57P03\0Mthe database system is starting up\0\0"


class FakePostgres:
    """A TCP listener failing connections the way a PostgreSQL that is not there (yet) does:
    hanging up at once (it crashed), or refusing the login while it starts up."""

    def __init__(self, behaviour: str):
        self._behaviour = behaviour
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _address = self._listener.accept()
            except TimeoutError:
                continue
            with client:
                if self._behaviour == "is starting up":
                    self._refuse_login(client)

    @staticmethod
    def _refuse_login(client: socket.socket) -> None:
        client.settimeout(DRILL_DEADLINE_S)
        while True:
            header = client.recv(8, socket.MSG_WAITALL)
            if len(header) < 8:
                return
            length, code = struct.unpack("!ii", header)
            client.recv(length - 8, socket.MSG_WAITALL)
            if code not in (SSL_REQUEST, GSSENC_REQUEST):
                client.sendall(b"E" + struct.pack("!i", len(STARTING_UP) + 4) + STARTING_UP)
                return
            client.sendall(b"N")  # no SSL / GSSAPI: go on in plain text

    def close(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        self._listener.close()


def _ingest_email(raw: bytes, *, database_url: str) -> subprocess.Popen:
    """``manage.py ingest_email`` as the MTA pipes a message to it."""
    with tempfile.TemporaryFile() as message:
        message.write(raw)
        message.seek(0)
        # The child gets its own copy of the descriptor: closing ours does not end its input.
        return subprocess.Popen(
            [sys.executable, "manage.py", "ingest_email"],
            cwd=ROOT,
            env=dict(os.environ, DATABASE_URL=database_url),
            stdin=message,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )


def _finish(process: subprocess.Popen) -> tuple[int, str]:
    _out, err = process.communicate(timeout=DRILL_DEADLINE_S)
    return process.returncode, err.decode(errors="replace")


#: How PostgreSQL is unavailable, and the reason ingest_email must give on stderr.
DATABASE_DOWN = {
    "refuses connections": "Connection refused",
    "hangs up": "server closed the connection unexpectedly",
    "is starting up": "the database system is starting up",
    "goes away mid-transaction": "terminating connection due to administrator command",
}


@pytest.mark.parametrize("down", DATABASE_DOWN)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ingest_email_exits_75_while_the_database_is_unavailable_and_stores_on_retry(down):
    candidate = CandidateFactory(email="dana.whitfield@example.com")
    raw = make_email(from_="dana.whitfield@example.com", subject="Territory plan")
    if down == "goes away mid-transaction":
        # The same message is being stored by another delivery: the pipe waits on the unique
        # Message-ID index inside its transaction, and there its database connection dies (a
        # restart, a failover).
        twin = parse_email(raw)
        lock = HeldTransaction(
            lambda: InboundMessage.objects.create(
                message_id=twin.message_id,
                fingerprint="a concurrent delivery",
                source=ContactSource.WEBHOOK,
                received_at=timezone.now(),
                size=0,
                raw=b"",
            )
        )
        try:
            process = _ingest_email(raw, database_url=_database_url())
            (backend_pid, _port), *_others = _wait_for("the pipe to wait", lock.waiters)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [backend_pid])
            code, stderr = _finish(process)
        finally:
            lock.release()
    else:
        fake = None if down == "refuses connections" else FakePostgres(down)
        port = fake.port if fake else _free_port()  # nothing listens on a released port
        try:
            code, stderr = _finish(
                _ingest_email(raw, database_url=f"postgres://postgres@127.0.0.1:{port}/persist")
            )
        finally:
            if fake:
                fake.close()
    # EX_TEMPFAIL: the MTA keeps the message in its queue and delivers it again later.
    assert code == 75, stderr
    assert "<stdin>: database unavailable, try again later" in stderr
    assert DATABASE_DOWN[down] in stderr
    assert not InboundMessage.objects.exists()

    code, stderr = _finish(_ingest_email(raw, database_url=_database_url()))
    assert code == 0, stderr
    assert InboundMessage.objects.count() == 1
    assert Contact.objects.get().candidate == candidate


# --- 4. the same webhook posted 20 times at once ---------------------------------------------

WEBHOOK_POSTS = 20
WEBHOOK_SECRET = "persist:drill-webhook-secret"
MAILGUN_KEY = "key-drill-mailgun-signing"
TWILIO_TOKEN = "drill-twilio-auth-token"
CANDIDATE_NUMBER = "+16502530000"


@pytest.fixture(scope="module")
def web_server(django_db_setup, tmp_path_factory):
    """gunicorn as deployed, with 4 workers x 5 threads: 20 requests really handled at once, in
    four processes, on twenty database connections."""
    port = _free_port()
    server = ProcessGroup(
        [
            *(sys.executable, "-m", "gunicorn", "config.wsgi"),
            *("--workers", "4", "--threads", "5", "--bind", f"127.0.0.1:{port}"),
        ],
        env=dict(
            os.environ,
            DATABASE_URL=_database_url(),
            ALLOWED_HOSTS="127.0.0.1",
            ANYMAIL_WEBHOOK_SECRET=WEBHOOK_SECRET,
            MAILGUN_WEBHOOK_SIGNING_KEY=MAILGUN_KEY,
            TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
            PUBLIC_BASE_URL="",
        ),
        log=tmp_path_factory.mktemp("gunicorn") / "gunicorn.log",
    )
    base_url = f"http://127.0.0.1:{port}"

    def serving() -> bool:
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        _wait_for("gunicorn to serve", serving)
        yield base_url
    finally:
        server.stop()


def _post_at_once(url: str, body: bytes, headers: dict[str, str]) -> list[tuple[int, bytes]]:
    """POST the identical request WEBHOOK_POSTS times, released together; (status, body) each."""
    barrier = threading.Barrier(WEBHOOK_POSTS)

    def post(_n):
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        barrier.wait(timeout=DRILL_DEADLINE_S)
        try:
            with urllib.request.urlopen(request, timeout=DRILL_DEADLINE_S) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    with ThreadPoolExecutor(WEBHOOK_POSTS) as pool:
        return list(pool.map(post, range(WEBHOOK_POSTS)))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_inbound_email_posted_20_times_at_once_is_one_contact(web_server):
    candidate = CandidateFactory(email="dana.whitfield@example.com")
    raw = make_email(from_="dana.whitfield@example.com", subject="Territory plan for Q1")
    timestamp, token = str(int(time.time())), "d" * 50
    fields = {
        "body-mime": raw.decode(),
        "recipient": "jobs@persist.example",
        "sender": "dana.whitfield@example.com",
        "timestamp": timestamp,
        "token": token,
        "signature": hmac.new(
            MAILGUN_KEY.encode(), f"{timestamp}{token}".encode(), hashlib.sha256
        ).hexdigest(),
    }
    answers = _post_at_once(
        web_server + reverse("followups:inbound_email_webhook", args=["mailgun"]),
        urlencode(fields).encode(),
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": "Basic " + base64.b64encode(WEBHOOK_SECRET.encode()).decode(),
        },
    )
    # Duplicates answer 200 too: the ESP retries anything else.
    assert [status for status, _body in answers] == [200] * WEBHOOK_POSTS, answers
    contact = Contact.objects.get()
    assert (contact.candidate, contact.source) == (candidate, ContactSource.WEBHOOK)
    assert contact.subject == "Territory plan for Q1"
    assert InboundMessage.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_twilio_sms_posted_20_times_at_once_is_one_contact(web_server):
    application = ApplicationFactory()
    CandidatePhoneFactory(candidate=application.candidate, number=CANDIDATE_NUMBER)
    sid = "SM" + "d" * 32
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": CANDIDATE_NUMBER,
        "To": "+14155550199",
        "ToCountry": "US",
        "Body": "Hi Morgan, I sketched a territory plan. Can we talk Thursday?",
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }
    url = web_server + reverse("followups:twilio_sms_webhook")
    answers = _post_at_once(
        url,
        urlencode(params).encode(),
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": RequestValidator(TWILIO_TOKEN).compute_signature(url, params),
        },
    )
    # Duplicates answer 200 with empty TwiML too: Twilio retries anything else.
    assert {(status, body.decode()[-11:]) for status, body in answers} == {(200, "<Response/>")}
    contact = Contact.objects.get()
    assert (contact.channel, contact.external_id) == (Channel.SMS, sid)
    assert contact.application == application
