"""``python -m bench.fixtures --json FILE [--sessions N]``: benchmark users and sessions.

In the database of ``DATABASE_URL`` (a scale dataset): a hiring manager ``bench-manager`` who
owns the scale requisition closest to the median size (~100 applications with the defaults) and
a recruiter ``bench-recruiter`` on it; logged-in sessions for both, created the way
``Client.force_login`` does, so no password is ever typed or stored; a CSRF secret for POSTs.
Idempotent. Writes the requisition, sessions and a sample of its applications, candidate email
addresses and phone numbers (for contact logging and webhooks) as JSON.
"""

import argparse
import json
import os
import secrets
import sys
from pathlib import Path

#: Applications, emails and phone numbers handed to the load test.
SAMPLE_SIZE = 200


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", required=True)
    parser.add_argument("--sessions", type=int, default=1, help="sessions per role")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore
    from django.db.models import Count

    from accounts.roles import HIRING_MANAGERS, RECRUITERS
    from candidates.models import Application, CandidateEmail, CandidatePhone
    from devdata.scale import SCALE_PREFIX
    from hiring.models import Requisition

    User = get_user_model()
    manager, _ = User.objects.get_or_create(username="bench-manager")
    recruiter, _ = User.objects.get_or_create(username="bench-recruiter")
    for user, group in ((manager, HIRING_MANAGERS), (recruiter, RECRUITERS)):
        # Once: an unusable password is random, and a new one would sign out the sessions of a
        # benchmark that another checkout is running on the same database.
        if user.has_usable_password():
            user.set_unusable_password()
            user.save()
        user.groups.add(Group.objects.get_or_create(name=group)[0])

    sized = list(
        Requisition.objects.filter(title__startswith=SCALE_PREFIX)
        .annotate(n=Count("applications"))
        .order_by("n", "pk")
        .values_list("pk", "n")
    )
    if not sized:
        print("No scale dataset here: run manage.py seed_scale first.", file=sys.stderr)
        return 1
    owned = Requisition.objects.filter(hiring_manager=manager).first()
    if owned is None:
        pk, _n = sized[len(sized) // 2]
        owned = Requisition.objects.get(pk=pk)
        owned.hiring_manager = manager
        owned.save(update_fields=["hiring_manager"])
    owned.recruiters.add(recruiter)

    def session_for(user) -> str:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        return store.session_key

    apps = list(
        Application.objects.filter(requisition=owned).order_by("pk").values_list("pk", flat=True)
    )
    # The application page is measured at the median and the 95th-percentile contact count of
    # the requisition's applications (ties broken by pk, so every run picks the same ones).
    by_contacts = list(
        Application.objects.filter(requisition=owned)
        .annotate(n=Count("contacts"))
        .order_by("n", "pk")
        .values_list("pk", "n")
    )
    median_app = by_contacts[len(by_contacts) // 2]
    p95_app = by_contacts[min(len(by_contacts) - 1, int(len(by_contacts) * 0.95))]
    candidate_ids = list(
        Application.objects.filter(requisition__title__startswith=SCALE_PREFIX)
        .order_by("pk")
        .values_list("candidate_id", flat=True)[:SAMPLE_SIZE]
    )
    result = {
        "requisition": owned.pk,
        "requisition_applications": len(apps),
        "applications": apps[:SAMPLE_SIZE],
        "median_contacts_application": {"pk": median_app[0], "contacts": median_app[1]},
        "p95_contacts_application": {"pk": p95_app[0], "contacts": p95_app[1]},
        "manager_sessions": [session_for(manager) for _ in range(args.sessions)],
        "recruiter_sessions": [session_for(recruiter) for _ in range(args.sessions)],
        # The CSRF cookie holds the secret; a form or header may carry it unmasked.
        "csrf_secret": secrets.token_hex(16),
        "emails": list(
            CandidateEmail.objects.filter(candidate_id__in=candidate_ids).values_list(
                "address", flat=True
            )
        ),
        "phones": list(
            CandidatePhone.objects.filter(candidate_id__in=candidate_ids).values_list(
                "number", flat=True
            )
        ),
    }
    Path(args.json).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
