"""The LMTP listener (RFC 2033) an MTA delivers inbound mail to: ``manage.py lmtp_server``.

``manage.py ingest_email`` as an MTA pipe starts Django once per message (about a second), so one
pipe process handles about one message per second. This long-running listener pays that once:
Postfix (``lmtp:inet:127.0.0.1:8024`` or ``lmtp:unix:/run/persist/lmtp.sock`` as the transport)
hands it each message over a kept-alive connection, and each message goes through
``email_ingest`` exactly as the pipe calls it (source ``pipe``: the MTA path).

Replies, one per accepted recipient after DATA (LMTP's rule; the message is stored once whatever
the number of recipients):

* ``250`` stored, or already stored (a redelivery is a duplicate, changes nothing);
* ``554`` the data is not an email message (``NotAnEmail``): the MTA bounces it, as for the
  pipe's exit status 65;
* ``552`` over ``MAX_EMAIL_BYTES``: advertised as the ``SIZE`` extension, refused at ``MAIL FROM
  SIZE=`` or at the end of DATA (what went past the limit is discarded as it arrives, never held
  in memory);
* ``451`` the database is unavailable, or anything unexpected: the MTA keeps the message and
  retries, as for the pipe's exit status 75. Nothing is lost; the retry is stored or a duplicate.

Database work runs in a small thread pool (``workers``), one Django connection per thread,
checked before each message as Django checks it before each request (``CONN_MAX_AGE``,
``CONN_HEALTH_CHECKS``), so a PostgreSQL restart costs the messages in flight a retry, not the
listener its life.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from concurrent.futures import ThreadPoolExecutor

from aiosmtpd.lmtp import LMTP
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.utils import timezone

from followups.email_parsing import NotAnEmail
from followups.models import ContactSource
from followups.services import email_ingest

logger = logging.getLogger(__name__)

#: A line of a message may be this long (RFC 5322 says 998, real mail does not always keep to
#: it and the parser reads it); the whole message is bounded by MAX_EMAIL_BYTES anyway.
MAX_LINE_BYTES = 1024 * 1024
#: An idle MTA connection is closed after this many seconds (Postfix reconnects as needed).
IDLE_TIMEOUT_S = 300


def _one_line(text: str, limit: int = 200) -> str:
    """Reply text: one printable ASCII line (an exception message may hold anything)."""
    text = " ".join(str(text).split())
    return text.encode("ascii", "replace").decode()[:limit]


def lmtp_deliver(raw: bytes) -> str:
    """Store one message as the pipe does; the LMTP reply for each of its recipients."""
    close_old_connections()  # as before a request: drop a connection that died while idle
    try:
        outcome = email_ingest(raw=raw, source=ContactSource.PIPE, now=timezone.now())
    except NotAnEmail as exc:
        logger.warning("LMTP: refused %s bytes: not an email message (%s)", len(raw), exc)
        return f"554 Not an email message ({_one_line(exc)})"
    except (OperationalError, InterfaceError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        logger.warning("LMTP: database unavailable, the MTA will retry (%s)", first_line)
        with contextlib.suppress(Exception):
            connection.close()  # the next message opens a fresh one
        return f"451 Database unavailable, try again later ({_one_line(first_line)})"
    except Exception:
        # A bug must not lose mail: the MTA keeps the message and retries it.
        logger.exception("LMTP: unexpected error storing a message of %s bytes", len(raw))
        with contextlib.suppress(Exception):
            connection.close()
        return "451 Internal error, try again later"
    if outcome.status == "too large":
        return f"552 {_one_line(outcome.detail)}"
    label = outcome.message_id or "(no Message-ID)"
    return f"250 {outcome.status.capitalize()} {_one_line(label)}"


class IngestHandler:
    """aiosmtpd handler: every recipient of a message gets the reply of its one delivery."""

    def __init__(self, executor: ThreadPoolExecutor):
        self._executor = executor

    async def handle_DATA(self, server, session, envelope) -> str:
        loop = asyncio.get_running_loop()
        reply = await loop.run_in_executor(self._executor, lmtp_deliver, envelope.original_content)
        return "\r\n".join(reply for _ in envelope.rcpt_tos)


class PersistLMTP(LMTP):
    line_length_limit = MAX_LINE_BYTES


def _protocol_factory(handler: IngestHandler, hostname: str):
    def factory() -> PersistLMTP:
        return PersistLMTP(
            handler,
            data_size_limit=settings.MAX_EMAIL_BYTES,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=hostname,
            timeout=IDLE_TIMEOUT_S,
        )

    return factory


async def _serve(bind: str, workers: int, ready) -> None:
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lmtp-db")
    loop = asyncio.get_running_loop()
    factory = _protocol_factory(IngestHandler(executor), hostname=os.uname().nodename)
    if bind.startswith("unix:"):
        server = await loop.create_unix_server(factory, path=bind[len("unix:") :])
    else:
        host, _, port = bind.rpartition(":")
        server = await loop.create_server(factory, host=host.strip("[]") or None, port=int(port))
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    ready(", ".join(_address(sock.getsockname()) for sock in server.sockets))
    try:
        await stop.wait()
    finally:
        server.close()
        await server.wait_closed()
        # Deliveries in flight finish (their transaction commits or rolls back); an MTA that
        # misses the reply retries and gets "250 duplicate".
        executor.shutdown(wait=True)


def _address(name) -> str:
    if isinstance(name, tuple):
        return f"{name[0]}:{name[1]}"
    return f"unix:{name}"


def lmtp_serve(*, bind: str, workers: int, ready=lambda address: None) -> None:
    """Run the listener until SIGTERM or SIGINT; ``ready`` is called with the bound address."""
    # aiosmtpd logs every command (and so every address) at INFO: keep the log to what matters.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    asyncio.run(_serve(bind, workers, ready))
