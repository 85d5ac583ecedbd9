"""`manage.py ingest_email [FILE ...]`: store RFC 5322 messages from files or standard input.

The MTA pipe contract (sysexits.h): 0 when every message is stored or recognised as a
duplicate; 65 (EX_DATAERR) when an input is not a message; 75 (EX_TEMPFAIL) when the database
is unavailable, so the MTA keeps the message and retries — nothing is lost. A message over
``MAX_EMAIL_BYTES`` is refused with 65 too (the MTA bounces it to its sender) and recorded by
its header, as on every other path; no more than the limit is ever read into memory.

Several files are a batch: one line per file, a summary, the worst status. They are stored
``EMAIL_CHUNK`` at a time by ``emails_ingest`` (the same rules as one message, with set-based
reads and one transaction per chunk); the stored messages mark their scores stale as always,
and the command drains each chunk's together (``candidates.freshness.stale_scores_drain_now``).
A run killed in between leaves the marks to the minutely drain.

System checks are not run: an MTA may start the command once per message, and the checks
(URL configuration, API schema, third-party apps) were most of its start-up.
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
from followups.services import (
    EMAIL_CHUNK,
    IngestOutcome,
    email_ingest,
    email_refuse_too_large,
    emails_ingest,
)

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

    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", help="RFC 5322 files; none = read stdin")

    def handle(self, *args, files: list[str], verbosity: int, **options):
        inputs = [(path, None) for path in files] or [("<stdin>", sys.stdin.buffer)]
        batch = len(inputs) > 1
        worst = EX_OK
        counts = {"stored": 0, "duplicate": 0, "not a message": 0, "too large": 0}
        if not batch:
            name, stream = inputs[0]
            status = self._ingest_one(name, stream, verbosity=verbosity)
            self._count(counts, status)
            if verbosity >= 2:
                self.stdout.write(", ".join(f"{n} {label}" for label, n in counts.items()))
            self._exit(_EXIT_FOR.get(status, EX_OK))
            return
        try:
            for start in range(0, len(files), EMAIL_CHUNK):
                statuses = self._ingest_chunk(files[start : start + EMAIL_CHUNK])
                for status in statuses:
                    self._count(counts, status)
                    worst = max(worst, _EXIT_FOR.get(status, EX_OK))
                if "unavailable" in statuses:
                    break  # the database is gone: the rest would fail the same way
        except (OperationalError, InterfaceError) as exc:
            # The score drain could not run: the messages are stored, but the run did not
            # finish its work, so the caller should try again.
            self._unavailable("score refresh", exc)
            worst = EX_TEMPFAIL
        self.stdout.write(", ".join(f"{n} {label}" for label, n in counts.items()))
        self._exit(worst)

    @staticmethod
    def _count(counts: dict[str, int], status: str) -> None:
        if status in counts:
            counts[status] += 1

    def _ingest_chunk(self, names: list[str]) -> list[str]:
        """Store these files together; one status per file, reported in order."""
        now = timezone.now()
        read: dict[int, bytes] = {}
        early: dict[int, IngestOutcome | str] = {}
        for n, name in enumerate(names):
            try:
                raw, size = self._read(name, None)
            except OSError as exc:
                self.stderr.write(f"{name}: cannot read ({exc.strerror or exc})")
                early[n] = "unreadable"
                continue
            if size > settings.MAX_EMAIL_BYTES:
                # Only the start was read: refused by its header, as email_ingest refuses.
                early[n] = email_refuse_too_large(
                    head=raw, size=size, source=ContactSource.PIPE, now=now
                )
            else:
                read[n] = raw
        try:
            stored = emails_ingest(raws=list(read.values()), source=ContactSource.PIPE, now=now)
        except (OperationalError, InterfaceError) as exc:
            # Nothing of this chunk was committed: the MTA keeps the messages and retries.
            self._unavailable(names[min(read)] if read else "chunk", exc)
            return [*(o if isinstance(o, str) else o.status for o in early.values()), "unavailable"]
        outcomes: dict[int, IngestOutcome | str] = {**early, **dict(zip(read, stored, strict=True))}
        statuses = []
        for n, name in enumerate(names):
            outcome = outcomes[n]
            if isinstance(outcome, str):
                statuses.append(outcome)
                continue
            statuses.append(self._report(name, outcome, verbosity=1, batch=True))
        stale_scores_drain_now(
            Contact.objects.filter(
                pk__in=[o.contact_id for o in outcomes.values() if not isinstance(o, str)]
            ).values_list("application_id", flat=True)
        )
        return statuses

    def _ingest_one(self, name, stream, *, verbosity: int) -> str:
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
                outcome = email_ingest(raw=raw, source=ContactSource.PIPE, now=timezone.now())
        except NotAnEmail as exc:
            outcome = IngestOutcome("not a message", detail=str(exc))
        except (OperationalError, InterfaceError) as exc:
            # The MTA keeps the message and retries later; report and stop here.
            self._unavailable(name, exc)
            return "unavailable"
        return self._report(name, outcome, verbosity=verbosity, batch=False)

    def _report(self, name: str, outcome: IngestOutcome, *, verbosity: int, batch: bool) -> str:
        if outcome.status == "not a message":
            self.stderr.write(f"{name}: not an email message ({outcome.detail})")
        elif outcome.status == "too large":
            self.stderr.write(f"{name}: {outcome.detail}")
        elif verbosity >= 2 or batch:
            self.stdout.write(f"{name}: {outcome.status} {outcome.message_id}".rstrip())
        return outcome.status

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
