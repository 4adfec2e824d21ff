"""logged-models messages (MLflow 3)."""
import pytest

from .conftest import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_model(api, run, experiment):
    body = {"experiment_id": str(experiment.pk), "name": "model", "source_run_id": run.pk,
            "params": [{"key": "n_estimators", "value": "100"}], "tags": [{"key": "mlflow.user", "value": "root"}]}
    return api.post("logged-models", body).json()["model"]


def test_it_creates_a_logged_model_where_the_client_uploads(logged_model, run, experiment):
    info = logged_model["info"]
    assert info["model_id"].startswith("m-")
    assert info["artifact_uri"] == f"mlflow-artifacts:/{experiment.pk}/models/{info['model_id']}/artifacts"
    assert (info["status"], info["source_run_id"], info["experiment_id"]) == (
        "LOGGED_MODEL_PENDING", run.pk, str(experiment.pk))
    assert logged_model["data"]["params"] == [{"key": "n_estimators", "value": "100"}]


def test_it_finalizes_tags_and_params(api, logged_model):
    model_id = logged_model["info"]["model_id"]
    body = api.patch(f"logged-models/{model_id}", {"model_id": model_id, "status": "LOGGED_MODEL_READY"}).json()
    assert body["model"]["info"]["status"] == "LOGGED_MODEL_READY"
    assert api.patch(f"logged-models/{model_id}/tags", {"tags": [{"key": "k", "value": "v"}]}).status_code == 200
    assert api.post(f"logged-models/{model_id}/params", {"params": [{"key": "p", "value": "1"}]}).status_code == 200
    info = api.get(f"logged-models/{model_id}").json()["model"]
    assert {"key": "k", "value": "v"} in info["info"]["tags"]
    assert {"key": "p", "value": "1"} in info["data"]["params"]
    assert api.delete(f"logged-models/{model_id}/tags/k").status_code == 200
    assert_error(api.delete(f"logged-models/{model_id}/tags/k"), 404, "RESOURCE_DOES_NOT_EXIST", "k")


def test_it_refuses_an_unknown_final_status(api, logged_model):
    model_id = logged_model["info"]["model_id"]
    response = api.patch(f"logged-models/{model_id}", {"status": "DONE"})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "DONE")


def test_it_answers_an_unknown_logged_model_with_404(api):
    assert_error(api.get("logged-models/m-nope"), 404, "RESOURCE_DOES_NOT_EXIST", "m-nope")


def test_it_searches_by_name_and_hides_deleted_models(api, logged_model, experiment):
    query = {"experiment_ids": [str(experiment.pk)], "filter": "name = 'model'"}
    found = api.post("logged-models/search", query).json()["models"]
    assert [m["info"]["model_id"] for m in found] == [logged_model["info"]["model_id"]]
    assert api.delete(f"logged-models/{logged_model['info']['model_id']}").status_code == 200
    assert api.post("logged-models/search", query).json().get("models", []) == []
