"""An index for the bulk rescore (``scoring.sql._BATCH_CONTACTS_SQL``): each application's
first prompted reply, in id order, without reading its other contacts.

Raw SQL, not a model index: the index serves one hand-written query and nothing in the ORM.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("followups", "0005_initial_weights"),
    ]

    operations = [
        migrations.RunSQL(
            sql=(
                "CREATE INDEX contact_prompted_reply_idx ON followups_contact (application_id, id) "
                "WHERE direction = 'inbound' AND is_prompted AND NOT is_automated"
            ),
            reverse_sql="DROP INDEX contact_prompted_reply_idx",
        ),
    ]
