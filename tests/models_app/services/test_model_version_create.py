import hashlib
import io

import pytest

from models_app.choices import AuditAction, EntryPoint
from models_app.exceptions import InvalidParameter, NotFound
from models_app.models import AuditEvent, ModelVersion
from models_app.services.artifacts import artifact_uri_to_path, artifact_write, artifacts_content_hash
from models_app.services.registry import model_version_create, model_version_delete
from tests.models_app.factories import (
    LoggedModelFactory,
    ModelVersionFactory,
    RegisteredModelFactory,
    RunFactory,
)

from .concurrency import postgres_only, run_concurrently

EMPTY_FOLDER_HASH = hashlib.sha256().hexdigest()


def _register(name, source="mlflow-artifacts:/0/some-model", **kwargs):
    return model_version_create(name=name, source=source, actor=None, entry_point=EntryPoint.SYSTEM, **kwargs)


@pytest.mark.postgres
@postgres_only
def test_it_numbers_twenty_concurrent_registrations_1_to_20(transactional_db):
    model = RegisteredModelFactory()

    numbers = run_concurrently(20, lambda _index: _register(model.name).version)

    assert sorted(numbers) == list(range(1, 21))
    stored = ModelVersion.objects.filter(registered_model=model).values_list("version", flat=True)
    assert sorted(stored) == list(range(1, 21))
    model.refresh_from_db()
    assert model.last_version_number == 20


@pytest.mark.django_db
def test_it_never_reuses_the_number_of_a_deleted_highest_version():
    model = RegisteredModelFactory()
    versions = [ModelVersionFactory(registered_model=model) for _ in range(3)]
    assert [version.version for version in versions] == [1, 2, 3]

    model_version_delete(version=versions[-1], actor=None, entry_point=EntryPoint.SYSTEM)
    after_delete = _register(model.name)

    assert after_delete.version == 4
    assert sorted(model.versions.values_list("version", flat=True)) == [1, 2, 4]


@pytest.mark.django_db
def test_it_resolves_a_logged_model_uri_to_its_artifacts_and_source_run():
    logged_model = LoggedModelFactory()

    version = _register(RegisteredModelFactory().name, source=f"models:/{logged_model.model_id}")

    assert version.logged_model == logged_model
    assert version.storage_location == logged_model.artifact_location
    assert version.run == logged_model.source_run
    assert version.source == f"models:/{logged_model.model_id}"


@pytest.mark.django_db
def test_it_resolves_a_runs_uri_to_the_logged_model_of_that_run_with_that_name():
    run = RunFactory()
    LoggedModelFactory(experiment=run.experiment, source_run=run, name="other")
    logged_model = LoggedModelFactory(experiment=run.experiment, source_run=run, name="model")

    version = _register(RegisteredModelFactory().name, source=f"runs:/{run.run_uuid}/model")

    assert version.logged_model == logged_model
    assert version.run == run
    assert version.storage_location == logged_model.artifact_location


@pytest.mark.django_db
def test_it_resolves_a_runs_uri_without_logged_model_to_the_run_folder():
    run = RunFactory()

    version = _register(RegisteredModelFactory().name, source=f"runs:/{run.run_uuid}/sklearn-model")

    assert version.logged_model is None
    assert version.run == run
    assert version.storage_location == f"{run.artifact_uri}/sklearn-model"


@pytest.mark.django_db
def test_it_fills_run_id_from_the_logged_model_passed_as_model_id():
    logged_model = LoggedModelFactory()

    version = _register(RegisteredModelFactory().name, source=logged_model.artifact_location,
                        model_id=logged_model.model_id)

    assert version.run == logged_model.source_run
    assert version.logged_model == logged_model


@pytest.mark.django_db
def test_it_refuses_a_runs_uri_naming_an_unknown_run():
    with pytest.raises(NotFound, match="Run with id=0123456789abcdef0123456789abcdef not found"):
        _register(RegisteredModelFactory().name, source="runs:/0123456789abcdef0123456789abcdef/model")


@pytest.mark.django_db
def test_it_refuses_a_local_path_source_without_a_run():
    with pytest.raises(InvalidParameter, match="Invalid model version source: '/tmp/model'"):
        _register(RegisteredModelFactory().name, source="/tmp/model")


@pytest.mark.django_db
def test_it_refuses_a_local_path_outside_the_artifact_root_even_with_a_run():
    run = RunFactory()

    with pytest.raises(InvalidParameter, match="Invalid model version source: '/tmp/model'"):
        _register(RegisteredModelFactory().name, source="/tmp/model", run_id=run.run_uuid)


@pytest.mark.django_db
def test_it_records_the_content_hash_of_the_artifacts_written_for_the_version():
    logged_model = LoggedModelFactory()
    folder = artifact_uri_to_path(logged_model.artifact_location)
    artifact_write(path=f"{folder}/MLmodel", stream=io.BytesIO(b"flavors: {}\n"))
    artifact_write(path=f"{folder}/data/weights.bin", stream=io.BytesIO(b"\x00\x01" * 1000))

    version = _register(RegisteredModelFactory().name, source=f"models:/{logged_model.model_id}")

    assert version.content_hash == artifacts_content_hash(folder)
    assert version.content_hash not in ("", EMPTY_FOLDER_HASH)
    event = AuditEvent.objects.get(action=AuditAction.MODEL_VERSION_CREATED, object_id=f"{version.name}/1")
    assert event.details["content_hash"] == version.content_hash


@pytest.mark.django_db
def test_it_refuses_to_register_a_version_of_an_unknown_model():
    with pytest.raises(NotFound, match="Registered Model with name=missing not found"):
        _register("missing")
    assert not ModelVersion.objects.exists()
