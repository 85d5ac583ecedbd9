from django.db import migrations
from django.utils import timezone


def create_schedules(apps, schema_editor):
    from hiring.schedules import schedules_ensure

    schedules_ensure(apps.get_model("django_q", "Schedule"), timezone.now())


class Migration(migrations.Migration):
    dependencies = [("hiring", "0005_imap_schedule")]

    operations = [migrations.RunPython(create_schedules, migrations.RunPython.noop)]
