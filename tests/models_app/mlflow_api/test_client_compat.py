"""The stock client against a live server, off the seed workflows: searches, validation, artifact downloads.

What MLflow's server would find, refuse or send, this server finds, refuses (same code and message) or sends.
"""
from pathlib import Path

import mlflow
import pytest
from mlflow.entities.model_registry import ModelVersionTag, RegisteredModelTag
from mlflow.exceptions import MlflowException
from mlflow.utils.rest_utils import MlflowHostCreds, http_request

from .test_mlflow_client import tracking  # noqa: F401  (the live-server client fixture)

pytestmark = [
    pytest.mark.mlflow_client,
    pytest.mark.filterwarnings("ignore:.*is deprecated since 2.9.0.*:FutureWarning"),
]


def test_the_clients_searches_find_ordinary_models_and_leave_prompts_out(tracking):  # noqa: F811
    tracking.create_registered_model("iris_classifier")
    tracking.create_model_version("iris_classifier", "mlflow-artifacts:/0/models/a/artifacts")
    tracking.create_registered_model("house_prices", tags={"team": "ds"})
    # A prompt as register_prompt writes one (its REST store calls, with a source this registry holds).
    store = tracking._get_registry_client().store
    store.create_registered_model("summarise", tags=[RegisteredModelTag("mlflow.prompt.is_prompt", "true")])
    store.create_model_version("summarise", "mlflow-artifacts:/0/prompts/summarise",
                               tags=[ModelVersionTag("mlflow.prompt.is_prompt", "true")])

    # The client adds tag.`mlflow.prompt.is_prompt` != 'true' to every registered-model search.
    assert [m.name for m in tracking.search_registered_models()] == ["house_prices", "iris_classifier"]
    assert [m.name for m in tracking.search_registered_models("name LIKE 'iris%'")] == ["iris_classifier"]
    assert [m.name for m in tracking.search_registered_models("tags.team = 'ds'")] == ["house_prices"]
    assert [(v.name, v.version) for v in tracking.search_model_versions()] == [("iris_classifier", "1")]
    assert [v.name for v in tracking.search_model_versions("name = 'iris_classifier'")] == ["iris_classifier"]
    # Asking for prompts finds them, as on MLflow's server.
    prompts = tracking.search_registered_models("tags.`mlflow.prompt.is_prompt` = 'true'")
    assert [m.name for m in prompts] == ["summarise"]


def test_the_client_finds_runs_by_missing_and_present_tags(tracking):  # noqa: F811
    experiment_id = tracking.create_experiment("presence")
    tagged = tracking.create_run(experiment_id, tags={"team": "ds"}).info.run_id
    bare = tracking.create_run(experiment_id).info.run_id
    found = lambda text: {r.info.run_id for r in tracking.search_runs([experiment_id], text)}  # noqa: E731
    assert found("tags.team IS NULL") == {bare}
    assert found("tags.team IS NOT NULL") == {tagged}
    assert found("tags.team != 'ml'") == {tagged}
    with pytest.raises(MlflowException) as error:
        tracking.search_runs([experiment_id], "metrics.loss IS NULL")
    assert error.value.error_code == "INVALID_PARAMETER_VALUE"


def _refusal(call) -> MlflowException:
    with pytest.raises(MlflowException) as caught:
        call()
    return caught.value


def test_the_client_gets_mlflows_validation_answers(tracking):  # noqa: F811
    experiment_id = tracking.create_experiment("validation")
    error = _refusal(lambda: tracking.search_runs([experiment_id], max_results=123456789))
    assert error.error_code == "INVALID_PARAMETER_VALUE"
    assert "Invalid value 123456789 for parameter 'max_results' supplied" in error.message
    # The stage is checked before the version is looked up: a 400, not a 404. (The client first reads the model
    # to refuse prompts, so the model exists; its version 1 does not.)
    tracking.create_registered_model("no_versions")
    error = _refusal(lambda: tracking.transition_model_version_stage("no_versions", "1", "Bogus"))
    assert error.error_code == "INVALID_PARAMETER_VALUE"
    assert "Invalid Model Version stage: Bogus. Value must be one of None, Staging, Production, Archived." in (
        error.message)
    error = _refusal(lambda: tracking.search_registered_models(max_results=1001))
    assert (error.error_code, "for parameter 'max_results' supplied" in error.message) == (
        "INVALID_PARAMETER_VALUE", True)


def test_the_client_downloads_what_the_ui_links_to(tracking, tmp_path, live_server, monkeypatch):  # noqa: F811
    (tmp_path / "MLmodel").write_text("flavors: {}\n")
    (tmp_path / "plot.png").write_bytes(b"\x89PNG\r\n")
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(tmp_path / "MLmodel"), artifact_path="model")
        mlflow.log_artifact(str(tmp_path / "plot.png"))
    run_id = run.info.run_id
    assert sorted(f.path for f in tracking.list_artifacts(run_id)) == ["model", "plot.png"]
    assert [f.path for f in tracking.list_artifacts(run_id, "model")] == ["model/MLmodel"]
    downloaded = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="plot.png", dst_path=tmp_path / "d")
    assert Path(downloaded).read_bytes() == b"\x89PNG\r\n"

    # The UI's endpoints, through the client's own HTTP layer and credentials.
    creds = MlflowHostCreds(live_server.url, token=tracking._tracking_client.store.get_host_creds().token)
    listing = http_request(creds, "/api/2.0/mlflow/artifacts/list", "GET", params={"run_id": run_id, "path": "model"})
    assert listing.json()["files"] == [{"path": "model/MLmodel", "is_dir": False, "file_size": 12}]
    for path, content_type in (("model/MLmodel", "text/plain"), ("plot.png", "image/png")):
        response = http_request(creds, "/get-artifact", "GET", params={"run_id": run_id, "path": path})
        assert (response.status_code, response.headers["Content-Type"]) == (200, content_type)
    tracking.create_registered_model("downloads")
    tracking.create_model_version("downloads", f"runs:/{run_id}/model", run_id=run_id)
    response = http_request(creds, "/model-versions/get-artifact", "GET",
                            params={"name": "downloads", "version": "1", "path": "MLmodel"})
    assert (response.status_code, response.text) == (200, "flavors: {}\n")
