"""runs/* and metrics/get-history messages."""
import pytest

from models_app.models import LoggedModelMetric

from .conftest import assert_error

pytestmark = pytest.mark.django_db


def test_it_creates_a_run_as_the_client_does(api, experiment):
    body = {"experiment_id": str(experiment.pk), "user_id": "root", "run_name": "rf_v1", "start_time": 1795421686936,
            "tags": [{"key": "mlflow.user", "value": "root"}, {"key": "mlflow.runName", "value": "rf_v1"}]}
    info = api.post("runs/create", body).json()["run"]["info"]
    assert info["run_id"] == info["run_uuid"]
    assert (info["experiment_id"], info["status"], info["lifecycle_stage"]) == (str(experiment.pk), "RUNNING", "active")
    assert info["artifact_uri"] == f"mlflow-artifacts:/{experiment.pk}/{info['run_id']}/artifacts"
    assert info["start_time"] == 1795421686936


def test_it_logs_params_metrics_and_tags(api, run):
    ids = {"run_id": run.pk, "run_uuid": run.pk}
    assert api.post("runs/log-parameter", {**ids, "key": "n_estimators", "value": "100"}).status_code == 200
    metric = {**ids, "key": "accuracy", "value": 0.5, "timestamp": 1795421687748, "step": 0}
    assert api.post("runs/log-metric", metric).status_code == 200
    assert api.post("runs/set-tag", {**ids, "key": "team", "value": "ds"}).status_code == 200
    data = api.get("runs/get", **ids).json()["run"]["data"]
    assert data["params"] == [{"key": "n_estimators", "value": "100"}]
    assert data["metrics"] == [{"key": "accuracy", "value": 0.5, "timestamp": 1795421687748, "step": 0}]
    assert {"key": "team", "value": "ds"} in data["tags"]
    assert api.post("runs/delete-tag", {**ids, "key": "team"}).status_code == 200
    tags = api.get("runs/get", run_id=run.pk).json()["run"]["data"]["tags"]
    assert {"key": "team", "value": "ds"} not in tags


def test_it_logs_a_batch_with_model_metrics_and_outputs(api, run, experiment):
    model = api.post("logged-models", {"experiment_id": str(experiment.pk), "source_run_id": run.pk}).json()
    model_id = model["model"]["info"]["model_id"]
    outputs = {"run_id": run.pk, "models": [{"model_id": model_id, "step": 0}]}
    assert api.post("runs/outputs", outputs).status_code == 200
    batch = {"run_id": run.pk, "params": [{"key": "a", "value": "1"}], "tags": [{"key": "t", "value": "v"}],
             "metrics": [{"key": "rmse", "value": 1.5, "timestamp": 1, "step": 0, "model_id": model_id}]}
    assert api.post("runs/log-batch", batch).status_code == 200
    body = api.get("runs/get", run_id=run.pk).json()["run"]
    assert body["outputs"] == {"model_outputs": [{"model_id": model_id, "step": 0}]}
    assert LoggedModelMetric.objects.filter(logged_model_id=model_id, key="rmse").count() == 1


def test_it_refuses_a_changed_param(api, run):
    api.post("runs/log-parameter", {"run_id": run.pk, "key": "a", "value": "1"})
    response = api.post("runs/log-parameter", {"run_id": run.pk, "key": "a", "value": "2"})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "Changing param values is not allowed")


def test_it_refuses_a_metric_that_is_not_a_number(api, run):
    response = api.post("runs/log-metric", {"run_id": run.pk, "key": "acc", "value": "high", "timestamp": 1})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "Invalid value \"high\" for parameter 'value' supplied")


def test_it_answers_an_unknown_run_with_404(api):
    response = api.get("runs/get", run_id="0" * 32)
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST", "0" * 32)


def test_it_updates_deletes_and_restores_a_run(api, run):
    body = api.post("runs/update", {"run_id": run.pk, "status": "FINISHED", "end_time": 1795421722904}).json()
    assert (body["run_info"]["status"], body["run_info"]["end_time"]) == ("FINISHED", 1795421722904)
    assert api.post("runs/delete", {"run_id": run.pk}).status_code == 200
    assert api.get("runs/get", run_id=run.pk).json()["run"]["info"]["lifecycle_stage"] == "deleted"
    assert api.post("runs/restore", {"run_id": run.pk}).status_code == 200
    assert api.get("runs/get", run_id=run.pk).json()["run"]["info"]["lifecycle_stage"] == "active"


def test_it_refuses_an_unknown_run_status(api, run):
    response = api.post("runs/update", {"run_id": run.pk, "status": "DONE"})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "DONE")


def test_it_pages_metric_history(api, run):
    metrics = [{"key": "loss", "value": float(step), "timestamp": step, "step": step} for step in range(5)]
    api.post("runs/log-batch", {"run_id": run.pk, "metrics": metrics})
    first = api.get("metrics/get-history", run_id=run.pk, run_uuid=run.pk, metric_key="loss", max_results=3).json()
    assert [m["step"] for m in first["metrics"]] == [0, 1, 2]
    second = api.get("metrics/get-history", run_id=run.pk, metric_key="loss", max_results=3,
                     page_token=first["next_page_token"]).json()
    assert [m["step"] for m in second["metrics"]] == [3, 4]
    assert "next_page_token" not in second


def test_it_refuses_a_bad_page_token(api, run):
    response = api.get("metrics/get-history", run_id=run.pk, metric_key="loss", page_token="garbage")
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "page_token")


def test_it_logs_dataset_inputs(api, run):
    dataset = {"name": "iris", "digest": "abc123", "source_type": "code", "source": "{}"}
    body = {"run_id": run.pk, "datasets": [{"tags": [{"key": "mlflow.data.context", "value": "train"}],
                                            "dataset": dataset}]}
    assert api.post("runs/log-inputs", body).status_code == 200
    inputs = api.get("runs/get", run_id=run.pk).json()["run"]["inputs"]["dataset_inputs"]
    assert inputs[0]["dataset"]["name"] == "iris"


def test_it_searches_runs(api, run, experiment):
    api.post("runs/log-metric", {"run_id": run.pk, "key": "acc", "value": 0.9, "timestamp": 1})
    body = api.post("runs/search", {"experiment_ids": [str(experiment.pk)], "filter": "metrics.acc > 0.5"}).json()
    assert [r["info"]["run_id"] for r in body["runs"]] == [run.pk]
    malformed = api.post("runs/search", {"experiment_ids": [str(experiment.pk)], "filter": "metrics.acc >>> 1"})
    assert_error(malformed, 400, "INVALID_PARAMETER_VALUE")
