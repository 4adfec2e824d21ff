"""Versions registered from `mlflow-artifacts://host/<path>` are stored as `mlflow-artifacts:/<path>`.

Artifact protection looks versions up by location, so every location of ours has one spelling.
"""
from django.db import migrations

SERVER_NAMING_PREFIX = "mlflow-artifacts://"


def respell_locations(apps, schema_editor):
    ModelVersion = apps.get_model("models_app", "ModelVersion")
    versions = ModelVersion.objects.filter(storage_location__startswith=SERVER_NAMING_PREFIX)
    for version in versions.iterator():
        path = version.storage_location[len(SERVER_NAMING_PREFIX):].partition("/")[2].strip("/")
        version.storage_location = f"mlflow-artifacts:/{path}"
        version.save(update_fields=["storage_location"])


class Migration(migrations.Migration):
    dependencies = [("models_app", "0002_default_experiment")]

    operations = [migrations.RunPython(respell_locations, migrations.RunPython.noop)]
