"""Who ran it: MLflow's user_id as the client sent it, and the authenticated account as the run's owner."""
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def mlflow(api):
    return api


def _run_created_as_root(mlflow, default_experiment) -> str:
    # The stock client sends the OS user (here "root") as user_id and as the mlflow.user tag.
    response = mlflow.post("runs/create", {"experiment_id": "0", "user_id": "root", "start_time": 1,
                                           "tags": [{"key": "mlflow.user", "value": "root"}]})
    assert response.status_code == 200, response.json()
    return response.json()["run"]["info"]["run_id"]


def test_mlflow_keeps_the_client_user_and_the_native_api_adds_the_owner(mlflow, default_experiment, owner):
    run_id = _run_created_as_root(mlflow, default_experiment)
    assert mlflow.get("runs/get", run_id=run_id).json()["run"]["info"]["user_id"] == "root"
    api = APIClient()
    api.force_authenticate(owner)
    body = api.get(f"/api/v1/runs/{run_id}/").json()
    assert (body["run_id"], body["user_id"], body["owner"]) == (run_id, "root", "owner")
    assert api.get(f"/api/v1/runs/{'0' * 32}/").status_code == 404
    assert APIClient().get(f"/api/v1/runs/{run_id}/").status_code in (401, 403)


def test_a_version_registered_from_the_run_shows_its_owner_in_the_lineage(mlflow, default_experiment, owner):
    run_id = _run_created_as_root(mlflow, default_experiment)
    mlflow.post("registered-models/create", {"name": "owned"})
    response = mlflow.post("model-versions/create", {"name": "owned", "source": f"runs:/{run_id}/model",
                                                     "run_id": run_id})
    assert response.status_code == 200, response.json()
    api = APIClient()
    api.force_authenticate(owner)
    lineage = api.get("/api/v1/models/owned/versions/1/").json()["lineage"]
    assert (lineage["run"]["user_id"], lineage["run"]["owner"]) == ("root", "owner")


def test_the_run_page_shows_the_client_user_and_the_owner(mlflow, default_experiment, client, owner):
    run_id = _run_created_as_root(mlflow, default_experiment)
    client.force_login(owner)
    body = client.get(reverse("models_app:run", args=[run_id])).content.decode()
    assert "<dt>User (client)</dt><dd>root</dd>" in body
    assert "<dt>Owner</dt><dd>owner</dd>" in body
