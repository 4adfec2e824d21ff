"""The data migration that moves validation datasets out of the artifact store, forwards and back."""
import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

MOVE_SUFFIX = "move_validation_datasets_out_of_artifacts"
CONTENT = b"x,target\n1,0\n2,1\n"


def _executor() -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor


def _the_move(executor: MigrationExecutor) -> tuple[tuple[str, str], tuple[str, str]]:
    """(the migration, the one before it), by name suffix: migration numbers change when branches merge."""
    key = next(key for key in executor.loader.disk_migrations if key[0] == "approvals" and key[1].endswith(MOVE_SUFFIX))
    before = next(dependency for dependency in executor.loader.disk_migrations[key].dependencies
                  if dependency[0] == "approvals")
    return key, before


@pytest.mark.django_db(transaction=True)
def test_datasets_in_the_artifact_store_move_to_their_own_root_and_back():
    executor = _executor()
    move, before = _the_move(executor)
    artifacts, datasets = storages["artifacts"], storages["validation_datasets"]
    try:
        executor.migrate([before])
        old_apps = _executor().loader.project_state([before]).apps
        artifacts.save("validation-datasets/0123abcd.csv", ContentFile(CONTENT))
        row = old_apps.get_model("approvals", "ValidationDataset").objects.create(
            name="legacy", storage_path="validation-datasets/0123abcd.csv", file_format="csv", target_column="target",
            task_type="classification", content_hash=hashlib.sha256(CONTENT).hexdigest())

        _executor().migrate([move])
        row.refresh_from_db()
        assert row.storage_path == "0123abcd.csv"
        assert datasets.open(row.storage_path).read() == CONTENT
        assert not artifacts.exists("validation-datasets/0123abcd.csv")

        _executor().migrate([before])
        row.refresh_from_db()
        assert row.storage_path == "validation-datasets/0123abcd.csv"
        assert artifacts.open(row.storage_path).read() == CONTENT and not datasets.exists("0123abcd.csv")
    finally:
        executor = _executor()
        executor.migrate(executor.loader.graph.leaf_nodes())
