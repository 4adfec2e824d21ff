"""`mlflow models serve -m models:/<name>/Production` resolves and downloads the model from a live server."""
import subprocess
import time

import mlflow
import pytest
import requests
from mlflow import MlflowClient
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier

from models_app.choices import EntryPoint
from models_app.services.tokens import api_token_create

from .processes import VENV_BIN, child_env, free_port, stop_process_group

pytestmark = [
    pytest.mark.mlflow_client,
    pytest.mark.filterwarnings("ignore:.*is deprecated since 2.9.0.*:FutureWarning"),
    pytest.mark.filterwarnings("ignore:Hint. Inferred schema contains integer column:UserWarning"),
]

SERVE_START_TIMEOUT_SECONDS = 90
SEED_SAMPLE = [[5.1, 3.5, 1.4, 0.2]]  # the seed article's setosa flower
VIRGINICA_SAMPLE = [[6.7, 3.0, 5.2, 2.3]]


@pytest.fixture
def client_env(live_server, transactional_db, owner, default_experiment, monkeypatch):
    raw, _token = api_token_create(user=owner, name="serve", entry_point=EntryPoint.COMMAND)
    env = {
        "MLFLOW_TRACKING_URI": live_server.url,
        "MLFLOW_TRACKING_TOKEN": raw,
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(mlflow.tracking.fluent, "_active_experiment_id", None)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
    mlflow.set_tracking_uri(live_server.url)
    yield env
    while mlflow.active_run():
        mlflow.end_run()
    mlflow.set_tracking_uri(None)  # later tests must not talk to this test's server


@pytest.fixture
def iris_in_production(client_env) -> list[str]:
    """An iris forest trained on named columns, registered and moved to Production with the real client."""
    iris = load_iris(as_frame=True)
    model = RandomForestClassifier(n_estimators=5, random_state=0).fit(iris.data, iris.target)
    with mlflow.start_run(run_name="serve me") as run:
        # cloudpickle: skops' import costs seconds and is not what this test is about.
        mlflow.sklearn.log_model(model, name="model", input_example=iris.data.head(2),
                                 pip_requirements=["scikit-learn"],
                                 serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE)
    version = mlflow.register_model(f"runs:/{run.info.run_id}/model", "iris_classifier")
    MlflowClient().transition_model_version_stage("iris_classifier", version.version, "Production")
    return list(iris.data.columns)


def wait_until_serving(process: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + SERVE_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace")
            pytest.fail(f"mlflow models serve exited {process.returncode}:\n{output[-6000:]}")
        try:
            if requests.get(f"{url}/ping", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    pytest.fail(f"mlflow models serve did not answer {url}/ping within {SERVE_START_TIMEOUT_SECONDS} s")


def predict(url: str, columns: list[str], rows: list[list[float]]) -> list:
    payload = {"dataframe_split": {"columns": columns, "data": rows}}
    response = requests.post(f"{url}/invocations", json=payload, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["predictions"]


def test_it_serves_the_production_model_and_predicts_the_seed_sample(iris_in_production, client_env, tmp_path):
    port = free_port()
    env = child_env(**client_env)
    command = [str(VENV_BIN / "mlflow"), "models", "serve", "-m", "models:/iris_classifier/Production",
               "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)]
    process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_serving(process, url)
        assert predict(url, iris_in_production, SEED_SAMPLE) == [0]
        # A second class proves the served model is the trained one, not a constant answer.
        assert predict(url, iris_in_production, VIRGINICA_SAMPLE) == [2]
    finally:
        stop_process_group(process)
