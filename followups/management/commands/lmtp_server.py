"""`manage.py lmtp_server --bind 127.0.0.1:8024`: the LMTP listener an MTA delivers inbound mail
to (``followups.lmtp``; docs/operations.md has the Postfix transport and the systemd unit).

``ingest_email`` stays for pipes and files; this is the same ingest action without a Django
start-up per message.
"""

from django.core.management.base import BaseCommand, CommandError

from followups.lmtp import lmtp_serve


class Command(BaseCommand):
    help = (
        "Listen for LMTP deliveries from the MTA and store each message as ingest_email does "
        "(250 stored/duplicate, 554 not a message, 552 too large, 451 database unavailable)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--bind",
            default="127.0.0.1:8024",
            help="HOST:PORT, or unix:/path/to/socket (default 127.0.0.1:8024)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=4,
            help="messages stored at once, one database connection each (default 4)",
        )

    def handle(self, *args, bind: str, workers: int, **options):
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        if not bind.startswith("unix:") and not bind.rpartition(":")[2].isdigit():
            raise CommandError("--bind takes HOST:PORT or unix:/path")

        def ready(address: str) -> None:
            self.stdout.write(f"LMTP listening on {address} ({workers} workers)")
            self.stdout.flush()

        try:
            lmtp_serve(bind=bind, workers=workers, ready=ready)
        except OSError as exc:
            raise CommandError(f"cannot listen on {bind}: {exc.strerror or exc}") from exc
