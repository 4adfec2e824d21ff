"""Version sources: what MLflow's server accepts and this registry can resolve, through raw REST and the real client.

Accepted sources MLflow accepts (runs:/, models:/m-…, mlflow-artifacts:/, object stores, web URIs); refused:
local paths and file: URIs outside the configured roots (a symlink inside the artifact root pointing out
included), unknown schemes, and `..` or NUL however encoded, with MLflow's INVALID_PARAMETER_VALUE.
"""
import io
import os

import pytest
from django.conf import settings as django_settings
from mlflow.exceptions import MlflowException

from approvals.choices import CheckStatus
from approvals.validation.checks import context_close, context_open, execute_check
from models_app.choices import EntryPoint
from models_app.models import ModelVersion
from models_app.services.artifacts import artifact_uri_to_path, artifact_write

from ..factories import LoggedModelFactory, RunFactory
from .conftest import assert_error

pytestmark = pytest.mark.django_db

EXTERNAL = [
    "s3://models-bucket/iris/1",
    "gs://models-bucket/iris/1",
    "wasbs://models@account.blob.core.windows.net/iris/1",
    "dbfs:/databricks/mlflow-registry/iris/1",
    "https://models.example.com/iris/1.tar.gz",
    "http://models.internal:8080/iris/1",
]
TRAVERSAL = [
    "s3://models-bucket/iris/../../other-team",
    "mlflow-artifacts:/0/..%2f..%2fetc",
    "mlflow-artifacts://host:5000/%252e%252e/%252e%252e/etc",
    "https://models.example.com/a/%2e%2e/%2e%2e/etc/passwd",
    "http://models.internal/api/2.0/mlflow-artifacts/artifacts%00",
    "dbfs:/a/..\\..\\b",
]
OUTSIDE_LOCAL = ["file:///etc", "file:///etc/passwd", "/etc/passwd", "/tmp/model", "model", "./model",
                 "file://otherhost/srv/models", "C:\\models\\iris"]


def _create(api, source, **fields):
    return api.post("model-versions/create", {"name": "iris_classifier", "source": source, **fields})


@pytest.fixture
def model(api):
    assert api.post("registered-models/create", {"name": "iris_classifier"}).status_code == 200


@pytest.fixture
def run_with_model(owner):
    run = RunFactory()
    root = artifact_uri_to_path(run.artifact_uri)
    artifact_write(path=f"{root}/model/MLmodel", stream=io.BytesIO(b"flavors: {}\n"), actor=owner)
    return run


def _stored(response) -> ModelVersion:
    assert response.status_code == 200, response.json()
    return ModelVersion.objects.get(registered_model__name="iris_classifier",
                                    version=int(response.json()["model_version"]["version"]))


def test_a_runs_uri_without_a_run_id_field_resolves_to_the_run(api, model, run_with_model):
    version = _stored(_create(api, f"runs:/{run_with_model.pk}/model"))

    assert version.run == run_with_model and version.artifacts_held
    assert version.storage_location == f"{run_with_model.artifact_uri}/model"
    assert version.content_hash


def test_a_logged_model_uri_resolves_to_its_artifacts(api, model):
    logged_model = LoggedModelFactory()

    version = _stored(_create(api, f"models:/{logged_model.model_id}"))

    assert version.logged_model == logged_model and version.run == logged_model.source_run
    assert version.artifacts_held and version.storage_location == logged_model.artifact_location


def test_a_logged_model_uri_must_name_a_logged_model(api, model):
    assert_error(_create(api, "models:/iris_classifier/1"), 400, "INVALID_PARAMETER_VALUE", "models:/m-<model_id>")
    assert_error(_create(api, f"models:/m-{'0' * 32}"), 404, "RESOURCE_DOES_NOT_EXIST")


@pytest.mark.parametrize("source", EXTERNAL)
def test_an_external_source_is_accepted_and_recorded_as_not_held(api, model, source):
    response = _create(api, source)

    version = _stored(response)
    assert response.json()["model_version"]["source"] == source
    assert not version.artifacts_held and version.storage_location == source and version.content_hash == ""
    native = api.client.get("/api/v1/models/iris_classifier/versions/1/", headers=api.headers).json()
    assert native["artifacts_held"] is False


def test_an_external_source_keeps_the_run_it_names(api, model, run_with_model):
    version = _stored(_create(api, "s3://models-bucket/iris/1", run_id=run_with_model.pk))

    assert version.run == run_with_model and not version.artifacts_held


@pytest.mark.parametrize("source", OUTSIDE_LOCAL)
def test_a_local_source_outside_the_configured_roots_is_refused(api, model, run_with_model, source):
    without_run = _create(api, source)
    with_run = _create(api, source, run_id=run_with_model.pk)

    for response in (without_run, with_run):
        assert_error(response, 400, "INVALID_PARAMETER_VALUE", f"Invalid model version source: '{source}'")
        assert "REGISTRY_LOCAL_SOURCE_ROOTS" in response.json()["message"]
    assert not ModelVersion.objects.exists()


