"""django-q2 entry points: one-line wrappers around services. Arguments are ids only."""

from dataclasses import asdict

from django.utils import timezone

from silence import services


def sweep_silence_tests(batch_size: int = services.SWEEP_BATCH_SIZE) -> dict:
    return asdict(services.silence_tests_sweep(now=timezone.now(), batch_size=batch_size))


def send_silence_digest(digest_id: int) -> bool:
    return services.silence_digest_send(digest_id=digest_id, now=timezone.now())
