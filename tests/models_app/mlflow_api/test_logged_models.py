"""logged-models messages (MLflow 3)."""
import json
import re

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


# --- MLflow 3 behaviours matched (docs/mlflow-logged-models.md) -------------------------------------------------


def _model(api, experiment, name="model", **extra):
    body = {"experiment_id": str(experiment.pk), "name": name, **extra}
    response = api.post("logged-models", body)
    assert response.status_code == 200, response.json()
    return response.json()["model"]["info"]["model_id"]


def _log(api, run, model_id, key, value, *, timestamp=1, step=0, dataset=None):
    body = {"run_id": run.pk, "key": key, "value": value, "timestamp": timestamp, "step": step, "model_id": model_id}
    if dataset:
        body.update(dataset_name=dataset[0], dataset_digest=dataset[1])
    assert api.post("runs/log-metric", body).status_code == 200


def test_a_metric_logged_for_a_model_keeps_its_dataset(api, run, experiment):
    model_id = _model(api, experiment)
    _log(api, run, model_id, "rmse", 0.5, timestamp=10, step=2, dataset=("eval", "abc123"))
    body = {"run_id": run.pk, "metrics": [{"key": "mae", "value": 0.25, "timestamp": 11, "step": 0,
                                            "model_id": model_id, "dataset_name": "test", "dataset_digest": "d2"}]}
    assert api.post("runs/log-batch", body).status_code == 200
    metrics = api.get(f"logged-models/{model_id}").json()["model"]["data"]["metrics"]
    assert metrics == [
        {"key": "rmse", "value": 0.5, "timestamp": 10, "step": 2, "run_id": run.pk, "model_id": model_id,
         "dataset_name": "eval", "dataset_digest": "abc123"},
        {"key": "mae", "value": 0.25, "timestamp": 11, "step": 0, "run_id": run.pk, "model_id": model_id,
         "dataset_name": "test", "dataset_digest": "d2"},
    ]


def test_log_inputs_records_the_models_a_run_used(api, run, experiment):
    model_id = _model(api, experiment)
    body = {"run_id": run.pk, "datasets": [], "models": [{"model_id": model_id}]}
    assert api.post("runs/log-inputs", body).status_code == 200
    assert api.post("runs/log-inputs", body).status_code == 200  # once only
    inputs = api.get("runs/get", run_id=run.pk).json()["run"]["inputs"]
    assert inputs == {"model_inputs": [{"model_id": model_id}]}
    # As MLflow's search, runs/search lists dataset inputs and model outputs but not model inputs.
    found = api.post("runs/search", {"experiment_ids": [str(experiment.pk)]}).json()["runs"]
    assert found[0]["inputs"] == {}


def test_registering_a_version_of_a_logged_model_tags_the_logged_model(api, run, experiment):
    model_id = _model(api, experiment)
    api.post("registered-models/create", {"name": "wine"})
    for _ in range(2):
        response = api.post("model-versions/create", {"name": "wine", "source": f"models:/{model_id}",
                                                      "model_id": model_id})
        assert response.status_code == 200, response.json()
    tags = {t["key"]: t["value"] for t in api.get(f"logged-models/{model_id}").json()["model"]["info"]["tags"]}
    assert json.loads(tags["mlflow.modelVersions"]) == [{"name": "wine", "version": 1},
                                                        {"name": "wine", "version": 2}]


def test_a_deleted_logged_model_is_gone_for_get_and_search(api, experiment):
    model_id = _model(api, experiment)
    assert api.delete(f"logged-models/{model_id}").status_code == 200
    assert_error(api.get(f"logged-models/{model_id}"), 404, "RESOURCE_DOES_NOT_EXIST",
                 f"Logged model with ID '{model_id}' not found.")
    assert api.get(f"logged-models/{model_id}", allow_deleted="true").json()["model"]["info"]["model_id"] == model_id
    assert api.post("logged-models/search", {"experiment_ids": [str(experiment.pk)]}).json().get("models") == []


