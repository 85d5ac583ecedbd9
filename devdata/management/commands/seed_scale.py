from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from devdata import scale


class Command(BaseCommand):
    help = (
        "Create a large synthetic dataset for benchmarks (PostgreSQL only): users, one pipeline, "
        "requisitions across time zones, candidates, applications, stage history, silence tests, "
        "contacts, tags and promises. Refuses to add to an existing scale dataset unless --force "
        "(which replaces it). Prints the time of each phase."
    )

    def add_arguments(self, parser):
        parser.add_argument("--requisitions", type=int, default=scale.DEFAULT_REQUISITIONS)
        parser.add_argument("--applications", type=int, default=scale.DEFAULT_APPLICATIONS)
        parser.add_argument("--contacts", type=int, default=scale.DEFAULT_CONTACTS)
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed (same seed, same data)."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=scale.DEFAULT_BATCH_SIZE,
            help="Rows per bulk_create batch (small tables; all tables with --method orm). "
            "COPY streams its rows.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace an existing scale dataset (users and the pipeline are kept).",
        )
        parser.add_argument(
            "--method",
            choices=["copy", "orm"],
            default="copy",
            help="COPY (default) or Django bulk_create for the big tables (to compare).",
        )

    def handle(self, *args, **options):
        for name in ("requisitions", "batch_size"):
            if options[name] < 1:
                raise CommandError(f"--{name.replace('_', '-')} must be at least 1.")
        for name in ("applications", "contacts"):
            if options[name] < 0:
                raise CommandError(f"--{name} cannot be negative.")
        self.stdout.write(
            f"Seeding {options['requisitions']:,} requisitions, {options['applications']:,} "
            f"applications, {options['contacts']:,} contacts (seed {options['seed']}, "
            f"{options['method']})…"
        )
        try:
            report = scale.seed_scale(
                now=timezone.now(),
                requisitions=options["requisitions"],
                applications=options["applications"],
                contacts=options["contacts"],
                seed=options["seed"],
                batch_size=options["batch_size"],
                force=options["force"],
                method=options["method"],
                progress=self.stdout.write,
            )
        except scale.ScaleDataExists as exc:
            raise CommandError(str(exc)) from exc
        if report.created_users:
            self.stdout.write(
                f"Created users {', '.join(report.created_users)} (random passwords, not shown)."
            )
        counts = ", ".join(f"{count:,} {name}" for name, count in report.counts.items())
        self.stdout.write(self.style.SUCCESS(f"Done in {report.total_seconds:.1f} s: {counts}."))
