"""Follow the tasks that moved when the apps were layered (issue #14), and add the minutely
drain of stale scores (``hiring.schedules.SCHEDULES``)."""

from django.db import migrations
from django.utils import timezone


def ensure_schedules(apps, schema_editor):
    from hiring.schedules import schedules_ensure

    schedules_ensure(apps.get_model("django_q", "Schedule"), timezone.now())


class Migration(migrations.Migration):
    dependencies = [("hiring", "0009_disable_unlisted_schedules")]

    operations = [migrations.RunPython(ensure_schedules, migrations.RunPython.noop)]
