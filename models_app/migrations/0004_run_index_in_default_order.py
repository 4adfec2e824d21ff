"""Runs are listed newest first, then by id: an index in exactly that order serves a page without a sort.

The state's index is portable; on PostgreSQL it is rebuilt with NULLS LAST, the order runs/search uses
(PostgreSQL puts NULLs first in a DESC index; SQLite already puts them last and refuses the modifier).
"""
from django.db import migrations, models

INDEX_NAME = "run_experiment_newest_idx"


def nulls_last_on_postgresql(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("models_app", "Run")._meta.db_table
    schema_editor.execute(f"DROP INDEX {INDEX_NAME}")
    schema_editor.execute(f"CREATE INDEX {INDEX_NAME} ON {table} "
                          "(experiment_id, lifecycle_stage, start_time DESC NULLS LAST, run_uuid)")


class Migration(migrations.Migration):

    dependencies = [
        ("models_app", "0003_storage_location_one_spelling"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="run", name="run_experiment_start_idx"),
        migrations.AddIndex(
            model_name="run",
            index=models.Index(fields=["experiment", "lifecycle_stage", "-start_time", "run_uuid"], name=INDEX_NAME),
        ),
        # Reversing drops the index by name (the AddIndex above), whichever form it has.
        migrations.RunPython(nulls_last_on_postgresql, migrations.RunPython.noop),
    ]
