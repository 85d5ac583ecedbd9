from django.db import migrations


def create_initial_weights(apps, schema_editor):
    weights = apps.get_model("followups", "ScoringWeights")
    weights.objects.get_or_create(version=1, defaults={"note": "Defaults from docs/design.md"})


class Migration(migrations.Migration):
    dependencies = [("followups", "0004_scores")]

    operations = [migrations.RunPython(create_initial_weights, migrations.RunPython.noop)]
