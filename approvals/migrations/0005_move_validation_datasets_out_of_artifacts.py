"""Move validation dataset files from the artifact store (validation-datasets/…, which clients could write through
the artifact proxy) into their own storage root (VALIDATION_DATASET_ROOT)."""
import posixpath

from django.core.files.storage import storages
from django.db import migrations

LEGACY_FOLDER = "validation-datasets"


def _move(rows, source, target, *, to_legacy: bool) -> None:
    for row in rows:
        name = posixpath.basename(row.storage_path)
        destination = f"{LEGACY_FOLDER}/{name}" if to_legacy else name
        if not source.exists(row.storage_path):
            continue  # the file was already missing; the hash check reports it at the next use
        with source.open(row.storage_path, "rb") as handle:
            saved = target.save(destination, handle)
        source.delete(row.storage_path)
        row.storage_path = saved
        row.save(update_fields=["storage_path"])


def forwards(apps, schema_editor):
    rows = apps.get_model("approvals", "ValidationDataset").objects.filter(storage_path__startswith=f"{LEGACY_FOLDER}/")
    _move(rows, storages["artifacts"], storages["validation_datasets"], to_legacy=False)


def backwards(apps, schema_editor):
    rows = apps.get_model("approvals", "ValidationDataset").objects.exclude(storage_path__startswith=f"{LEGACY_FOLDER}/")
    _move(rows, storages["validation_datasets"], storages["artifacts"], to_legacy=True)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0004_validation_check_details")]

    operations = [migrations.RunPython(forwards, backwards)]
