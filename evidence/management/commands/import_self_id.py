from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from evidence import services


class Command(BaseCommand):
    help = (
        "Import voluntary self-identification from a previous system. CSV columns: "
        "candidate email, sex, race_ethnicity (EEO-1 codes or labels; 'declined')."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, **options):
        results = import_file(
            options["file"], lambda rows: services.self_id_import(rows=rows, now=timezone.now())
        )
        report(self, results)


def import_file(path: Path, run):
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
    try:
        return run(services.read_csv(data))
    except ValidationError as exc:
        raise CommandError(" ".join(exc.messages)) from exc


def report(command: BaseCommand, results) -> None:
    """One line per row (never the answers themselves), then the totals."""
    counts: dict[str, int] = {}
    for result in results:
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
        line = f"row {result.row} ({result.key}): {result.outcome}"
        if result.message:
            line += f" ({result.message})"
        command.stdout.write(line)
    command.stdout.write(
        ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "No rows."
    )
