"""The django-q2 schedules the app relies on, created idempotently by name.

One global minutely sweeper, never a schedule per requisition: django-q2 has a single time zone,
and deadlines live as UTC instants on the silence tests themselves.
"""

SILENCE_SWEEPER = "silence-test-sweeper"
IMAP_POLLER = "imap-poller"
PROMISE_SWEEPER = "promise-sweeper"
RETENTION_POLICY = "retention-policy"

SCHEDULES = {
    SILENCE_SWEEPER: {
        "func": "hiring.tasks.sweep_silence_tests",
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
    for name, fields in SCHEDULES.items():
        _schedule, created = schedule_model.objects.update_or_create(
            name=name, defaults=fields, create_defaults={**fields, "next_run": now}
        )
        if created:
            created_names.append(name)
    return created_names
