import os

from django.core.management.base import BaseCommand
from django.utils import timezone

from devdata.demo import seed_demo


class Command(BaseCommand):
    help = (
        "Create demo data (pipeline, users, 3 requisitions, 48 candidates). Idempotent: running "
        "it again adds nothing. New users' passwords are printed once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help=(
                "Give the demo users new passwords and print them, and reset their two-step "
                "sign-in (the admin sets up an authenticator app again at the next sign-in)."
            ),
        )

    def handle(self, *args, reset_passwords: bool, **options):
        report = seed_demo(
            now=timezone.now(),
            # A fixed password (e.g. for screenshots or scripted checks); random otherwise.
            password=os.environ.get("DEMO_PASSWORD") or None,
            reset_passwords=reset_passwords,
        )
        self.stdout.write(
            f"Demo data: {report.requisitions} requisitions, {report.candidates} new candidates, "
            f"{report.applications_created} new applications."
        )
        if report.created_users:
            self.stdout.write(self.style.WARNING("Demo users (shown once, write them down):"))
            for username, password in report.created_users.items():
                self.stdout.write(f"  {username:<10} {password}")
        if report.existing_users:
            self.stdout.write(
                f"Existing demo users kept their passwords ({', '.join(report.existing_users)}); "
                "`python manage.py seed_demo --reset-passwords` prints new ones."
            )