def test_create_accepts_what_mlflow_accepts_and_refuses_the_rest(api, experiment):
    # No name: the server makes one up; a source run this server does not know is recorded as given.
    response = api.post("logged-models", {"experiment_id": str(experiment.pk), "source_run_id": "f" * 32,
                                          "model_type": "agent"})
    info = response.json()["model"]["info"]
    assert re.fullmatch(r"[a-z]+-[a-z]+-\d+", info["name"]), info["name"]
    assert (info["source_run_id"], info["model_type"]) == ("f" * 32, "agent")
    for bad in ("a/b", "a.b", "it's"):
        assert_error(api.post("logged-models", {"experiment_id": str(experiment.pk), "name": bad}), 400,
                     "INVALID_PARAMETER_VALUE", f"Invalid model name ({bad!r}) provided.")


def _search(api, experiment, **body):
    response = api.post("logged-models/search", {"experiment_ids": [str(experiment.pk)], **body})
    return response


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [m["info"]["model_id"] for m in response.json().get("models", [])]


def test_search_pages_with_tokens_bound_to_the_search(api, experiment):
    made = [_model(api, experiment, name=f"m{i}") for i in range(5)]
    order = [{"field_name": "name", "ascending": True}]
    seen, token = [], None
    while True:
        response = _search(api, experiment, max_results=2, order_by=order, **({"page_token": token} if token else {}))
        seen += _ids(response)
        if not (token := response.json().get("next_page_token")):
            break
    assert seen == made
    first = _search(api, experiment, max_results=2, order_by=order).json()["next_page_token"]
    assert_error(_search(api, experiment, max_results=2, order_by=order, filter="name = 'm1'", page_token=first),
                 400, "INVALID_PARAMETER_VALUE", "Filter string in the page token does not match")


def test_search_orders_by_columns_metrics_and_dataset_scoped_metrics(api, run, experiment):
    low, high = _model(api, experiment, name="low"), _model(api, experiment, name="high")
    _log(api, run, low, "acc", 0.9, dataset=("train", "t1"))
    _log(api, run, low, "acc", 0.2, dataset=("eval", "e1"))
    _log(api, run, high, "acc", 0.4, dataset=("train", "t1"))
    _log(api, run, high, "acc", 0.8, dataset=("eval", "e1"))
    assert _ids(_search(api, experiment, order_by=[{"field_name": "name"}])) == [high, low]
    assert _ids(_search(api, experiment, order_by=[{"field_name": "creation_time", "ascending": True}])) == [low, high]
    by_eval = [{"field_name": "metrics.acc", "ascending": False, "dataset_name": "eval"}]
    assert _ids(_search(api, experiment, order_by=by_eval)) == [high, low]
    by_train = [{"field_name": "metrics.acc", "ascending": False, "dataset_name": "train", "dataset_digest": "t1"}]
    assert _ids(_search(api, experiment, order_by=by_train)) == [low, high]
    assert_error(_search(api, experiment, order_by=[{"field_name": "bogus"}]), 400, "INVALID_PARAMETER_VALUE",
                 "Invalid order by field name: bogus")
    assert_error(_search(api, experiment, order_by=[{"field_name": "params.x"}]), 400, "INVALID_PARAMETER_VALUE",
                 "Invalid order by field name: params.x. Only metrics are supported.")


def test_search_datasets_scope_metric_filters(api, run, experiment):
    first, second, bare = (_model(api, experiment, name=n) for n in ("first", "second", "bare"))
    _log(api, run, first, "acc", 0.9, dataset=("eval", "e1"))
    _log(api, run, second, "acc", 0.9, dataset=("train", "t1"))
    _log(api, run, second, "acc", 0.1, dataset=("eval", "e2"))
    eval_only = [{"dataset_name": "eval"}]
    assert _ids(_search(api, experiment, filter="metrics.acc > 0.5", datasets=eval_only)) == [first]
    assert set(_ids(_search(api, experiment, filter="metrics.acc > 0.5"))) == {first, second}
    assert set(_ids(_search(api, experiment, datasets=eval_only))) == {first, second}
    assert _ids(_search(api, experiment, datasets=[{"dataset_name": "eval", "dataset_digest": "e2"}])) == [second]
    assert bare not in _ids(_search(api, experiment, datasets=[{"dataset_name": "train"}]))
    assert_error(_search(api, experiment, datasets=[{"dataset_digest": "e2"}]), 400, "INVALID_PARAMETER_VALUE",
                 "`dataset_name` in the `datasets` clause must be specified.")
