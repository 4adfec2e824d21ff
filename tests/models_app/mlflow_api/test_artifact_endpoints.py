"""The UI's artifact endpoints and MLflow's download types: get-artifact, model-versions/get-artifact,
artifacts/list, and the /ajax-api mirror of the API, over raw REST as MLflow's UI and integrations call them."""
import io

import pytest
from django.db.models import Q

from models_app.choices import EntryPoint
from models_app.downloads import artifact_content_type
from models_app.governance import Governance
from models_app.services.artifacts import artifact_uri_to_path, artifact_write
from models_app.services.registry import model_version_create, registered_model_create
from models_app.services.tokens import api_token_create

from .conftest import MlflowApi, assert_error

pytestmark = pytest.mark.django_db
FILES = {"model/MLmodel": b"flavors: {}\n", "model/conda.yaml": b"name: env\n", "plot.png": b"\x89PNG\r\n",
         "report.pdf": b"%PDF-1.4", "model/model.pkl": b"\x80\x05"}


@pytest.fixture
def stored_run(run):
    root = artifact_uri_to_path(run.artifact_uri)
    for path, content in FILES.items():
        artifact_write(path=f"{root}/{path}", stream=io.BytesIO(content))
    return run


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize(("name", "content_type"), [
    ("MLmodel", "text/plain"), ("mlproject", "text/plain"), ("MLproject", "application/octet-stream"),
    ("model/conda.yaml", "text/plain"),
    ("requirements.txt", "text/plain"), ("metrics.json", "text/plain"), ("train.log", "text/plain"),
    ("notebook.ipynb", "text/plain"), ("data.csv", "text/plain"), ("python_env.yml", "text/plain"),
    ("plot.png", "image/png"), ("photo.jpg", "image/jpeg"), ("report.pdf", "application/pdf"),
    ("page.html", "text/html"), ("model.pkl", "application/octet-stream"), ("weights", "application/octet-stream"),
    # MLflow's own list is case-sensitive; the MIME table then decides.
    ("README.TXT", "text/plain"), ("MODEL.YAML", "application/octet-stream"), ("X.PNG", "image/png"),
    ("model.tar.gz", "application/x-tar"), (".gitignore", "application/octet-stream"),
])
def test_it_types_downloads_by_name_as_mlflow_does(name, content_type):
    assert artifact_content_type(name) == content_type


@pytest.mark.parametrize(("path", "content_type"), [
    ("model/MLmodel", "text/plain"), ("plot.png", "image/png"), ("report.pdf", "application/pdf"),
    ("model/model.pkl", "application/octet-stream"),
])
def test_get_artifact_serves_a_run_file_typed_as_an_attachment(client, owner_token, stored_run, path, content_type):
    response = client.get("/get-artifact", {"run_id": stored_run.pk, "path": path},
                          headers={"Authorization": f"Bearer {owner_token}"})
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert _body(response) == FILES[path]


def test_the_artifact_proxy_types_downloads_too(client, owner_token, stored_run):
    root = artifact_uri_to_path(stored_run.artifact_uri)
    response = client.get(f"/api/2.0/mlflow-artifacts/artifacts/{root}/plot.png",
                          headers={"Authorization": f"Bearer {owner_token}"})
    assert (response.status_code, response["Content-Type"]) == (200, "image/png")


def test_get_artifact_refuses_what_mlflow_refuses(client, owner_token, stored_run):
    headers = {"Authorization": f"Bearer {owner_token}"}
    get = lambda **params: client.get("/get-artifact", params, headers=headers)  # noqa: E731
    assert_error(get(run_id=stored_run.pk), 400, "INVALID_PARAMETER_VALUE",
                 "Missing value for required parameter 'path'.")
    assert_error(get(run_id=stored_run.pk, path="model"), 400, "INVALID_PARAMETER_VALUE",
                 "Artifact path refers to a directory, not a file")
    assert_error(get(run_id=stored_run.pk, path="../../other/secret"), 400, "INVALID_PARAMETER_VALUE", "..")
    assert_error(get(run_id=stored_run.pk, path="/etc/passwd"), 400, "INVALID_PARAMETER_VALUE", "relative")
    assert_error(get(run_id=stored_run.pk, path="missing.txt"), 404, "RESOURCE_DOES_NOT_EXIST")
    assert_error(get(run_id="0" * 32, path="plot.png"), 404, "RESOURCE_DOES_NOT_EXIST")
    assert_error(client.get("/get-artifact", {"run_id": stored_run.pk, "path": "plot.png"}), 401, "UNAUTHENTICATED")


def test_model_version_get_artifact_serves_the_versions_files(client, owner, owner_token, stored_run):
    registered_model_create(name="iris", actor=owner, entry_point=EntryPoint.COMMAND)
    model_version_create(name="iris", source=f"runs:/{stored_run.pk}/model", run_id=stored_run.pk, actor=owner,
                         entry_point=EntryPoint.COMMAND)
    headers = {"Authorization": f"Bearer {owner_token}"}
    response = client.get("/model-versions/get-artifact", {"name": "iris", "version": "1", "path": "MLmodel"},
                          headers=headers)
    assert (response.status_code, response["Content-Type"], _body(response)) == (200, "text/plain",
                                                                                FILES["model/MLmodel"])
    missing = client.get("/model-versions/get-artifact", {"name": "iris", "version": "9", "path": "MLmodel"},
                         headers=headers)
    assert_error(missing, 404, "RESOURCE_DOES_NOT_EXIST")


