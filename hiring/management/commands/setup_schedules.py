from django.core.management.base import BaseCommand
from django.utils import timezone
from django_q.models import Schedule

from hiring.schedules import SCHEDULES, schedules_ensure


class Command(BaseCommand):
    help = "Create or update the django-q2 schedules Persist needs (idempotent)."

    def handle(self, *args, **options):
        created = schedules_ensure(Schedule, timezone.now())
        for name in SCHEDULES:
            state = "created" if name in created else "up to date"
            self.stdout.write(f"Schedule {name}: {state}")
