"""django-q2 entry points: one-line wrappers around services. Arguments are ids only."""

from integrations import services


def send_webhooks() -> tuple[int, int]:
    return services.deliveries_send()
