"""``python -m bench.ingest --json FILE --via PATH [--messages N]``: one email ingest path.

Email ingest throughput in a copy of the scale database: ``--messages`` distinct RFC 5322
messages from scale candidates' addresses (so each is matched to an application and stored as a
contact), through one path:

* ``floor``: ``email_ingest`` called in this process, one message after another: parse +
  match + insert + the message's score refresh and nothing else, the rate the per-message
  paths (LMTP, one pipe per message) are compared with; ``floor-batch``: the same with the
  score refreshes deferred and run together, as ``ingest_email FILE …`` does;
* ``pipe``: as files through one ``manage.py ingest_email FILE …`` (one process: the
  per-worker rate, process start included once);
* ``pipe-each``: one ``manage.py ingest_email`` per message on standard input, as an MTA pipe
  transport runs it (Django's start-up paid per message);
* ``lmtp``: to a ``manage.py lmtp_server`` started for the run, over one LMTP connection as an
  MTA's delivery agent keeps it (one transaction per message);
* ``webhook``: POSTed as Postmark inbound JSON (``RawEmail``) to the anymail webhook of a
  running server with ``--concurrency`` clients;
* ``healthz``: as many GETs of ``/healthz`` through the same client and concurrency: the
  webhook's ceiling, measured the same way on the same server;
* ``raw-floor``: the floor ``ingest_email`` is divided by: each message through
  ``email.message_from_bytes`` and one bare ``INSERT`` of its raw bytes (autocommit, into a
  scratch table), in one process on the same database;
* ``hostile``: ``email_ingest`` of one message with ``--nesting`` nested ``<div>`` against a
  plain-text message of the same size (best of three each).
"""

import argparse
import base64
import json
import os
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path


def messages(addresses: list[str], count: int, tag: str) -> list[bytes]:
    from django.utils import timezone

    now = timezone.now()
    out = []
    for n in range(count):
        message = EmailMessage()
        message["From"] = addresses[n % len(addresses)]
        message["To"] = "hiring@persist.example"
        message["Subject"] = f"Following up on my application ({tag} {n})"
        message["Date"] = format_datetime(now)
        message["Message-ID"] = make_msgid(idstring=f"{tag}-{n}", domain="bench.example")
        message.set_content(
            "Hi, following up after our conversation last week: I put together a short plan "
            "for the territory and two references. Happy to walk you through it.\n"
        )
        out.append(message.as_bytes())
    return out


def scale_addresses(count: int) -> list[str]:
    """Addresses of up to ``count`` scale candidates (each matches one application)."""
    from candidates.models import CandidateEmail
    from devdata.scale import SCALE_PREFIX

    return list(
        CandidateEmail.objects.filter(
            candidate__applications__requisition__title__startswith=SCALE_PREFIX
        )
        .order_by("pk")
        .values_list("address", flat=True)[:count]
    )


def via_pipe(raws: list[bytes]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for n, raw in enumerate(raws):
            path = Path(tmp) / f"{n:06d}.eml"
            path.write_bytes(raw)
            files.append(str(path))
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "manage.py", "ingest_email", *files],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return time.perf_counter() - started


def via_floor(raws: list[bytes], *, batch: bool) -> float:
    from django.utils import timezone

    from candidates.freshness import stale_scores_drain_now
    from followups.models import Contact, ContactSource
    from followups.services import email_ingest

    started = time.perf_counter()
    # batch: as `ingest_email FILE...` does, mark scores stale per message and drain once.
    stored = []
    for raw in raws:
        outcome = email_ingest(
            raw=raw, source=ContactSource.PIPE, now=timezone.now(), drain_scores=not batch
        )
        if outcome.contact_id:
            stored.append(outcome.contact_id)
    if batch:
        stale_scores_drain_now(
            Contact.objects.filter(pk__in=stored).values_list("application_id", flat=True)
        )
    return time.perf_counter() - started


def via_raw_floor(raws: list[bytes]) -> float:
    """Parse and store the bytes, nothing else: what any ingest path must at least do."""
    import email

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_raw_floor (id bigserial, raw bytea)")
    try:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for raw in raws:
                email.message_from_bytes(raw)
                cursor.execute("INSERT INTO bench_raw_floor (raw) VALUES (%s)", [raw])
        return time.perf_counter() - started
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE bench_raw_floor")


def hostile_message(nesting: int) -> bytes:
    message = EmailMessage()
    message["From"] = "attacker@hostile.example"
    message["To"] = "hiring@persist.example"
    message["Subject"] = "Nested"
    message["Message-ID"] = make_msgid(idstring=f"hostile-{time.time_ns()}")
    # Never closed, as the issue-13 review sent it: 400 000 levels are 2 MB.
    message.set_content("<div>" * nesting + "hello", subtype="html")
    return message.as_bytes()


