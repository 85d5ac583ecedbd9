"""The one place other apps (the audit log) hear about exports and erasures.

Sent after the commit, with pks only: ``candidate_pk``, ``actor`` (a user or None for the
retention policy) and, for erasures, ``reason``.
"""

from django.dispatch import Signal

candidate_exported = Signal()
candidate_erased = Signal()
