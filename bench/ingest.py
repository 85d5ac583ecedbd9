"""``python -m bench.ingest --json FILE --via pipe|webhook [--messages N] [--base-url URL]``.

Email ingest throughput in a copy of the scale database: ``--messages`` distinct RFC 5322
messages from scale candidates' addresses (so each is matched to an application and stored as a
contact), either as files through ``manage.py ingest_email FILE …`` (one process: the
per-worker rate, process start included) or POSTed as Postmark inbound JSON (``RawEmail``) to
the anymail webhook of a running server with ``--concurrency`` clients.
"""

import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path


def messages(addresses: list[str], count: int, tag: str) -> list[bytes]:
    from django.utils import timezone

    now = timezone.now()
    out = []
    for n in range(count):
        message = EmailMessage()
        message["From"] = addresses[n % len(addresses)]
        message["To"] = "hiring@persist.example"
        message["Subject"] = f"Following up on my application ({tag} {n})"
        message["Date"] = format_datetime(now)
        message["Message-ID"] = make_msgid(idstring=f"{tag}-{n}", domain="bench.example")
        message.set_content(
            "Hi, following up after our conversation last week: I put together a short plan "
            "for the territory and two references. Happy to walk you through it.\n"
        )
        out.append(message.as_bytes())
    return out


def scale_addresses(count: int) -> list[str]:
    """Addresses of up to ``count`` scale candidates (each matches one application)."""
    from candidates.models import CandidateEmail
    from devdata.scale import SCALE_PREFIX

    return list(
        CandidateEmail.objects.filter(
            candidate__applications__requisition__title__startswith=SCALE_PREFIX
        )
        .order_by("pk")
        .values_list("address", flat=True)[:count]
    )


def via_pipe(raws: list[bytes]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for n, raw in enumerate(raws):
            path = Path(tmp) / f"{n:06d}.eml"
            path.write_bytes(raw)
            files.append(str(path))
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "manage.py", "ingest_email", *files],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return time.perf_counter() - started


def via_webhook(raws: list[bytes], base_url: str, concurrency: int) -> tuple[float, dict]:
    from django.conf import settings

    auth = base64.b64encode(settings.ANYMAIL["WEBHOOK_SECRET"].encode()).decode()
    url = f"{base_url}/webhooks/email/postmark/"
    statuses: dict[int, int] = {}

    def post(raw: bytes) -> int:
        body = json.dumps({"RecordType": "Inbound", "RawEmail": raw.decode()}).encode()
        request = urllib.request.Request(
            url,
            data=body,
            headers={"Content-Type": "application/json", "Authorization": f"Basic {auth}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for status in pool.map(post, raws):
            statuses[status] = statuses.get(status, 0) + 1
    return time.perf_counter() - started, statuses


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", required=True)
    parser.add_argument("--via", choices=["pipe", "webhook"], required=True)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--base-url", default="")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from followups.models import Contact

    raws = messages(scale_addresses(args.messages), args.messages, f"{args.via}{time.time_ns()}")
    before = Contact.objects.count()
    statuses = {}
    if args.via == "pipe":
        seconds = via_pipe(raws)
    else:
        seconds, statuses = via_webhook(raws, args.base_url, args.concurrency)
    stored = Contact.objects.count() - before
    result = {
        "via": args.via,
        "messages": len(raws),
        "seconds": seconds,
        "stored": stored,
        "statuses": statuses,
        "messages_per_second": len(raws) / seconds,
    }
    print(
        f"ingest via {args.via}: {len(raws)} messages in {seconds:.2f} s "
        f"({result['messages_per_second']:.0f}/s), {stored} contacts stored {statuses or ''}"
    )
    Path(args.json).write_text(json.dumps(result))
    return 0 if stored == len(raws) else 1


if __name__ == "__main__":
    sys.exit(main())
