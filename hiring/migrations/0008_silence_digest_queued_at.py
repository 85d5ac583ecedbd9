from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("hiring", "0007_calendar_feed"),
    ]

    operations = [
        migrations.AddField(
            model_name="silencedigest",
            name="queued_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When its email was queued: once every test had closed.",
                null=True,
            ),
        ),
        # Digests created before this field were queued as they were created (the sweep created
        # them only once their group had closed).
        migrations.RunSQL(
            "UPDATE hiring_silencedigest SET queued_at = created_at",
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
