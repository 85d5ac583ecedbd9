"""`manage.py import_calls FILE --preset NAME --region US`: import a call-log CSV now (presets:
generic, twilio, aircall, dialpad, ringcentral).

Runs the same import as the upload page, synchronously: prints the counts and the rows that
could not be imported. Exit status 1 when the file cannot be read or lacks the preset's
columns (nothing is stored then); 0 otherwise, also when some rows are errors (they are
listed, and downloadable from the batch page).
"""

from collections import Counter
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from followups import call_import
from followups.imports import call_import_create, call_import_run
from followups.models import ImportRow, RowOutcome

#: Error rows listed one by one; the rest are summarised by reason.
MAX_LISTED_ERRORS = 20


class Command(BaseCommand):
    help = "Import a call-log CSV (rows that are not imported are listed with the reason)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file")
        parser.add_argument(
            "--preset", choices=sorted(call_import.PRESETS), default="generic", help="Format"
        )
        parser.add_argument(
            "--region",
            default="",
            help="Default country (ISO 3166, e.g. US) of numbers without +country code",
        )
        parser.add_argument(
            "--time-zone",
            default=None,
            help="Zone of times written without one (default: the user's, else UTC)",
        )
        parser.add_argument(
            "--user", default=None, help="Username recorded as uploader (sees the batch page)"
        )

    def handle(self, *args, file: str, preset: str, region: str, time_zone, user, **options):
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: cannot read ({exc.strerror or exc})") from None
        uploader = None
        if user:
            uploader = get_user_model().objects.filter(username=user).first()
            if uploader is None:
                raise CommandError(f"No user {user!r}.")
        if time_zone:
            try:
                call_import.parse_zone(time_zone)
            except ValueError as exc:
                raise CommandError(str(exc)) from None
        try:
            batch = call_import_create(
                uploaded_by=uploader,
                filename=path.name,
                content=content,
                preset=preset,
                default_region=region,
                enqueue=False,
            )
        except ValidationError as exc:
            raise CommandError(f"{file}: {' '.join(exc.messages)}") from None
        batch = call_import_run(batch_id=batch.pk, now=timezone.now(), time_zone=time_zone)
        self.stdout.write(
            f"{path.name}: {batch.total_rows} rows — {batch.imported} imported, "
            f"{batch.duplicates} duplicate, {batch.unmatched} unmatched, {batch.errors} error "
            f"(batch #{batch.pk}, {batch.get_status_display().lower()})"
        )
        self._report_errors(batch)

    def _report_errors(self, batch):
        errors = list(
            ImportRow.objects.filter(batch=batch, outcome=RowOutcome.ERROR)
            .order_by("row_number")
            .values_list("row_number", "reason")
        )
        if not errors:
            return
        self.stdout.write("Rows not imported (errors):")
        for number, reason in errors[:MAX_LISTED_ERRORS]:
            self.stdout.write(f"  row {number}: {reason}")
        if len(errors) > MAX_LISTED_ERRORS:
            rest = Counter(_kind(reason) for _number, reason in errors[MAX_LISTED_ERRORS:])
            self.stdout.write(f"  … and {len(errors) - MAX_LISTED_ERRORS} more:")
            for kind, count in rest.most_common():
                self.stdout.write(f"    {count}: {kind}")


def _kind(reason: str) -> str:
    # "Unknown direction 'x' (expected …)" -> "Unknown direction": the reason without values.
    return reason.split("'")[0].split("(")[0].strip().rstrip(".:") or reason
