"""MLflow 3 calls of the stock client against a live server: logged models, their metrics and datasets, the
models a run used, the version links, deletion, search; and who ran a run."""
import getpass

import mlflow
import numpy as np
import pytest
from mlflow.entities import LoggedModelInput
from mlflow.exceptions import MlflowException
from rest_framework.test import APIClient
from sklearn.linear_model import LinearRegression

from .test_mlflow_client import PIP_REQUIREMENTS, tracking  # noqa: F401 (tracking: fixture)

pytestmark = [pytest.mark.mlflow_client]


@pytest.fixture
def experiment_named(tracking):  # noqa: F811
    return lambda name: mlflow.set_experiment(name).experiment_id


def _dataset(name: str):
    return mlflow.data.from_numpy(np.arange(6, dtype=float).reshape(3, 2), name=name)


def test_logged_model_metrics_inputs_versions_and_deletion(tracking):  # noqa: F811
    experiment_id = mlflow.set_experiment("mlflow3").experiment_id
    model = LinearRegression().fit(np.arange(10, dtype=float).reshape(5, 2), np.arange(5, dtype=float))
    evaluation = _dataset("eval")
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(model, name="model", pip_requirements=PIP_REQUIREMENTS)
        mlflow.log_metric("rmse", 0.25, model_id=info.model_id, dataset=evaluation)
    logged = tracking.get_logged_model(info.model_id)
    assert [(m.key, m.value, m.dataset_name, m.dataset_digest, m.run_id) for m in logged.metrics] == [
        ("rmse", 0.25, "eval", evaluation.digest, run.info.run_id)]

    with mlflow.start_run() as evaluator:
        tracking.log_inputs(evaluator.info.run_id, models=[LoggedModelInput(model_id=info.model_id)])
    inputs = tracking.get_run(evaluator.info.run_id).inputs
    assert [m.model_id for m in inputs.model_inputs] == [info.model_id]

    mlflow.register_model(f"models:/{info.model_id}", "mlflow3_model")
    links = tracking.get_logged_model(info.model_id).tags["mlflow.modelVersions"]
    assert '{"name": "mlflow3_model", "version": 1}' in links

    found = tracking.search_logged_models([experiment_id], datasets=[{"dataset_name": "eval"}])
    assert [m.model_id for m in found] == [info.model_id]
    tracking.delete_logged_model(info.model_id)
    with pytest.raises(MlflowException) as error:
        tracking.get_logged_model(info.model_id)
    assert error.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert list(tracking.search_logged_models([experiment_id])) == []


def test_search_logged_models_orders_by_dataset_metrics_and_pages(tracking):  # noqa: F811
    experiment_id = mlflow.set_experiment("mlflow3-search").experiment_id
    train, evaluation = _dataset("train"), _dataset("eval")
    made = {}
    with mlflow.start_run():
        for name, on_train, on_eval in (("a", 0.9, 0.1), ("b", 0.5, 0.7), ("c", 0.1, 0.4)):
            made[name] = tracking.create_logged_model(experiment_id).model_id
            mlflow.log_metric("acc", on_train, model_id=made[name], dataset=train)
            mlflow.log_metric("acc", on_eval, model_id=made[name], dataset=evaluation)
    order = [{"field_name": "metrics.acc", "ascending": False, "dataset_name": "eval"}]
    pages, token = [], None
    while True:
        page = tracking.search_logged_models([experiment_id], order_by=order, max_results=2, page_token=token)
        pages.append([m.model_id for m in page])
        if not (token := page.token):
            break
    assert pages == [[made["b"], made["c"]], [made["a"]]]
    best_on_train = tracking.search_logged_models([experiment_id], filter_string="metrics.acc > 0.8",
                                                  datasets=[{"dataset_name": "train"}])
    assert [m.model_id for m in best_on_train] == [made["a"]]
    assert all(m.name for m in best_on_train)  # created without a name: the server made one up


def test_a_run_keeps_the_client_user_and_records_the_owner(tracking, owner):  # noqa: F811
    with mlflow.start_run() as run:
        pass
    assert tracking.get_run(run.info.run_id).info.user_id == getpass.getuser()
    api = APIClient()
    api.force_authenticate(owner)
    body = api.get(f"/api/v1/runs/{run.info.run_id}/").json()
    assert (body["user_id"], body["owner"]) == (getpass.getuser(), "owner")


def test_genai_evaluation_datasets_round_trip(tracking, experiment_named):  # noqa: F811
    from mlflow.genai import datasets

    experiment_id = experiment_named("genai-eval")
    dataset = datasets.create_dataset(name="support_qa", experiment_id=experiment_id, tags={"team": "ml"})
    assert dataset.dataset_id.startswith("d-")
    dataset.merge_records([{"inputs": {"question": "What is MLflow?"}, "expectations": {"answer": "A platform"}},
                           {"inputs": {"question": "What is a run?"}}])
    dataset.merge_records([{"inputs": {"question": "What is MLflow?"}, "expectations": {"style": "short"}}])

    fetched = datasets.get_dataset(dataset_id=dataset.dataset_id)
    frame = fetched.to_df()
    assert sorted(row["question"] for row in frame["inputs"]) == ["What is MLflow?", "What is a run?"]
    expectations = {row["inputs"]["question"]: row["expectations"] for _, row in frame.iterrows()}
    assert expectations["What is MLflow?"] == {"answer": "A platform", "style": "short"}
    assert fetched.experiment_ids == [experiment_id]
    assert fetched.tags["team"] == "ml"

    assert [d.dataset_id for d in datasets.search_datasets(experiment_ids=[experiment_id])] == [dataset.dataset_id]
    assert datasets.get_dataset(name="support_qa").dataset_id == dataset.dataset_id
    datasets.delete_dataset(dataset_id=dataset.dataset_id)
    assert list(datasets.search_datasets(experiment_ids=[experiment_id])) == []
