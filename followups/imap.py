"""IMAP polling of the capture mailbox, by UID with UIDVALIDITY checkpoints.

Each message is ingested and its UID recorded in the same database transaction, so a crash
at any point either leaves the UID unrecorded (it is fetched again and recognised as a
duplicate) or recorded with the message stored. Messages are fetched with BODY.PEEK[] and
flagged \\Seen on the server only after the commit (a message stored by a poll that died before
flagging it is flagged by the next poll). A message whose RFC822.SIZE is over ``MAX_EMAIL_BYTES``
is never downloaded: its header alone is fetched and recorded as refused, as on every path.
"""

import contextlib
import imaplib
import logging
import re
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime
from time import mktime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from followups.email_parsing import NotAnEmail
from followups.models import ContactSource, ImapCheckpoint
from followups.services import email_ingest, email_refuse_too_large, email_reject

logger = logging.getLogger(__name__)

#: Messages per poll: a scheduled run stays well inside the task timeout; the rest wait a minute.
IMAP_BATCH_SIZE = 200
IMAP_TIMEOUT_SECONDS = 30
_SIZE_RE = re.compile(rb"RFC822\.SIZE (\d+)")


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    folder: str = "INBOX"
    use_ssl: bool = True

    @classmethod
    def from_settings(cls) -> "ImapConfig | None":
        if not settings.IMAP_HOST:
            return None
        return cls(
            host=settings.IMAP_HOST,
            port=settings.IMAP_PORT,
            user=settings.IMAP_USER,
            password=settings.IMAP_PASSWORD,
            folder=settings.IMAP_FOLDER,
            use_ssl=settings.IMAP_SSL,
        )

    @property
    def mailbox_key(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.folder}"


@dataclass
class PollResult:
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    uidvalidity_reset: bool = False
    remaining: int = 0


class ImapError(RuntimeError):
    """The server refused a command: reported, and the poll is retried by the next run."""


def _check(response, what: str):
    typ, data = response
    if typ != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode(errors="replace")
        raise ImapError(f"IMAP {what} failed: {typ} {detail}".strip())
    return data


def _connect(config: ImapConfig) -> imaplib.IMAP4:
    if config.use_ssl:
        return imaplib.IMAP4_SSL(
            config.host,
            config.port,
            ssl_context=ssl.create_default_context(),
            timeout=IMAP_TIMEOUT_SECONDS,
        )
    return imaplib.IMAP4(config.host, config.port, timeout=IMAP_TIMEOUT_SECONDS)


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fetched_message(data) -> tuple[bytes, datetime | None]:
    for part in data:
        if isinstance(part, tuple) and len(part) == 2:
            meta, raw = part
            parsed = imaplib.Internaldate2tuple(meta)
            when = datetime.fromtimestamp(mktime(parsed), tz=UTC) if parsed else None
            return raw, when
    raise ImapError("IMAP FETCH returned no message body")


def _message_size(imap: imaplib.IMAP4, uid: int) -> int:
    for part in _check(imap.uid("FETCH", str(uid), "(RFC822.SIZE)"), "FETCH"):
        found = _SIZE_RE.search(part if isinstance(part, bytes) else b"")
        if found:
            return int(found.group(1))
    raise ImapError("IMAP FETCH returned no RFC822.SIZE")


def _flag_stored_messages_seen(imap: imaplib.IMAP4, last_uid: int) -> None:
    """Flag \\Seen what is stored but still unseen: a poll killed between its commit and its
    STORE (the commit may even complete after the worker died) never comes back to that UID."""
    unseen = _check(imap.uid("SEARCH", None, f"UID 1:{last_uid} UNSEEN"), "SEARCH")[0].split()
    if unseen:
        imap.uid("STORE", b",".join(unseen).decode(), "+FLAGS.SILENT", "(\\Seen)")


def imap_poll(*, config: ImapConfig, batch_size: int = IMAP_BATCH_SIZE) -> PollResult:
    result = PollResult()
    imap = _connect(config)
    try:
        _check(imap.login(config.user, config.password), "LOGIN")
        _check(imap.select(_quote(config.folder)), "SELECT")
        uidvalidity = int(imap.response("UIDVALIDITY")[1][0])
        checkpoint, _created = ImapCheckpoint.objects.get_or_create(
            mailbox=config.mailbox_key, defaults={"uidvalidity": uidvalidity}
        )
        if checkpoint.uidvalidity != uidvalidity:
            # The server renumbered the folder: start over. Nothing is lost and nothing is
            # doubled, because every message is deduplicated by Message-ID / bytes.
            logger.warning(
                "UIDVALIDITY of %s changed (%s -> %s): re-reading the folder",
                config.mailbox_key,
                checkpoint.uidvalidity,
                uidvalidity,
            )
            ImapCheckpoint.objects.filter(pk=checkpoint.pk).update(
                uidvalidity=uidvalidity, last_uid=0
            )
            checkpoint.uidvalidity, checkpoint.last_uid = uidvalidity, 0
            result.uidvalidity_reset = True
        if checkpoint.last_uid:
            _flag_stored_messages_seen(imap, checkpoint.last_uid)
        data = _check(imap.uid("SEARCH", None, f"UID {checkpoint.last_uid + 1}:*"), "SEARCH")
        # "n:*" always includes the highest UID, even when it is below n: filter.
        uids = sorted(int(u) for u in data[0].split() if int(u) > checkpoint.last_uid)
        result.remaining = max(0, len(uids) - batch_size)
        for uid in uids[:batch_size]:
            size = _message_size(imap, uid)
            too_large = size > settings.MAX_EMAIL_BYTES
            what = "(BODY.PEEK[HEADER] INTERNALDATE)" if too_large else "(BODY.PEEK[] INTERNALDATE)"
            raw, internal_date = _fetched_message(
                _check(imap.uid("FETCH", str(uid), what), "FETCH")
            )
            now = timezone.now()
            with transaction.atomic():
                try:
                    if too_large:
                        outcome = email_refuse_too_large(
                            head=raw, size=size, source=ContactSource.IMAP, now=now
                        )
                    else:
                        outcome = email_ingest(
                            raw=raw, source=ContactSource.IMAP, now=now, received_at=internal_date
                        )
                except NotAnEmail as exc:
                    outcome = email_reject(
                        raw=raw, source=ContactSource.IMAP, now=now, reason=str(exc)
                    )
                # Only forwards: a slower concurrent poll must not move the checkpoint back
                # below what another poll already stored (it would refetch those as duplicates).
                ImapCheckpoint.objects.filter(
                    pk=checkpoint.pk, uidvalidity=uidvalidity, last_uid__lt=uid
                ).update(last_uid=uid)
            result.fetched += 1
            if outcome.status == "stored":
                result.stored += 1
            elif outcome.status == "duplicate":
                result.duplicates += 1
            else:
                result.rejected += 1
            # After the commit: a crash before this line only means the next poll sets the flag.
            imap.uid("STORE", str(uid), "+FLAGS.SILENT", "(\\Seen)")
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            imap.logout()
    return result
