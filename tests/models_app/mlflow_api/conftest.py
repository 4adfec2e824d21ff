"""Fixtures for the MLflow API tests: an API token and a JSON client speaking the MLflow wire format."""
import json

import pytest

from models_app.choices import EntryPoint
from models_app.models import Experiment
from models_app.services.tokens import api_token_create


@pytest.fixture
def owner_token(owner) -> str:
    raw, _token = api_token_create(user=owner, name="tests", entry_point=EntryPoint.COMMAND)
    return raw


class MlflowApi:
    """Django's test client with the owner's Bearer token, JSON bodies and the API prefix."""

    def __init__(self, client, token: str | None, prefix: str = "/api/2.0/mlflow/"):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.prefix = prefix

    def get(self, endpoint: str, **params):
        return self.client.get(self.prefix + endpoint, params, headers=self.headers)

    def _send(self, method: str, endpoint: str, body):
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return getattr(self.client, method)(self.prefix + endpoint, data=data, content_type="application/json",
                                            headers=self.headers)

    def post(self, endpoint: str, body=None):
        return self._send("post", endpoint, body or {})

    def patch(self, endpoint: str, body=None):
        return self._send("patch", endpoint, body or {})

    def delete(self, endpoint: str, body=None):
        return self._send("delete", endpoint, body or {})


@pytest.fixture
def api(client, owner_token) -> MlflowApi:
    return MlflowApi(client, owner_token)


@pytest.fixture
def default_experiment(db, owner, grant_experiment) -> Experiment:
    """The Default experiment, in which owner may log runs (an admin's grant: everyone else only reads it)."""
    # The migration creates it, but transactional tests flush tables, so later tests recreate it.
    experiment, _ = Experiment.objects.get_or_create(
        pk=0, defaults={"name": "Default", "artifact_location": "mlflow-artifacts:/0"}
    )
    grant_experiment(experiment, owner, "EDIT")
    return experiment


def assert_error(response, status: int, error_code: str, message_part: str = "") -> dict:
    body = response.json()
    assert response.status_code == status, body
    assert body["error_code"] == error_code
    assert message_part in body["message"]
    return body


@pytest.fixture
def experiment(owner):
    from models_app.services.experiments import experiment_create

    return experiment_create(name="Iris Classification", actor=owner, entry_point=EntryPoint.COMMAND)


@pytest.fixture
def run(experiment, owner):
    from models_app.services.runs import run_create

    return run_create(experiment=experiment, actor=owner, run_name="rf_v1")


@pytest.fixture
def registered_model(owner):
    """A model with versions 1 and 2, both in stage None."""
    from models_app.services.registry import model_version_create, registered_model_create

    model = registered_model_create(name="iris_classifier", actor=owner, entry_point=EntryPoint.COMMAND)
    for number in (1, 2):
        model_version_create(name=model.name, source=f"mlflow-artifacts:/0/models/v{number}/artifacts",
                             actor=owner, entry_point=EntryPoint.COMMAND)
    return model
