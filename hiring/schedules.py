"""The django-q2 schedules the app relies on, created idempotently by name.

One global minutely sweeper, never a schedule per requisition: django-q2 has a single time zone,
and deadlines live as UTC instants on the silence tests themselves.
"""

from django.core.exceptions import ValidationError

from audit.services import REFUSED_CODE

#: Every function the project hands to django-q2, by dotted path: the only ones a schedule or a
#: queued task may name. django-q2 imports and calls whatever path a Schedule row holds, so a
#: free-text ``func`` (``os.system``) is code execution for whoever can write that row.
TASK_FUNCS = frozenset(
    {
        "silence.tasks.sweep_silence_tests",
        "silence.tasks.send_silence_digest",
        "followups.tasks.poll_imap",
        "followups.tasks.send_candidate_email",
        "followups.tasks.sweep_promises",
        "followups.tasks.run_call_import",
        "scoring.tasks.drain_stale_scores",
        "scoring.tasks.rescore_all",
        "privacy.tasks.apply_retention_policy",
        "evidence.tasks.send_self_id_invite",
        "integrations.tasks.send_webhooks",
        "decisions.tasks.send_scheduled_emails",
    }
)
#: Task paths before the apps were layered (issue #14): existing schedules are renamed.
MOVED_TASKS = {
    "hiring.tasks.sweep_silence_tests": "silence.tasks.sweep_silence_tests",
    "hiring.tasks.send_silence_digest": "silence.tasks.send_silence_digest",
    "followups.tasks.rescore_all": "scoring.tasks.rescore_all",
}
#: Result hooks are called with the finished task: the project uses none.
TASK_HOOKS: frozenset[str] = frozenset()

SILENCE_SWEEPER = "silence-test-sweeper"
IMAP_POLLER = "imap-poller"
PROMISE_SWEEPER = "promise-sweeper"
RETENTION_POLICY = "retention-policy"
STALE_SCORES = "stale-scores-drain"
WEBHOOK_SENDER = "webhook-sender"
SCHEDULED_EMAILS = "scheduled-emails"

SCHEDULES = {
    SILENCE_SWEEPER: {
        "func": "silence.tasks.sweep_silence_tests",
        "schedule_type": "I",  # Schedule.MINUTES
        "minutes": 1,
        "repeats": -1,
    },
    # A no-op until IMAP_HOST is configured.
    IMAP_POLLER: {
        "func": "followups.tasks.poll_imap",
        "schedule_type": "I",
        "minutes": 1,
        "repeats": -1,
    },
    # Marks candidates' promises ("I'll call Monday") kept or broken.
    PROMISE_SWEEPER: {
        "func": "followups.tasks.sweep_promises",
        "schedule_type": "I",
        "minutes": 1,
        "repeats": -1,
    },
    # Recomputes the scores still marked stale: those whose after-commit drain never ran (the
    # process died after its COMMIT) or was handed to the queue (``candidates.freshness``).
    STALE_SCORES: {
        "func": "scoring.tasks.drain_stale_scores",
        "schedule_type": "I",
        "minutes": 1,
        "repeats": -1,
    },
    # Sends the outbound webhooks whose after-commit send never ran, and the retries that are
    # due (integrations.services.deliveries_send); a no-op without endpoints.
    WEBHOOK_SENDER: {
        "func": "integrations.tasks.send_webhooks",
        "schedule_type": "I",
        "minutes": 1,
        "repeats": -1,
    },
    # Sends the rejection and acknowledgement emails whose cancel window has passed.
    SCHEDULED_EMAILS: {
        "func": "decisions.tasks.send_scheduled_emails",
        "schedule_type": "I",
        "minutes": 1,
        "repeats": -1,
    },
    # Erases candidates inactive longer than the admin-set policy; a no-op while it is unset.
    RETENTION_POLICY: {
        "func": "privacy.tasks.apply_retention_policy",
        "schedule_type": "D",  # Schedule.DAILY
        "repeats": -1,
    },
}


def schedules_ensure(schedule_model, now) -> list[str]:
    """Create or update every named schedule; returns the names created. Safe to repeat.

    Takes the model class so the same code serves a data migration (historical model) and the
    ``setup_schedules`` command.
    """
    created_names = []
    # Schedules whose task moved to another module (the layered apps, issue #14) follow it.
    for old, new in MOVED_TASKS.items():
        schedule_model.objects.filter(func=old).update(func=new)
    for name, fields in SCHEDULES.items():
        _schedule, created = schedule_model.objects.update_or_create(
            name=name, defaults=fields, create_defaults={**fields, "next_run": now}
        )
        if created:
            created_names.append(name)
    return created_names


def _refused(field: str, message: str) -> ValidationError:
    # A dict of errors drops an outer code: the code goes on the field's own error.
    return ValidationError({field: ValidationError(message, code=REFUSED_CODE)})


def _dotted_path(func) -> str:
    if callable(func):
        return f"{getattr(func, '__module__', '')}.{getattr(func, '__qualname__', '')}"
    return str(func or "")


def task_func_check(func, *, hook=None, chain=None) -> None:
    """Refuse work that names a function outside ``TASK_FUNCS`` (or any result hook, or a chain
    reaching one): raises ``ValidationError`` with the refusal code, which the admin audits."""
    if _dotted_path(func) not in TASK_FUNCS:
        raise _refused("func", "Only the project's own tasks can be scheduled.")
    if hook and _dotted_path(hook) not in TASK_HOOKS:
        raise _refused("hook", "Result hooks are not allowed.")
    for link in chain or ():
        # async_chain's items are (func, args, kwargs) tuples or a bare func.
        task_func_check(link[0] if isinstance(link, list | tuple) else link)


def schedule_check(schedule) -> None:
    """The allow-list for a ``django_q`` Schedule row, including the task options its ``kwargs``
    can carry to the scheduler (``q_options`` holds hooks and chains)."""
    task_func_check(schedule.func, hook=schedule.hook)
    if schedule.kwargs and "q_options" in str(schedule.kwargs):
        raise _refused("kwargs", "Task options (q_options) cannot be set on a schedule.")


def schedule_guard(sender, instance, **kwargs) -> None:
    """``pre_save`` of django-q2's Schedule: every writer (admin, shell, fixture, ``schedule()``)
    meets the allow-list, not just the admin form."""
    schedule_check(instance)


def enqueue_guard(sender, task, **kwargs) -> None:
    """django-q2's ``pre_enqueue``: the last door before a task is signed and queued, also for
    the scheduler and the admin's "resubmit" action, which re-run a stored ``func``."""
    task_func_check(task["func"], hook=task.get("hook"), chain=task.get("chain"))
