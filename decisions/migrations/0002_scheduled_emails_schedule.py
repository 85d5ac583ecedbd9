from django.db import migrations
from django.utils import timezone


def create_schedules(apps, schema_editor):
    # Databases migrated before this app existed get the minutely scheduled-email sender here.
    from hiring.schedules import schedules_ensure

    schedules_ensure(apps.get_model("django_q", "Schedule"), timezone.now())


def remove_schedule(apps, schema_editor):
    from hiring.schedules import SCHEDULED_EMAILS

    apps.get_model("django_q", "Schedule").objects.filter(name=SCHEDULED_EMAILS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("decisions", "0001_email_templates_and_scheduled_emails"),
        ("hiring", "0011_company_calendar"),
        ("privacy", "0002_retention_schedule"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedule)]
