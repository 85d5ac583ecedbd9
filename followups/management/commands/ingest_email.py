"""`manage.py ingest_email [FILE ...]`: store RFC 5322 messages from files or standard input.

The MTA pipe contract (sysexits.h): 0 when every message is stored or recognised as a
duplicate; 65 (EX_DATAERR) when an input is not a message; 75 (EX_TEMPFAIL) when the database
is unavailable, so the MTA keeps the message and retries — nothing is lost. A message over
``MAX_EMAIL_BYTES`` is refused with 65 too (the MTA bounces it to its sender) and recorded by
its header, as on every other path; no more than the limit is ever read into memory.

Several files are a batch: one line per file, a summary, the worst status; the stored messages
mark their scores stale as always, and the command drains them together, per
``DRAIN_BATCH`` messages and before it exits (``candidates.freshness.stale_scores_drain_now``).
A run killed in between leaves the marks to the minutely drain.
"""

import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from candidates.freshness import stale_scores_drain_now
from followups.email_parsing import NotAnEmail
from followups.models import Contact, ContactSource
from followups.services import email_ingest, email_refuse_too_large

#: Stored messages whose stale scores a batch run drains together.
DRAIN_BATCH = 200
EX_OK = 0
EX_DATAERR = 65
EX_NOINPUT = 66
EX_TEMPFAIL = 75
#: Exit status per input outcome (the command exits with the worst).
_EXIT_FOR = {
    "unreadable": EX_NOINPUT,
    "too large": EX_DATAERR,
    "not a message": EX_DATAERR,
    "unavailable": EX_TEMPFAIL,
}


class Command(BaseCommand):
    help = (
        "Store emails from files (or one message on standard input, as an MTA pipe delivers "
        "it). Exit 0 stored/duplicate, 65 not a message, 75 database unavailable (retry)."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", help="RFC 5322 files; none = read stdin")

    def handle(self, *args, files: list[str], verbosity: int, **options):
        inputs = [(path, None) for path in files] or [("<stdin>", sys.stdin.buffer)]
        batch = len(inputs) > 1
        worst = EX_OK
        counts = {"stored": 0, "duplicate": 0, "not a message": 0, "too large": 0}
        self._stored: list[int] = []
        try:
            try:
                for name, stream in inputs:
                    status = self._ingest_one(name, stream, verbosity=verbosity, batch=batch)
                    if status in counts:
                        counts[status] += 1
                    worst = max(worst, _EXIT_FOR.get(status, EX_OK))
                    if status == "unavailable":
                        break  # the database is gone: the rest would fail the same way
                    if len(self._stored) >= DRAIN_BATCH:
                        self._drain()
            finally:
                # Also after an error: what was stored must not wait for the schedule.
                self._drain()
        except (OperationalError, InterfaceError) as exc:
            # The score drain could not run: the messages are stored, but the run did not
            # finish its work, so the caller should try again.
            self._unavailable("score refresh", exc)
            worst = EX_TEMPFAIL
        if batch or verbosity >= 2:
            self.stdout.write(", ".join(f"{n} {label}" for label, n in counts.items()))
        self._exit(worst)

    def _ingest_one(self, name, stream, *, verbosity: int, batch: bool) -> str:
        try:
            raw, size = self._read(name, stream)
        except OSError as exc:
            self.stderr.write(f"{name}: cannot read ({exc.strerror or exc})")
            return "unreadable"
        try:
            if size > settings.MAX_EMAIL_BYTES:
                outcome = email_refuse_too_large(
                    head=raw, size=size, source=ContactSource.PIPE, now=timezone.now()
                )
            else:
                outcome = email_ingest(
                    raw=raw, source=ContactSource.PIPE, now=timezone.now(), drain_scores=not batch
                )
        except NotAnEmail as exc:
            self.stderr.write(f"{name}: not an email message ({exc})")
            return "not a message"
        except (OperationalError, InterfaceError) as exc:
            # The MTA keeps the message and retries later; report and stop here.
            self._unavailable(name, exc)
            return "unavailable"
        if outcome.status == "too large":
            self.stderr.write(f"{name}: {outcome.detail}")
            return "too large"
        if batch and outcome.contact_id:
            self._stored.append(outcome.contact_id)
        if verbosity >= 2 or batch:
            self.stdout.write(f"{name}: {outcome.status} {outcome.message_id}".rstrip())
        return outcome.status

    def _drain(self) -> None:
        stored, self._stored = self._stored, []
        if stored:
            stale_scores_drain_now(
                Contact.objects.filter(pk__in=stored).values_list("application_id", flat=True)
            )

    def _unavailable(self, what: str, exc: Exception) -> None:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        self.stderr.write(f"{what}: database unavailable, try again later ({first_line})")

    @staticmethod
    def _read(name, stream) -> tuple[bytes, int]:
        """(bytes, size): all of it, or only the start of what is over the limit."""
        limit = settings.MAX_EMAIL_BYTES
        if stream is not None:
            raw = stream.read(limit + 1)
            # The size of a pipe delivery is unknown past the limit: "more than the limit".
            return raw, len(raw)
        path = Path(name)
        size = path.stat().st_size
        if size > limit:
            with path.open("rb") as handle:
                return handle.read(64 * 1024), size
        return path.read_bytes(), size

    def _exit(self, code: int):
        # The contract is the process exit status (read by the MTA), so exit explicitly.
        self.stdout.flush()
        self.stderr.flush()
        if code:
            raise SystemExit(code)
