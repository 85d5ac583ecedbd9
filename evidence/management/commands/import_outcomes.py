from pathlib import Path

from django.core.management.base import BaseCommand

from evidence import services
from evidence.management.commands.import_self_id import import_file, report


class Command(BaseCommand):
    help = (
        "Import post-hire outcomes. CSV columns: candidate email, requisition_id (when hired "
        "more than once), quota_6m, quota_12m (percent), ramp_months, employed_12m (yes/no)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, **options):
        report(self, import_file(options["file"], lambda rows: services.outcomes_import(rows=rows)))