def test_model_version_get_artifact_hides_models_the_caller_cannot_read(client, outsider, owner, stored_run,
                                                                         governance):
    class OnlyPublic(Governance):
        def readable_models_filter(self, actor):
            return Q(name__startswith="public")

    governance(OnlyPublic())
    registered_model_create(name="iris", actor=owner, entry_point=EntryPoint.COMMAND)
    model_version_create(name="iris", source=f"runs:/{stored_run.pk}/model", run_id=stored_run.pk, actor=owner,
                         entry_point=EntryPoint.COMMAND)
    raw, _token = api_token_create(user=outsider, name="t", entry_point=EntryPoint.COMMAND)
    response = client.get("/model-versions/get-artifact", {"name": "iris", "version": "1", "path": "MLmodel"},
                          headers={"Authorization": f"Bearer {raw}"})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


def test_listings_put_folders_and_files_in_name_order_as_mlflow_does(api, client, owner_token, stored_run):
    root = artifact_uri_to_path(stored_run.artifact_uri)
    artifact_write(path=f"{root}/MLproject", stream=io.BytesIO(b"name: p\n"))
    listed = [entry["path"] for entry in api.get("artifacts/list", run_id=stored_run.pk).json()["files"]]
    assert listed == ["MLproject", "model", "plot.png", "report.pdf"]
    proxy = client.get("/api/2.0/mlflow-artifacts/artifacts", {"path": root},
                       headers={"Authorization": f"Bearer {owner_token}"}).json()
    assert [entry["path"] for entry in proxy["files"]] == ["MLproject", "model", "plot.png", "report.pdf"]


def test_artifacts_list_answers_paths_relative_to_the_run_root(api, stored_run):
    listing = api.get("artifacts/list", run_id=stored_run.pk).json()
    assert listing == {"root_uri": stored_run.artifact_uri, "files": [
        {"path": "model", "is_dir": True},
        {"path": "plot.png", "is_dir": False, "file_size": len(FILES["plot.png"])},
        {"path": "report.pdf", "is_dir": False, "file_size": len(FILES["report.pdf"])},
    ]}
    inside = api.get("artifacts/list", run_uuid=stored_run.pk, path="model").json()
    assert [entry["path"] for entry in inside["files"]] == ["model/MLmodel", "model/conda.yaml", "model/model.pkl"]
    assert api.get("artifacts/list", run_id=stored_run.pk, path="nothing").json() == {
        "root_uri": stored_run.artifact_uri}
    assert_error(api.get("artifacts/list", run_id=stored_run.pk, path="../x"), 400, "INVALID_PARAMETER_VALUE")
    assert_error(api.get("artifacts/list"), 400, "INVALID_PARAMETER_VALUE",
                 "Missing value for required parameter 'run_id'.")
    assert_error(api.get("artifacts/list", run_id="0" * 32), 404, "RESOURCE_DOES_NOT_EXIST")


@pytest.mark.parametrize("prefix", ["/ajax-api/2.0/mlflow/", "/api/2.0/mlflow/"])
def test_the_ajax_api_mirrors_the_api(client, owner_token, stored_run, prefix):
    api = MlflowApi(client, owner_token, prefix=prefix)
    assert api.get("artifacts/list", run_id=stored_run.pk).json()["root_uri"] == stored_run.artifact_uri
    assert api.get("runs/get", run_id=stored_run.pk).json()["run"]["info"]["run_id"] == stored_run.pk
    searched = api.post("runs/search", {"experiment_ids": [str(stored_run.experiment_id)]}).json()
    assert [r["info"]["run_id"] for r in searched["runs"]] == [stored_run.pk]
    assert api.post("experiments/search", {}).status_code == 200
    assert_error(api.post("experiments/create", {"name": 5}), 400, "INVALID_PARAMETER_VALUE", "Invalid value 5")
    assert_error(api.get("no/such/endpoint"), 404, "ENDPOINT_NOT_FOUND")


@pytest.mark.parametrize("prefix", ["/ajax-api/3.0/mlflow/", "/api/3.0/mlflow/"])
def test_server_info_is_served_under_both_3_0_prefixes(client, owner_token, prefix):
    assert MlflowApi(client, owner_token, prefix=prefix).get("server-info").json()["store_type"] == "SqlStore"


# token lookup; token last-use update; the run; its latest metrics, params, tags, inputs, outputs (run_get's
# prefetches); the caller's level on the run's experiment; the files come from storage, not the database
ARTIFACTS_LIST_QUERIES = 9


@pytest.mark.parametrize("files", [1, 30])
def test_artifacts_list_costs_fixed_queries(api, run, files, django_assert_max_num_queries):
    root = artifact_uri_to_path(run.artifact_uri)
    for index in range(files):
        artifact_write(path=f"{root}/file-{index:02}.txt", stream=io.BytesIO(b"x"))
    with django_assert_max_num_queries(ARTIFACTS_LIST_QUERIES):
        response = api.get("artifacts/list", run_id=run.pk)
    assert len(response.json()["files"]) == files
