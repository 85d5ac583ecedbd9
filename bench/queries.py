"""``python -m bench.queries --json FILE``: SQL queries per dashboard view, in this database.

The database holds one scale requisition (``seed_scale --requisitions 1 --applications N``);
every dashboard is requested as its hiring manager (and the home page also as a recruiter on
it) through the test client and the full middleware stack. Each view is requested once to warm
per-process caches, then counted on the second request.
"""

import argparse
import json
import os
import sys
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", required=True)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from candidates.models import Application
    from devdata.scale import SCALE_PREFIX
    from hiring.models import Requisition

    requisition = Requisition.objects.get(title__startswith=SCALE_PREFIX)
    recruiter = requisition.recruiters.order_by("pk").first()
    pk = requisition.pk
    views = [
        ("HM home", requisition.hiring_manager, reverse("hiring:home")),
        ("recruiter home", recruiter, reverse("hiring:home")),
        ("requisition list", requisition.hiring_manager, reverse("hiring:requisition_list")),
        ("board", requisition.hiring_manager, reverse("hiring:requisition_board", args=[pk])),
        ("silence board", requisition.hiring_manager, reverse("hiring:silence_board", args=[pk])),
        ("ranking", requisition.hiring_manager, reverse("followups:ranking", args=[pk])),
        ("insights", requisition.hiring_manager, reverse("hiring:insights", args=[pk])),
    ]
    counts = {}
    for label, user, url in views:
        client = Client()
        client.force_login(user)
        first = client.get(url)
        if first.status_code != 200:
            print(f"{label}: {url} answered {first.status_code}", file=sys.stderr)
            return 1
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        counts[label] = len(captured.captured_queries)
    result = {
        "applications": Application.objects.filter(requisition=requisition).count(),
        "counts": counts,
    }
    print(f"{result['applications']:>6} applications: {counts}")
    Path(args.json).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
