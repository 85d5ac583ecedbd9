"""``manage.py lmtp_server`` started as a real process, spoken to with ``smtplib.LMTP`` as an MTA
would (issue #21, item 6). PostgreSQL is made unreachable for the listener only: its
DATABASE_URL goes through a TCP proxy this test controls, which forwards to the real server or
hangs up on every connection (the machine's PostgreSQL keeps running for everyone else)."""

import contextlib
import os
import smtplib
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection

from followups.models import Contact, ContactSource, InboundMessage
from tests.emails import make_email
from tests.factories import CandidateFactory

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_S = 45
CANDIDATE = "dana.whitfield@example.com"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(what: str, condition) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class SwitchableProxy:
    """TCP proxy to PostgreSQL: ``down()`` cuts every open connection and hangs up on new ones
    (PostgreSQL crashed or restarting), ``up()`` forwards again."""

    def __init__(self, host: str, port: int):
        self._target = (host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._forwarding = threading.Event()
        self._forwarding.set()
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _address = self._listener.accept()
            except TimeoutError:
                continue
            if not self._forwarding.is_set():
                client.close()
                continue
            upstream = socket.create_connection(self._target)
            with self._lock:
                self._open += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def down(self) -> None:
        self._forwarding.clear()
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._open.clear()

    def up(self) -> None:
        self._forwarding.set()

    def close(self) -> None:
        self.down()
        self._stopped.set()
        self._thread.join(timeout=5)
        self._listener.close()


class Listener:
    """``manage.py lmtp_server`` on a free port, its DATABASE_URL through ``proxy``."""

    def __init__(self, tmp_path: Path, proxy: SwitchableProxy, **env):
        db = connection.settings_dict
        self.port = _free_port()
        self._log = (tmp_path / "lmtp.log").open("w+b")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "lmtp_server", "--bind", f"127.0.0.1:{self.port}"],
            cwd=ROOT,
            env={
                **os.environ,
                "DATABASE_URL": f"postgres://{db['USER']}@127.0.0.1:{proxy.port}/{db['NAME']}",
                **env,
            },
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        _wait_for("the listener", self._accepting)

    def _accepting(self) -> bool:
        assert self.process.poll() is None, self.output()
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
            return True
        return False

    def client(self) -> smtplib.LMTP:
        lmtp = smtplib.LMTP("127.0.0.1", self.port, timeout=DEADLINE_S)
        lmtp.ehlo("mta.persist.example")  # smtplib.LMTP sends LHLO
        return lmtp

    def output(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def stop(self) -> int:
        self.process.terminate()
        try:
            return self.process.wait(timeout=20)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self._log.close()


@pytest.fixture
def proxy():
    db = connection.settings_dict
    proxy = SwitchableProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    yield proxy
    proxy.close()


@pytest.fixture
def listener(tmp_path, proxy):
    listener = Listener(tmp_path, proxy)
    yield listener
    listener.stop()


def deliver(lmtp: smtplib.LMTP, raw: bytes, recipients=("jobs@persist.example",)):
    """One LMTP transaction; the replies after DATA, one per recipient."""
    assert lmtp.mail("mailer@mx.example")[0] == 250
    for recipient in recipients:
        assert lmtp.rcpt(recipient)[0] == 250
    replies = [lmtp.data(raw)]
    replies += [lmtp.getreply() for _ in recipients[1:]]
    return [(code, text.decode()) for code, text in replies]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_lmtp_stores_a_message_once_however_often_the_mta_redelivers_it(listener):
    candidate = CandidateFactory(email=CANDIDATE)
    raw = make_email(from_=CANDIDATE, subject="Territory plan", message_id="<lmtp-1@mail.example>")
    lmtp = listener.client()
    assert deliver(lmtp, raw) == [(250, "Stored lmtp-1@mail.example")]
    assert deliver(lmtp, raw) == [(250, "Duplicate lmtp-1@mail.example")]
    lmtp.quit()
    # A new connection (the MTA's retry after a lost reply) is a duplicate too.
    lmtp = listener.client()
    assert deliver(lmtp, raw) == [(250, "Duplicate lmtp-1@mail.example")]
    lmtp.quit()

    contact = Contact.objects.get()
    assert (contact.candidate, contact.source) == (candidate, ContactSource.PIPE)
    assert InboundMessage.objects.count() == 1
    assert listener.stop() == 0  # SIGTERM: a clean exit


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_lmtp_answers_each_recipient_and_stores_the_message_once(listener):
    CandidateFactory(email=CANDIDATE)
    raw = make_email(from_=CANDIDATE, subject="To two of you")
    lmtp = listener.client()
    replies = deliver(lmtp, raw, recipients=("jobs@persist.example", "morgan@persist.example"))
    lmtp.quit()
    assert [code for code, _ in replies] == [250, 250]
    assert Contact.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_lmtp_refuses_what_is_not_a_message_with_a_5xx(listener):
    lmtp = listener.client()
    code, text = deliver(lmtp, b"Hello, this is just text.\r\n")[0]
    lmtp.quit()
    assert code == 554
    assert text.startswith("Not an email message")
    assert not InboundMessage.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_lmtp_answers_4xx_while_postgresql_is_unreachable_and_stores_when_it_is_back(
    listener, proxy
):
    CandidateFactory(email=CANDIDATE)
    first = make_email(from_=CANDIDATE, subject="Before", message_id="<before@mail.example>")
    during = make_email(from_=CANDIDATE, subject="During", message_id="<during@mail.example>")
    lmtp = listener.client()
    assert deliver(lmtp, first)[0][0] == 250  # the listener holds a live connection now

    proxy.down()  # PostgreSQL goes away under the listener's open connection
    for _attempt in range(2):  # the broken connection, then a fresh one that is hung up on
        code, text = deliver(lmtp, during)[0]
        assert code == 451, text
        assert text.startswith("Database unavailable, try again later")
    assert listener.process.poll() is None, "the listener survives the outage"

    proxy.up()
    assert deliver(lmtp, during) == [(250, "Stored during@mail.example")]
    assert deliver(lmtp, during) == [(250, "Duplicate during@mail.example")]
    lmtp.quit()
    assert sorted(Contact.objects.values_list("subject", flat=True)) == ["Before", "During"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_lmtp_bounds_the_message_size_by_max_email_bytes(tmp_path, proxy):
    CandidateFactory(email=CANDIDATE)
    listener = Listener(tmp_path, proxy, MAX_EMAIL_BYTES="100000")
    try:
        lmtp = listener.client()
        assert lmtp.esmtp_features["size"] == "100000"
        # Announced too large: refused before any data is sent.
        assert lmtp.mail("mailer@mx.example", ["SIZE=150000"])[0] == 552
        lmtp.rset()
        # Not announced: refused at the end of DATA; the data past the limit is not kept.
        big = make_email(from_=CANDIDATE, subject="Big", body=("x" * 70 + "\n") * 2000)
        assert deliver(lmtp, big)[0][0] == 552
        small = make_email(from_=CANDIDATE, subject="Small")
        assert deliver(lmtp, small)[0][0] == 250
        lmtp.quit()
    finally:
        listener.stop()
    assert list(Contact.objects.values_list("subject", flat=True)) == ["Small"]
