"""The real `mlflow` client against a live server: the seed workflows, end to end."""
import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException, RestException
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression

from models_app.choices import EntryPoint
from models_app.services.tokens import api_token_create

pytestmark = [
    pytest.mark.mlflow_client,
    # Stages are deprecated in MLflow but are what the seed workflows use.
    pytest.mark.filterwarnings("ignore:.*is deprecated since 2.9.0.*:FutureWarning"),
]
PIP_REQUIREMENTS = ["scikit-learn"]  # skips the client's slow requirement inference


@pytest.fixture
def tracking(live_server, transactional_db, owner, monkeypatch, default_experiment):
    raw, _token = api_token_create(user=owner, name="client", entry_point=EntryPoint.COMMAND)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", live_server.url)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", raw)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    # set_experiment remembers its experiment in a global and an env var; each test starts at "Default".
    monkeypatch.setattr(mlflow.tracking.fluent, "_active_experiment_id", None)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
    mlflow.set_tracking_uri(live_server.url)
    yield MlflowClient(tracking_uri=live_server.url)
    while mlflow.active_run():
        mlflow.end_run()


@pytest.fixture
def iris():
    data = load_iris()
    return data.data, data.target


def _train_and_log(features, target, *, n_estimators, registered_model_name=None):
    model = RandomForestClassifier(n_estimators=n_estimators, max_depth=3, random_state=n_estimators)
    model.fit(features, target)
    with mlflow.start_run(run_name=f"rf_{n_estimators}") as run:
        mlflow.log_param("n_estimators", n_estimators)
        mlflow.log_metric("accuracy", float(model.score(features, target)))
        mlflow.sklearn.log_model(model, name="model", pip_requirements=PIP_REQUIREMENTS,
                                 registered_model_name=registered_model_name)
    return model, run.info.run_id


def _predicts_like(uri: str, model, features) -> None:
    loaded = mlflow.pyfunc.load_model(uri)
    np.testing.assert_array_equal(np.asarray(loaded.predict(features)), model.predict(features))


def test_it_runs_the_iris_workflow(tracking, iris):
    features, target = iris
    mlflow.set_experiment("Iris Classification")
    model_v1, run_v1 = _train_and_log(features, target, n_estimators=3)
    run = tracking.get_run(run_v1)
    assert run.data.params == {"n_estimators": "3"}
    assert "accuracy" in run.data.metrics

    version_1 = mlflow.register_model(f"runs:/{run_v1}/model", "iris_classifier")
    assert (version_1.version, version_1.status, version_1.run_id) == ("1", "READY", run_v1)
    model_v2, run_v2 = _train_and_log(features, target, n_estimators=7, registered_model_name="iris_classifier")
    assert tracking.get_model_version("iris_classifier", "2").run_id == run_v2

    tracking.transition_model_version_stage("iris_classifier", "1", "Staging")
    tracking.transition_model_version_stage("iris_classifier", "1", "Production")
    tracking.transition_model_version_stage("iris_classifier", "2", "Staging")
    assert tracking.get_model_version("iris_classifier", "production").version == "1"
    found = tracking.search_model_versions("name='iris_classifier' and current_stage='Production'")
    assert [v.version for v in found] == ["1"]
    assert {v.version for v in tracking.search_model_versions("name='iris_classifier'")} == {"1", "2"}

    tracking.update_model_version("iris_classifier", "1", description="Random forest baseline")
    tracking.set_model_version_tag("iris_classifier", "1", "team", "data_science")
    tracking.set_registered_model_tag("iris_classifier", "owner", "ml")
    tracking.update_registered_model("iris_classifier", description="Iris species")
    version = tracking.get_model_version("iris_classifier", "1")
    assert (version.description, version.tags) == ("Random forest baseline", {"team": "data_science"})
    registered = tracking.get_registered_model("iris_classifier")
    assert (registered.description, registered.tags) == ("Iris species", {"owner": "ml"})
    assert {v.current_stage: v.version for v in registered.latest_versions} == {"Production": "1", "Staging": "2"}

    _predicts_like("models:/iris_classifier/Production", model_v1, features)
    _predicts_like("models:/iris_classifier/1", model_v1, features)
    _predicts_like("models:/iris_classifier/2", model_v2, features)
    _predicts_like(f"runs:/{run_v2}/model", model_v2, features)