def plain_message(size: int) -> bytes:
    message = EmailMessage()
    message["From"] = "someone@plain.example"
    message["To"] = "hiring@persist.example"
    message["Subject"] = "Plain"
    message["Message-ID"] = make_msgid(idstring=f"plain-{time.time_ns()}")
    line = "A plain line of text in a long but harmless message, nothing nested at all.\n"
    message.set_content(line * (size // len(line) + 1))
    return message.as_bytes()


def via_hostile(nesting: int) -> dict:
    """Seconds to ingest the nested message and a plain one of the same size, best of 3."""
    from django.utils import timezone

    from followups.models import ContactSource
    from followups.services import email_ingest

    hostile = hostile_message(nesting)
    plain = plain_message(len(hostile))
    best = {"hostile": float("inf"), "plain": float("inf")}
    for _ in range(3):
        for name, base in (("hostile", hostile), ("plain", plain)):
            # A new Message-ID each time, so every run stores (none is a duplicate).
            raw = re_id(base)
            started = time.perf_counter()
            email_ingest(raw=raw, source=ContactSource.PIPE, now=timezone.now())
            best[name] = min(best[name], time.perf_counter() - started)
    return {"bytes": len(hostile), "plain_bytes": len(plain), **best}


def re_id(raw: bytes) -> bytes:
    """The same message with a fresh Message-ID (and so a fresh fingerprint)."""
    head, _, body = raw.partition(b"\n\n")
    lines = [
        line
        if not line.lower().startswith(b"message-id:")
        else b"Message-ID: " + make_msgid(idstring=str(time.time_ns())).encode()
        for line in head.split(b"\n")
    ]
    lines.append(b"X-Bench-Run: " + str(time.time_ns()).encode())
    return b"\n".join(lines) + b"\n\n" + body


def via_pipe_each(raws: list[bytes]) -> float:
    started = time.perf_counter()
    for raw in raws:
        subprocess.run(
            [sys.executable, "manage.py", "ingest_email"],
            input=raw,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return time.perf_counter() - started


def via_lmtp(raws: list[bytes]) -> tuple[float, dict]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    listener = subprocess.Popen(
        [sys.executable, "manage.py", "lmtp_server", "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:  # the listener's own start-up is not part of the rate
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or listener.poll() is not None:
                    raise RuntimeError("lmtp_server did not start") from None
                time.sleep(0.05)
        replies: dict[int, int] = {}
        started = time.perf_counter()
        lmtp = smtplib.LMTP("127.0.0.1", port, timeout=60)
        lmtp.ehlo("bench")
        for raw in raws:
            lmtp.mail("mailer@mx.example")
            lmtp.rcpt("hiring@persist.example")
            code, _text = lmtp.data(raw)
            replies[code] = replies.get(code, 0) + 1
        lmtp.quit()
        return time.perf_counter() - started, replies
    finally:
        listener.terminate()
        listener.wait(timeout=30)


def via_webhook(raws: list[bytes], base_url: str, concurrency: int) -> tuple[float, dict]:
    from django.conf import settings

    auth = base64.b64encode(settings.ANYMAIL["WEBHOOK_SECRET"].encode()).decode()
    url = f"{base_url}/webhooks/email/postmark/"
    statuses: dict[int, int] = {}

    def post(raw: bytes) -> int:
        body = json.dumps({"RecordType": "Inbound", "RawEmail": raw.decode()}).encode()
        request = urllib.request.Request(
            url,
            data=body,
            headers={"Content-Type": "application/json", "Authorization": f"Basic {auth}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for status in pool.map(post, raws):
            statuses[status] = statuses.get(status, 0) + 1
    return time.perf_counter() - started, statuses


def via_healthz(count: int, base_url: str, concurrency: int) -> tuple[float, dict]:
    """The webhook's ceiling: the same number of requests, client and concurrency."""
    statuses: dict[int, int] = {}

    def get(_n: int) -> int:
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=60) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for status in pool.map(get, range(count)):
            statuses[status] = statuses.get(status, 0) + 1
    return time.perf_counter() - started, statuses


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", required=True)
    parser.add_argument(
        "--via",
        choices=[
            "floor",
            "floor-batch",
            "raw-floor",
            "pipe",
            "pipe-each",
            "lmtp",
            "webhook",
            "healthz",
            "hostile",
        ],
        required=True,
    )
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--base-url", default="")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--nesting", type=int, default=400_000)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from followups.models import Contact

    if args.via == "hostile":
        result = via_hostile(args.nesting)
        result["ratio"] = result["hostile"] / result["plain"]
        print(f"hostile ingest: {result}")
        Path(args.json).write_text(json.dumps(result))
        return 0
    if args.via == "healthz":
        seconds, statuses = via_healthz(args.messages, args.base_url, args.concurrency)
        result = {
            "via": "healthz",
            "seconds": seconds,
            "statuses": statuses,
            "requests_per_second": args.messages / seconds,
        }
        Path(args.json).write_text(json.dumps(result))
        return 0

    raws = messages(scale_addresses(args.messages), args.messages, f"{args.via}{time.time_ns()}")
    before = Contact.objects.count()
    statuses = {}
    if args.via == "raw-floor":
        seconds = via_raw_floor(raws)
        result = {"via": args.via, "seconds": seconds, "messages_per_second": len(raws) / seconds}
        Path(args.json).write_text(json.dumps(result))
        return 0
    if args.via in ("floor", "floor-batch"):
        seconds = via_floor(raws, batch=args.via == "floor-batch")
    elif args.via == "pipe":
        seconds = via_pipe(raws)
    elif args.via == "pipe-each":
        seconds = via_pipe_each(raws)
    elif args.via == "lmtp":
        seconds, statuses = via_lmtp(raws)
    else:
        seconds, statuses = via_webhook(raws, args.base_url, args.concurrency)
    stored = Contact.objects.count() - before
    result = {
        "via": args.via,
        "messages": len(raws),
        "seconds": seconds,
        "stored": stored,
        "statuses": statuses,
        "messages_per_second": len(raws) / seconds,
    }
    print(
        f"ingest via {args.via}: {len(raws)} messages in {seconds:.2f} s "
        f"({result['messages_per_second']:.0f}/s), {stored} contacts stored {statuses or ''}"
    )
    Path(args.json).write_text(json.dumps(result))
    return 0 if stored == len(raws) else 1


if __name__ == "__main__":
    sys.exit(main())
