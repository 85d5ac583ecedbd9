from django.core.management.base import BaseCommand, CommandError

from followups.imap import IMAP_BATCH_SIZE, ImapConfig, imap_poll


class Command(BaseCommand):
    help = "Poll the capture mailbox once (the scheduler does this every minute)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=IMAP_BATCH_SIZE)

    def handle(self, *args, batch_size: int, **options):
        config = ImapConfig.from_settings()
        if config is None:
            raise CommandError("IMAP polling is not configured: set IMAP_HOST, IMAP_USER, …")
        result = imap_poll(config=config, batch_size=batch_size)
        self.stdout.write(
            f"{result.fetched} fetched: {result.stored} stored, {result.duplicates} duplicates, "
            f"{result.rejected} not email; {result.remaining} left for the next run"
        )
