"""Credentials, malformed requests and unknown routes, across the MLflow API."""
import base64

import pytest

from .conftest import MlflowApi, assert_error

pytestmark = pytest.mark.django_db


def test_it_refuses_requests_without_credentials(client):
    response = MlflowApi(client, token=None).get("experiments/get", experiment_id="0")
    assert_error(response, 401, "UNAUTHENTICATED", "MLFLOW_TRACKING_TOKEN")


def test_it_serves_anonymous_requests_when_the_deployment_allows_them(client, settings, default_experiment):
    settings.REGISTRY_ALLOW_ANONYMOUS = True
    response = MlflowApi(client, token=None).get("experiments/get", experiment_id="0")
    assert response.status_code == 200
    assert response.json()["experiment"]["name"] == "Default"


def test_it_refuses_a_wrong_token(client):
    response = MlflowApi(client, token="mgr_not-a-token").get("experiments/get", experiment_id="0")
    assert_error(response, 401, "UNAUTHENTICATED", "token is invalid")


def test_it_accepts_basic_credentials_with_a_password(client, owner, default_experiment):
    encoded = base64.b64encode(b"owner:owner-pass").decode()
    response = client.get("/api/2.0/mlflow/experiments/get", {"experiment_id": "0"},
                          headers={"Authorization": f"Basic {encoded}"})
    assert response.status_code == 200


def test_it_refuses_a_wrong_password(client, owner):
    encoded = base64.b64encode(b"owner:wrong").decode()
    response = client.get("/api/2.0/mlflow/experiments/get", {"experiment_id": "0"},
                          headers={"Authorization": f"Basic {encoded}"})
    assert_error(response, 401, "UNAUTHENTICATED", "owner")


def test_it_answers_malformed_json_with_invalid_parameter(api):
    response = api.post("registered-models/create", "{not json")
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "not valid JSON")


def test_it_answers_a_json_body_that_is_not_an_object(api):
    response = api.post("registered-models/create", "[1, 2]")
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "JSON object")


def test_it_ignores_unknown_fields(api):
    response = api.post("registered-models/create", {"name": "m", "unknown_field": {"x": 1}})
    assert response.status_code == 200


def test_it_answers_unknown_routes_with_json_endpoint_not_found(api):
    assert_error(api.get("no-such/thing"), 404, "ENDPOINT_NOT_FOUND", "/api/2.0/mlflow/no-such/thing")
    assert_error(api.post("registered-models/create/"), 404, "ENDPOINT_NOT_FOUND")


def test_it_refuses_a_wrong_method_with_json(api):
    assert_error(api.get("registered-models/create"), 405, "ENDPOINT_NOT_FOUND", "use POST")


def test_it_serves_the_same_routes_under_ajax_api(client, owner_token, default_experiment):
    response = MlflowApi(client, owner_token, prefix="/ajax-api/2.0/mlflow/").get("experiments/get", experiment_id="0")
    assert response.status_code == 200


def test_server_info_turns_multipart_off(client, owner_token):
    response = client.get("/api/3.0/mlflow/server-info", headers={"Authorization": f"Bearer {owner_token}"})
    body = response.json()
    assert (body["multipart_uploads_enabled"], body["multipart_downloads_enabled"]) == (False, False)


def test_it_answers_a_too_large_json_body_with_400(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = api.post("registered-models/create", {"name": "m", "description": "x" * 200})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "larger than 100 bytes")


def test_it_answers_values_the_database_cannot_hold_with_4xx(api, default_experiment):
    assert_error(api.get("experiments/get", experiment_id=str(2**70)), 404, "RESOURCE_DOES_NOT_EXIST")
    assert_error(api.post("runs/create", {"experiment_id": "0", "run_name": "n" * 300}), 400, "INVALID_PARAMETER_VALUE")
