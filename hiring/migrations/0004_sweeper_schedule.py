from django.db import migrations
from django.utils import timezone


def create_schedules(apps, schema_editor):
    from hiring.schedules import schedules_ensure

    schedules_ensure(apps.get_model("django_q", "Schedule"), timezone.now())


def remove_schedules(apps, schema_editor):
    from hiring.schedules import SCHEDULES

    apps.get_model("django_q", "Schedule").objects.filter(name__in=SCHEDULES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("hiring", "0003_silence_tests"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
