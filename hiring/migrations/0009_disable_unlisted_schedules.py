"""Switch off any django-q2 schedule that names a function outside the allow-list.

Until now the Admins group could add schedules with any ``func`` (``os.system``). Such a row is
kept (it is evidence) but its ``repeats`` is set to 0, which the scheduler skips; the new guards
refuse to create or run one.
"""

from django.db import migrations


def disable_unlisted(apps, schema_editor):
    from hiring.schedules import TASK_FUNCS

    Schedule = apps.get_model("django_q", "Schedule")
    unlisted = Schedule.objects.exclude(func__in=TASK_FUNCS)
    with_options = Schedule.objects.exclude(hook__isnull=True).exclude(hook="")
    with_options |= Schedule.objects.filter(kwargs__contains="q_options")
    (unlisted | with_options).update(repeats=0)


class Migration(migrations.Migration):
    dependencies = [
        ("hiring", "0008_silence_digest_queued_at"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(disable_unlisted, migrations.RunPython.noop)]
