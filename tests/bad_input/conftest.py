"""Fixtures for the bad-input attacks: one model with two versions, a run, and clients for each API."""
import pytest

from models_app.choices import EntryPoint
from models_app.services.experiments import experiment_create
from models_app.services.registry import model_version_create, registered_model_create
from models_app.services.runs import run_create
from models_app.services.tokens import api_token_create
from tests.models_app.mlflow_api.conftest import MlflowApi

COMMAND = EntryPoint.COMMAND


@pytest.fixture
def token(owner) -> str:
    raw, _token = api_token_create(user=owner, name="attacks", entry_point=COMMAND)
    return raw


@pytest.fixture
def mlflow(client, token) -> MlflowApi:
    return MlflowApi(client, token)


@pytest.fixture
def native(client, token):
    """Django's test client sending the owner's token: `native.get(path)` and friends."""
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


@pytest.fixture
def pages(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def registry(owner):
    """Model 'iris' with versions 1 and 2, and experiment 'attacks' with one run."""
    model = registered_model_create(name="iris", actor=owner, entry_point=COMMAND)
    for number in (1, 2):
        model_version_create(name=model.name, source=f"mlflow-artifacts:/0/models/v{number}/artifacts",
                             actor=owner, entry_point=COMMAND)
    experiment = experiment_create(name="attacks", actor=owner, entry_point=COMMAND)
    return {"model": model, "experiment": experiment, "run": run_create(experiment=experiment, actor=owner)}


def assert_native_error(response, status: int, message_part: str) -> dict:
    body = response.json()
    assert response.status_code == status, body
    assert set(body) == {"error_code", "detail"}, body
    assert message_part in body["detail"], body
    return body


def assert_page_error(response, status: int, message_part: str) -> None:
    assert response.status_code == status, response.content[:300]
    assert message_part in response.content.decode(), response.content[:300]