def test_it_runs_the_house_price_workflow(tracking):
    """Seed B: no set_experiment (runs go to "Default"), log_model registers, stages, latest-version source."""
    rng = np.random.default_rng(0)
    features = rng.normal(size=(40, 3))
    target = features @ np.array([3.0, -1.0, 2.0]) + 5.0
    models = {}
    for fit_intercept, artifact_path in ((True, "linear_regression_model"), (False, "linear_regression_model_v2")):
        model = LinearRegression(fit_intercept=fit_intercept).fit(features, target)
        with mlflow.start_run(run_name=f"Linear_Regression_{artifact_path}") as run:
            assert run.info.experiment_id == "0"
            mlflow.log_param("fit_intercept", fit_intercept)
            mlflow.log_metric("rmse", float(np.sqrt(np.mean((model.predict(features) - target) ** 2))))
            info = mlflow.sklearn.log_model(sk_model=model, artifact_path=artifact_path,
                                            registered_model_name="HousePricePredictor",
                                            pip_requirements=PIP_REQUIREMENTS)
        models[str(info.registered_model_version)] = model

    # MLflow's default order is least recently updated last, so the seed's [-1] is version 1.
    latest_version = tracking.search_model_versions(filter_string="name='HousePricePredictor'")[-1].version
    assert latest_version == "1"
    tracking.transition_model_version_stage(name="HousePricePredictor", version=latest_version, stage="Staging")
    tracking.transition_model_version_stage(name="HousePricePredictor", version=latest_version, stage="Production")
    production = tracking.get_latest_versions("HousePricePredictor", stages=["Production"])[0]
    assert production.source.startswith("models:/m-")
    _predicts_like(production.source, models["1"], features)
    _predicts_like("models:/HousePricePredictor/Production", models["1"], features)


def test_it_serves_aliases_and_rolls_back(tracking, iris):
    features, target = iris
    model_v1, _ = _train_and_log(features, target, n_estimators=3, registered_model_name="HousePricePredictor")
    model_v2, _ = _train_and_log(features, target, n_estimators=7, registered_model_name="HousePricePredictor")
    tracking.set_registered_model_alias("HousePricePredictor", "champion", "2")
    assert tracking.get_model_version_by_alias("HousePricePredictor", "champion").version == "2"
    assert tracking.get_registered_model("HousePricePredictor").aliases == {"champion": "2"}
    _predicts_like("models:/HousePricePredictor@champion", model_v2, features)

    tracking.transition_model_version_stage("HousePricePredictor", "2", "Production")
    tracking.transition_model_version_stage("HousePricePredictor", "1", "Production",
                                            archive_existing_versions=True)
    assert tracking.get_model_version("HousePricePredictor", "2").current_stage == "Archived"
    _predicts_like("models:/HousePricePredictor/Production", model_v1, features)
    tracking.set_registered_model_alias("HousePricePredictor", "champion", "1")
    _predicts_like("models:/HousePricePredictor@champion", model_v1, features)

    tracking.delete_registered_model_alias("HousePricePredictor", "champion")
    with pytest.raises(MlflowException) as error:
        tracking.get_model_version_by_alias("HousePricePredictor", "champion")
    assert error.value.error_code == "INVALID_PARAMETER_VALUE"


def test_it_deletes_a_version_and_the_model(tracking):
    features = np.arange(20, dtype=float).reshape(10, 2)
    model = LinearRegression().fit(features, features.sum(axis=1))
    with mlflow.start_run():
        mlflow.sklearn.log_model(model, name="model", pip_requirements=PIP_REQUIREMENTS,
                                 registered_model_name="iris_throwaway")
        mlflow.sklearn.log_model(model, name="model2", pip_requirements=PIP_REQUIREMENTS,
                                 registered_model_name="iris_throwaway")
    tracking.delete_model_version("iris_throwaway", "1")
    assert [v.version for v in tracking.search_model_versions("name='iris_throwaway'")] == ["2"]
    tracking.delete_registered_model("iris_throwaway")
    with pytest.raises(RestException) as error:
        tracking.get_registered_model("iris_throwaway")
    assert error.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_it_accepts_basic_credentials_and_refuses_wrong_ones(tracking, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_TOKEN")
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "owner")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "owner-pass")
    assert [e.name for e in tracking.search_experiments()] == ["Default"]
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "wrong")
    with pytest.raises(RestException) as error:
        tracking.search_experiments()
    assert error.value.error_code == "UNAUTHENTICATED"
