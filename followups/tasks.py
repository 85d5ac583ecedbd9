"""django-q2 entry points: one-line wrappers around services. Arguments are ids only."""

from dataclasses import asdict

from django.utils import timezone

from followups.imap import ImapConfig, imap_poll
from followups.imports import call_import_run
from followups.quality import promises_sweep
from followups.services import candidate_email_deliver


def poll_imap() -> dict | str:
    config = ImapConfig.from_settings()
    if config is None:
        return "IMAP polling is not configured (IMAP_HOST is empty)"
    return asdict(imap_poll(config=config))


def send_candidate_email(contact_id: int) -> bool:
    return candidate_email_deliver(contact_id=contact_id)


def sweep_promises() -> dict:
    return promises_sweep(now=timezone.now())


def run_call_import(batch_id: int) -> dict:
    batch = call_import_run(batch_id=batch_id, now=timezone.now())
    return {"status": batch.status, "imported": batch.imported, "errors": batch.errors}
