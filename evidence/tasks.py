"""django-q2 entry points: one-line wrappers around services. Arguments are ids only."""

from evidence.services import self_id_invite_deliver


def send_self_id_invite(application_id: int) -> bool:
    return self_id_invite_deliver(application_id=application_id)
