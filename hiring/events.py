"""Domain events for the outbound webhooks: one explicit hook, like ``candidates.freshness``.

The apps that change state (candidates, followups, silence, scoring) sit below the one that
delivers webhooks (``integrations``), so they may not import it. Each calls ``events_emit`` with
the ids of what changed, *inside the transaction that changed it*; ``integrations`` registers
the handler in its ``AppConfig.ready()`` and writes one outbox row per subscribed endpoint in
that same transaction. Nothing is sent before the commit, and nothing is lost if the process
dies after it: the rows wait for the sender (docs/design.md, "Outbound webhooks").

With no handler registered (the integrations app not installed) emitting costs nothing.
"""

from collections.abc import Callable, Iterable
from datetime import datetime

SILENCE_TEST_CLOSED = "silence_test.closed"
APPLICATION_STAGE_CHANGED = "application.stage_changed"
CONTACT_RECORDED = "contact.recorded"
SCORE_CHANGED = "score.changed"
#: Not offered to ordinary endpoints: the Slack/Teams digest of a requisition's window close.
SILENCE_DIGEST_READY = "silence_digest.ready"

#: The events an admin can subscribe an endpoint to, and what the ids passed with each are.
PUBLIC_EVENTS = {
    SILENCE_TEST_CLOSED: "silence test ids",
    APPLICATION_STAGE_CHANGED: "stage transition ids",
    CONTACT_RECORDED: "contact ids",
    SCORE_CHANGED: "application ids",
}

_handler: Callable[..., object] | None = None


def event_handler_register(handler: Callable[..., object]) -> None:
    """Install the function called with ``event=``, ``ids=`` and ``at=`` (``integrations``)."""
    global _handler
    _handler = handler


def events_emit(*, event: str, ids: Iterable[int | None], at: datetime) -> None:
    """Record that ``event`` happened to these objects, in the caller's transaction."""
    if _handler is None:
        return
    wanted = sorted({int(i) for i in ids if i})
    if wanted:
        _handler(event=event, ids=wanted, at=at)
