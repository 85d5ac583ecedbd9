"""The three real entry points: the MTA pipe command, IMAP polling (a real Dovecot) and ESP
inbound webhooks (Mailgun, SendGrid, Postmark wire formats through django-anymail)."""

import base64
import hashlib
import hmac
import imaplib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection
from django.urls import reverse
from django.utils import timezone

from candidates.models import StaleScore
from followups import imap as imap_module
from followups.imap import imap_poll
from followups.models import (
    Contact,
    ContactSource,
    ImapCheckpoint,
    InboundMessage,
    MatchStatus,
    PersistenceScore,
)
from scoring import scores
from scoring.scores import score_for, scores_recompute
from scoring.tasks import drain_stale_scores
from tests.emails import make_email
from tests.factories import ApplicationFactory, CandidateFactory, SilenceTestFactory

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK_SECRET = "persist:webhook-secret"
MAILGUN_KEY = "key-mailgun-signing"


# --- the pipe: manage.py ingest_email ----------------------------------------------------------


def _ingest_command(*args, stdin: bytes | None = None):
    env = dict(os.environ)
    db = connection.settings_dict
    env["DATABASE_URL"] = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    return subprocess.run(
        [sys.executable, "manage.py", "ingest_email", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        timeout=120,
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_pipe_stores_from_stdin_and_recognises_the_duplicate():
    CandidateFactory(email="dana.whitfield@example.com")
    raw = make_email(from_="dana.whitfield@example.com")
    first = _ingest_command(stdin=raw)
    assert first.returncode == 0, first.stderr
    again = _ingest_command(stdin=raw)
    assert again.returncode == 0, again.stderr
    assert Contact.objects.get().source == ContactSource.PIPE
    assert InboundMessage.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_pipe_reads_files_and_reports_each(tmp_path):
    CandidateFactory(email="dana.whitfield@example.com")
    good = tmp_path / "good.eml"
    good.write_bytes(make_email(from_="dana.whitfield@example.com"))
    stranger = tmp_path / "stranger.eml"
    stranger.write_bytes(make_email(from_="someone@example.net"))
    result = _ingest_command(str(good), str(stranger), str(good))
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert "2 stored, 1 duplicate" in out
    assert Contact.objects.filter(match_status=MatchStatus.UNMATCHED).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_pipe_batch_of_files_leaves_every_matched_score_current(tmp_path):
    tests = [SilenceTestFactory(observing=True) for _ in range(3)]
    scores_recompute(application_ids=[t.application_id for t in tests], now=timezone.now())
    files = []
    for n, test in enumerate(tests):
        address = test.application.candidate.emails.get().address
        path = tmp_path / f"{n}.eml"
        path.write_bytes(make_email(from_=address))
        files.append(str(path))
    result = _ingest_command(*files)
    assert result.returncode == 0, result.stderr
    assert "3 stored, 0 duplicate, 0 not a message" in result.stdout.decode()
    for test in tests:
        stored = PersistenceScore.objects.get(application=test.application, is_current=True)
        expected = score_for(test.application_id, now=timezone.now())
        assert stored.lines == [
            {"rule": line.rule, "text": line.text, "points": line.points} for line in expected.lines
        ]
        # the new email is what moved it: a second history row
        assert PersistenceScore.objects.filter(application=test.application).count() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_pipe_batch_reports_each_file_and_exits_with_the_worst_outcome(tmp_path):
    CandidateFactory(email="dana.whitfield@example.com")
    good = tmp_path / "good.eml"
    good.write_bytes(make_email(from_="dana.whitfield@example.com"))
    junk = tmp_path / "junk.eml"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    result = _ingest_command(str(good), str(junk), str(tmp_path / "missing.eml"))
    assert result.returncode == 66
    assert f"{good}: stored" in result.stdout.decode()
    assert "1 stored, 0 duplicate, 1 not a message" in result.stdout.decode()
    stderr = result.stderr.decode()
    assert "junk.eml: not an email message" in stderr
    assert "missing.eml: cannot read" in stderr
    assert Contact.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_pipe_batch_exits_75_when_the_score_drain_cannot_reach_the_database(
    tmp_path, monkeypatch, capsys
):
    ApplicationFactory(candidate=CandidateFactory(email="dana.whitfield@example.com"))
    files = []
    for n in range(2):
        path = tmp_path / f"{n}.eml"
        path.write_bytes(make_email(from_="dana.whitfield@example.com", subject=f"Note {n}"))
        files.append(str(path))

    def database_gone(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(scores, "stale_scores_drain", database_gone)
    with pytest.raises(SystemExit) as exited:
        call_command("ingest_email", *files)
    assert exited.value.code == 75
    assert "score refresh: database unavailable" in capsys.readouterr().err
    # the messages themselves were committed: a retry finds them as duplicates
    assert Contact.objects.count() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_pipe_exits_65_for_input_that_is_not_a_message():
    result = _ingest_command(stdin=b"\x89PNG\r\n\x1a\n\x00\x00binary")
    assert result.returncode == 65
    assert b"not an email message" in result.stderr
    assert InboundMessage.objects.count() == 0


# Exit 75 while PostgreSQL is unavailable (refusing, hanging up, starting up, or going away
# mid-transaction), then stored on the MTA's retry: tests/integration/test_drills.py.


# --- IMAP against a real Dovecot -----------------------------------------------------------------


def _mailbox(config, folder="INBOX"):
    client = imaplib.IMAP4(config.host, config.port)
    client.login(config.user, config.password)
    return client


def _append(config, messages, folder="INBOX"):
    client = _mailbox(config)
    for raw in messages:
        client.append(folder, None, None, raw)
    client.logout()


def _fresh_folder(config, name):
    client = _mailbox(config)
    client.delete(name)
    client.create(name)
    client.logout()
    return imap_module.ImapConfig(
        host=config.host,
        port=config.port,
        user=config.user,
        password=config.password,
        folder=name,
        use_ssl=False,
    )


def test_imap_poll_stores_new_messages_once_and_marks_them_seen(imap_server):
    config = _fresh_folder(imap_server, "poll-basic")
    CandidateFactory(email="dana.whitfield@example.com")
    _append(
        config, [make_email(from_="dana.whitfield@example.com") for _ in range(3)], "poll-basic"
    )
    result = imap_poll(config=config)
    assert (result.fetched, result.stored) == (3, 3)
    assert imap_poll(config=config).fetched == 0
    _append(config, [make_email(from_="stranger@example.net")], "poll-basic")
    assert imap_poll(config=config).stored == 1
    assert Contact.objects.filter(source=ContactSource.IMAP).count() == 4
    client = _mailbox(config)
    client.select("poll-basic")
    assert client.uid("SEARCH", None, "UNSEEN")[1] == [b""]
    client.logout()


def test_imap_poll_flags_a_stored_message_the_previous_poll_died_before_flagging(imap_server):
    config = _fresh_folder(imap_server, "poll-unflagged")
    _append(config, [make_email(from_=f"u{i}@example.net") for i in range(3)], "poll-unflagged")
    imap_poll(config=config)
    client = _mailbox(config)
    client.select("poll-unflagged")
    # As the server is left when a poller is killed between its commit and its STORE.
    client.uid("STORE", "2", "-FLAGS.SILENT", "(\\Seen)")
    assert client.uid("SEARCH", None, "UNSEEN")[1] == [b"2"]
    assert imap_poll(config=config).fetched == 0
    client.noop()  # this session learns of the poller's flag changes
    assert client.uid("SEARCH", None, "UNSEEN")[1] == [b""]
    client.logout()
    assert Contact.objects.count() == 3


def test_imap_poll_in_batches_keeps_going(imap_server):
    config = _fresh_folder(imap_server, "poll-batches")
    _append(config, [make_email(from_=f"p{i}@example.net") for i in range(5)], "poll-batches")
    first = imap_poll(config=config, batch_size=2)
    assert (first.fetched, first.remaining) == (2, 3)
    imap_poll(config=config, batch_size=2)
    imap_poll(config=config, batch_size=2)
    assert Contact.objects.count() == 5


def test_imap_poll_crash_mid_batch_then_rerun_stores_every_message_exactly_once(
    imap_server, monkeypatch
):
    config = _fresh_folder(imap_server, "poll-crash")
    _append(config, [make_email(from_=f"c{i}@example.net") for i in range(6)], "poll-crash")
    real_ingest = imap_module.email_ingest
    calls = {"n": 0}

    def crashing_ingest(**kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt("worker killed")
        return real_ingest(**kwargs)

    monkeypatch.setattr(imap_module, "email_ingest", crashing_ingest)
    with pytest.raises(KeyboardInterrupt):
        imap_poll(config=config)
    assert Contact.objects.count() == 3
    monkeypatch.setattr(imap_module, "email_ingest", real_ingest)
    result = imap_poll(config=config)
    assert (result.fetched, result.stored) == (3, 3)
    assert Contact.objects.count() == 6
    assert len(set(Contact.objects.values_list("external_id", flat=True))) == 6


def test_imap_checkpoint_never_moves_back_behind_a_faster_concurrent_poll(imap_server, monkeypatch):
    config = _fresh_folder(imap_server, "poll-race")
    _append(config, [make_email(from_=f"r{i}@example.net") for i in range(5)], "poll-race")
    real_ingest = imap_module.email_ingest
    calls = {"n": 0}

    def ingest_while_another_poll_finishes(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            # Meanwhile a concurrent poll (another worker) stored everything up to UID 5.
            ImapCheckpoint.objects.update(last_uid=5)
        return real_ingest(**kwargs)

    monkeypatch.setattr(imap_module, "email_ingest", ingest_while_another_poll_finishes)
    imap_poll(config=config, batch_size=1)

    assert ImapCheckpoint.objects.get().last_uid == 5
    monkeypatch.setattr(imap_module, "email_ingest", real_ingest)
    assert imap_poll(config=config).fetched == 0


def test_imap_uidvalidity_change_rereads_without_duplicates(imap_server):
    config = _fresh_folder(imap_server, "poll-validity")
    messages = [make_email(from_=f"v{i}@example.net") for i in range(3)]
    _append(config, messages, "poll-validity")
    imap_poll(config=config)
    # The folder is recreated (new UIDVALIDITY) with the same messages plus one more.
    _fresh_folder(imap_server, "poll-validity")
    _append(config, [*messages, make_email(from_="new@example.net")], "poll-validity")
    result = imap_poll(config=config)
    assert result.uidvalidity_reset
    assert (result.fetched, result.stored, result.duplicates) == (4, 1, 3)
    assert Contact.objects.count() == 4
    checkpoint = ImapCheckpoint.objects.get(mailbox=config.mailbox_key)
    assert checkpoint.last_uid == 4


def test_imap_keeps_bytes_that_are_not_an_email(imap_server):
    config = _fresh_folder(imap_server, "poll-junk")
    _append(config, [b"\x00\x01garbage without headers"], "poll-junk")
    result = imap_poll(config=config)
    assert result.rejected == 1
    kept = InboundMessage.objects.get()
    assert kept.parse_error
    assert imap_poll(config=config).fetched == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_imap_poller_killed_mid_batch_then_rerun_stores_every_message_exactly_once(
    imap_server,
):
    """A real ``manage.py`` process polling Dovecot is SIGKILLed part-way, then run again."""
    config = _fresh_folder(imap_server, "poll-kill")
    total = 150
    _append(config, [make_email(from_=f"k{i}@example.net") for i in range(total)], "poll-kill")
    db = connection.settings_dict
    env = dict(
        os.environ,
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        IMAP_HOST=config.host,
        IMAP_PORT=str(config.port),
        IMAP_SSL="false",
        IMAP_USER=config.user,
        IMAP_PASSWORD=config.password,
        IMAP_FOLDER="poll-kill",
    )
    command = [sys.executable, "manage.py", "poll_imap", "--batch-size", str(total)]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while Contact.objects.count() < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    stored_before = Contact.objects.count()
    assert 0 < stored_before < total, "the kill must land mid-batch"
    rerun = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert Contact.objects.count() == total
    assert len(set(Contact.objects.values_list("external_id", flat=True))) == total


# --- ESP webhooks --------------------------------------------------------------------------------


@pytest.fixture
def webhooks_on(settings):
    settings.ANYMAIL = {
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY,
    }


def _basic_auth(secret=WEBHOOK_SECRET):
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def _mailgun_fields(raw: bytes, key=MAILGUN_KEY):
    timestamp, token = str(int(time.time())), "a" * 50
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {
        "body-mime": raw.decode(),
        "recipient": "jobs@persist.example",
        "sender": "dana.whitfield@example.com",
        "timestamp": timestamp,
        "token": token,
        "signature": signature,
    }


def _postmark_payload(message_id="<pm-1@mail.example>"):
    return {
        "FromName": "Dana Whitfield",
        "MessageStream": "inbound",
        "From": "dana.whitfield@example.com",
        "FromFull": {"Email": "dana.whitfield@example.com", "Name": "Dana Whitfield"},
        "To": "jobs@persist.example",
        "ToFull": [{"Email": "jobs@persist.example", "Name": ""}],
        "OriginalRecipient": "jobs@persist.example",
        "Subject": "Thoughts on the Q1 pipeline",
        "MessageID": "73e6d360-66eb-11e1-8e72-a8904824019b",
        "Date": "Fri, 27 Nov 2026 09:12:00 -0500",
        "TextBody": "Hi Morgan, I put together a plan for the first 90 days.",
        "HtmlBody": "<p>Hi Morgan, I put together a plan for the first 90 days.</p>",
        "Headers": [{"Name": "Message-ID", "Value": message_id}],
        "Attachments": [],
    }


def _url(esp):
    return reverse("followups:inbound_email_webhook", args=[esp])


def test_webhooks_are_refused_until_a_secret_is_configured(client, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "", "MAILGUN_WEBHOOK_SIGNING_KEY": ""}
    response = client.post(
        _url("postmark"), json.dumps(_postmark_payload()), content_type="application/json"
    )
    assert response.status_code == 503
    assert b"ANYMAIL_WEBHOOK_SECRET" in response.content
    assert not Contact.objects.exists()


@pytest.mark.parametrize("auth", [{}, _basic_auth("persist:wrong")], ids=["no auth", "bad auth"])
def test_unauthenticated_webhook_posts_are_refused(client, webhooks_on, auth):
    response = client.post(
        _url("postmark"), json.dumps(_postmark_payload()), content_type="application/json", **auth
    )
    assert response.status_code in (400, 401, 403)
    assert not Contact.objects.exists()


def test_postmark_inbound_is_stored_and_a_replay_is_a_duplicate(client, webhooks_on):
    candidate = CandidateFactory(email="dana.whitfield@example.com")
    body = json.dumps(_postmark_payload())
    for _ in range(2):
        response = client.post(
            _url("postmark"), body, content_type="application/json", **_basic_auth()
        )
        assert response.status_code == 200
    contact = Contact.objects.get()
    assert contact.candidate == candidate
    assert contact.source == ContactSource.WEBHOOK
    assert contact.external_id == "pm-1@mail.example"
    assert "first 90 days" in contact.body_text


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_webhook_answers_before_the_score_refresh_which_the_minutely_drain_does(
    client, webhooks_on
):
    # The provider waits for the answer: the refresh is left to the drain, but the mark is
    # committed with the contact, so the score cannot stay stale past the next drain.
    test = SilenceTestFactory(observing=True)
    test.application.candidate.emails.update(address="dana.whitfield@example.com")
    scores_recompute(application_ids=[test.application_id], now=timezone.now())
    response = client.post(
        _url("postmark"),
        json.dumps(_postmark_payload()),
        content_type="application/json",
        **_basic_auth(),
    )
    assert response.status_code == 200
    assert StaleScore.objects.filter(application_id=test.application_id).exists()
    assert PersistenceScore.objects.filter(application=test.application).count() == 1

    assert drain_stale_scores() == 1

    assert not StaleScore.objects.exists()
    stored = PersistenceScore.objects.get(application=test.application, is_current=True)
    expected = score_for(test.application_id, now=timezone.now())
    assert stored.score == expected.score
    assert PersistenceScore.objects.filter(application=test.application).count() == 2


def test_sendgrid_raw_inbound_is_stored(client, webhooks_on):
    CandidateFactory(email="dana.whitfield@example.com")
    raw = make_email(from_="dana.whitfield@example.com", subject="Territory plan")
    response = client.post(
        _url("sendgrid"),
        {
            "email": raw.decode(),
            "envelope": json.dumps(
                {"to": ["jobs@persist.example"], "from": "dana.whitfield@example.com"}
            ),
            "charsets": json.dumps({"to": "UTF-8", "subject": "UTF-8", "from": "UTF-8"}),
        },
        **_basic_auth(),
    )
    assert response.status_code == 200
    assert Contact.objects.get().subject == "Territory plan"


def test_mailgun_mime_inbound_checks_the_signature(client, webhooks_on):
    CandidateFactory(email="dana.whitfield@example.com")
    raw = make_email(from_="dana.whitfield@example.com", subject="Follow-up")
    forged = _mailgun_fields(raw, key="not-the-key")
    assert client.post(_url("mailgun"), forged, **_basic_auth()).status_code == 400
    assert not Contact.objects.exists()
    response = client.post(_url("mailgun"), _mailgun_fields(raw), **_basic_auth())
    assert response.status_code == 200
    assert Contact.objects.get().subject == "Follow-up"


def test_unknown_provider_is_404(client, webhooks_on):
    assert client.post(_url("carrier-pigeon"), {}, **_basic_auth()).status_code == 404


def test_postmark_raw_email_is_stored_as_received_and_a_redelivery_is_a_duplicate(
    client, webhooks_on
):
    candidate = CandidateFactory(email="dana.whitfield@example.com")
    raw = make_email(from_="dana.whitfield@example.com", subject="Territory plan")
    body = json.dumps(
        {**_postmark_payload(), "Headers": [], "RawEmail": raw.decode(), "RecordType": "Inbound"}
    )
    for _ in range(2):
        response = client.post(
            _url("postmark"), body, content_type="application/json", **_basic_auth()
        )
        assert response.status_code == 200
    contact = Contact.objects.get()
    assert (contact.candidate, contact.subject) == (candidate, "Territory plan")
    # Postmark's copy itself, not anymail's re-serialisation of it.
    assert bytes(InboundMessage.objects.get().raw) == raw


def test_postmark_raw_email_with_a_bcc_keeps_anymails_bcc_header(client, webhooks_on):
    CandidateFactory(email="dana.whitfield@example.com")
    raw = make_email(from_="dana.whitfield@example.com", subject="Copied")
    payload = {
        **_postmark_payload(),
        "RawEmail": raw.decode(),
        "BccFull": [{"Email": "capture@persist.example", "Name": ""}],
    }
    response = client.post(
        _url("postmark"), json.dumps(payload), content_type="application/json", **_basic_auth()
    )
    assert response.status_code == 200
    assert b"Bcc: capture@persist.example" in bytes(InboundMessage.objects.get().raw)
    assert Contact.objects.get().subject == "Copied"