@pytest.mark.parametrize("source", TRAVERSAL)
def test_path_traversal_is_refused_however_it_is_encoded(api, model, source):
    body = assert_error(_create(api, source), 400, "INVALID_PARAMETER_VALUE",
                        f"Invalid model version source: '{source}'")

    assert "without relative path references" in body["message"]
    assert not ModelVersion.objects.exists()


@pytest.mark.parametrize("source", ["ftp://files.example.com/model", "hdfs://namenode/models/iris", "s3:/no-bucket",
                                    "runs:/not-a-run-id/model", "javascript:alert(1)"])
def test_sources_this_registry_cannot_resolve_are_refused(api, model, source):
    assert_error(_create(api, source), 400, "INVALID_PARAMETER_VALUE", f"Invalid model version source: '{source}'")


def test_a_local_path_inside_the_artifact_root_is_held_under_its_store_uri(api, model, run_with_model):
    folder = django_settings.ARTIFACTS_ROOT / artifact_uri_to_path(run_with_model.artifact_uri) / "model"

    by_path = _stored(_create(api, str(folder)))
    by_uri = _stored(_create(api, folder.as_uri()))

    for version in (by_path, by_uri):
        assert version.artifacts_held
        assert version.storage_location == f"{run_with_model.artifact_uri}/model"
        assert version.content_hash == by_path.content_hash != ""


def test_a_file_uri_inside_a_configured_root_is_accepted_as_external(api, model, settings, tmp_path):
    shared = tmp_path / "shared-models"
    (shared / "iris").mkdir(parents=True)
    settings.REGISTRY_LOCAL_SOURCE_ROOTS = [str(shared)]

    version = _stored(_create(api, (shared / "iris").as_uri()))

    assert not version.artifacts_held and version.storage_location == (shared / "iris").as_uri()
    assert_error(_create(api, (tmp_path / "elsewhere").as_uri()), 400, "INVALID_PARAMETER_VALUE")


def test_a_symlink_inside_the_artifact_root_does_not_make_etc_a_source(api, model, settings):
    settings.ARTIFACTS_ROOT.mkdir(parents=True, exist_ok=True)
    link = settings.ARTIFACTS_ROOT / "0" / "escape"
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink("/etc", link)

    for source in (str(link), link.as_uri(), f"{link.as_uri()}/ssl"):
        assert_error(_create(api, source), 400, "INVALID_PARAMETER_VALUE", "symbolic links are followed")
    assert not ModelVersion.objects.exists()


def test_the_integrity_check_reports_an_external_source_instead_of_failing(api, model):
    version = _stored(_create(api, "s3://models-bucket/iris/1"))
    context = context_open(candidate=version, champion=None, expected_hash="")
    try:
        result = execute_check("artifact_integrity", {}, context)
    finally:
        context_close(context)

    assert result.status == CheckStatus.ERROR
    assert "External source: the artifacts are not held by this registry (s3://models-bucket/iris/1)" in result.message


def test_the_version_page_says_the_source_is_external(api, model, client, owner):
    _stored(_create(api, "gs://models-bucket/iris/1"))
    client.force_login(owner)

    body = client.get("/models/iris_classifier/versions/1/").content.decode()

    assert "external source: the files are not held by this registry" in body


@pytest.mark.mlflow_client
class TestThroughTheMlflowClient:
    """MlflowClient().create_model_version with each kind of source, against a live server."""

    @pytest.fixture
    def mlflow_client(self, live_server, transactional_db, owner, monkeypatch, default_experiment):
        from mlflow import MlflowClient

        from models_app.services.tokens import api_token_create

        raw, _token = api_token_create(user=owner, name="client", entry_point=EntryPoint.COMMAND)
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", raw)
        monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        client = MlflowClient(tracking_uri=live_server.url, registry_uri=live_server.url)
        client.create_registered_model("iris_classifier")
        return client

    def test_each_accepted_source_registers(self, mlflow_client, run_with_model):
        logged_model = LoggedModelFactory()
        sources = [f"runs:/{run_with_model.pk}/model", f"models:/{logged_model.model_id}",
                   f"{run_with_model.artifact_uri}/model", *EXTERNAL]

        versions = [mlflow_client.create_model_version("iris_classifier", source) for source in sources]

        assert [version.source for version in versions] == sources
        held = {version.source: ModelVersion.objects.get(version=version.version).artifacts_held
                for version in versions}
        assert held == {source: source not in EXTERNAL for source in sources}

    @pytest.mark.parametrize("source", ["file:///etc", "/etc/passwd", "s3://bucket/../other",
                                        "mlflow-artifacts:/0/..%2f..%2fetc"])
    def test_a_refused_source_raises_invalid_parameter_value(self, mlflow_client, source):
        with pytest.raises(MlflowException) as raised:
            mlflow_client.create_model_version("iris_classifier", source)

        assert raised.value.error_code == "INVALID_PARAMETER_VALUE"
        assert f"Invalid model version source: '{source}'" in raised.value.message
