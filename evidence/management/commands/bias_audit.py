import csv
import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from evidence import selectors


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value!r}") from exc


class Command(BaseCommand):
    help = (
        "The bias audit of the silence test and the persistence score (the same figures as the "
        "page and its CSV download)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--requisition", type=int, help="Only this requisition (id).")
        parser.add_argument("--pipeline", type=int, help="Only this pipeline (id).")
        parser.add_argument("--since", type=_date, help="Window closed on or after (UTC date).")
        parser.add_argument("--until", type=_date, help="Window closed on or before (UTC date).")
        parser.add_argument("--csv", action="store_true", help="Write CSV to standard output.")

    def handle(self, *args, **options):
        if options["since"] and options["until"] and options["since"] > options["until"]:
            raise CommandError("--until is before --since.")
        scope = selectors.Scope(
            requisition_id=options["requisition"],
            pipeline_id=options["pipeline"],
            since=options["since"],
            until=options["until"],
        )
        rows = selectors.bias_audit_csv_rows(selectors.bias_audit(scope))
        if options["csv"]:
            csv.writer(self.stdout, lineterminator="\n").writerows(rows)
            return
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            self.stdout.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
