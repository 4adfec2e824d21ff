"""Experiment 0, "Default": the MLflow client logs runs there when no experiment is set."""
from django.db import migrations


def create_default_experiment(apps, schema_editor):
    Experiment = apps.get_model("models_app", "Experiment")
    Experiment.objects.get_or_create(
        pk=0, defaults={"name": "Default", "artifact_location": "mlflow-artifacts:/0"}
    )


class Migration(migrations.Migration):
    dependencies = [("models_app", "0001_initial")]

    operations = [migrations.RunPython(create_default_experiment, migrations.RunPython.noop)]
