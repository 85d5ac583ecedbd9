"""Score freshness, one mechanism: mark stale in the action's transaction, drain after.

Actions that change what a score is computed from (a contact, its tags, a promise, a silence
test, a stage) call ``mark_scores_stale`` inside their own transaction: it upserts a row per
application into the ``StaleScore`` outbox and asks for a drain once the transaction commits.
The drain lives in the ``scoring`` app, which sits above every app that marks; so that this
low layer never imports it, ``scoring``'s ``AppConfig.ready()`` registers it here
(``stale_scores_drain_register``): one explicit hook, no signals. A process that dies between
its COMMIT and the drain leaves the rows, which the minutely ``scoring.tasks.drain_stale_scores``
schedule recomputes.
"""

from collections.abc import Callable, Iterable

from django.db import transaction
from django.utils import timezone

from candidates import sql

#: Called with sorted application ids after a commit that marked them stale (``queue_many``:
#: may hand a large set to the task queue), or by ``stale_scores_drain_now``.
_drain: Callable[..., object] | None = None


def stale_scores_drain_register(drain: Callable[..., object]) -> None:
    """Install the drain run after each marking transaction commits (``scoring`` does)."""
    global _drain
    _drain = drain


def _drain_after_commit(ids: list[int]) -> None:
    if _drain is not None:
        _drain(ids, queue_many=True)


def stale_scores_drain_now(application_ids: Iterable[int | None]) -> None:
    """Drain these applications' marks now, in this process: for a command that marked many
    with ``drain=False`` and pays for them together (one bulk recompute of 200 applications
    costs about what two single ones do)."""
    ids = sorted({int(i) for i in application_ids if i})
    if ids and _drain is not None:
        _drain(ids, queue_many=False)


def mark_scores_stale(application_ids: Iterable[int | None], *, drain: bool = True) -> list[int]:
    """Record that these applications' scores are stale, in the caller's transaction.

    DO UPDATE rather than DO NOTHING: the upsert locks an existing row until this transaction
    ends, so a drain running concurrently either finished before (and this change marks the row
    again) or skips the row (SKIP LOCKED) and leaves it to this transaction's drain; a drain can
    never delete a mark whose change it did not see.

    ``drain=False`` leaves the rows to a later explicit drain (a command storing many messages
    in a row drains once per batch) or to the minutely schedule.
    """
    ids = sorted({int(i) for i in application_ids if i})
    if not ids:
        return ids
    # Ordered, so that two transactions marking overlapping sets never wait on each other in
    # opposite orders; an application deleted meanwhile is simply not marked.
    sql.stale_scores_upsert(ids, at=timezone.now())
    if drain:
        transaction.on_commit(lambda: _drain_after_commit(ids))
    return ids
