"""The issue's "Done when", over HTTP and tokens only: a policy set through the API, a direct promotion refused
to the real MLflow client, a review request, separation of duties, two approvals, the version in Production."""
import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from rest_framework.test import APIClient

from models_app.choices import EntryPoint
from models_app.services.tokens import api_token_create

POLICY_NAME = "Production needs 2 approvals from group prod-approvers"
pytestmark = [
    pytest.mark.mlflow_client,
    pytest.mark.filterwarnings("ignore:.*is deprecated since 2.9.0.*:FutureWarning"),
]


def _client_with_token(user) -> tuple[APIClient, str]:
    raw, _token = api_token_create(user=user, name="flow", entry_point=EntryPoint.COMMAND)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client, raw


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.json()
    return response.json()


@pytest.fixture
def mlflow_as_owner(live_server, transactional_db, owner, monkeypatch) -> MlflowClient:
    _client, raw = _client_with_token(owner)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", live_server.url)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", raw)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    return MlflowClient(tracking_uri=live_server.url)


def test_it_promotes_to_production_only_through_two_approvals(mlflow_as_owner, iris, make_version, approvers,
                                                              owner, reviewer, user_named):
    make_version(iris), make_version(iris)  # versions 1 and 2, as a training script registers them
    approvers.user_set.add(owner)  # the requester is an approver too: only separation of duties stops them
    as_owner, as_first, as_second = (_client_with_token(user)[0] for user in (owner, reviewer,
                                                                              user_named("reviewer2")))
    _ok(as_owner.post("/api/v1/models/iris_classifier/versions/1/transition/", {"stage": "Production"},
                      format="json"))
    _ok(as_owner.put("/api/v1/models/iris_classifier/permissions/",
                     {"group": "prod-approvers", "level": "CAN_MANAGE_PRODUCTION_VERSIONS"}, format="json"))
    _ok(as_owner.post("/api/v1/policies/", {
        "name": POLICY_NAME, "model": "iris_classifier", "protected_stages": ["Production"],
        "required_approvals": 2, "approver_group": "prod-approvers"}, format="json"), 201)

    with pytest.raises(MlflowException) as refusal:
        mlflow_as_owner.transition_model_version_stage("iris_classifier", "2", "Production",
                                                       archive_existing_versions=True)
    why = str(refusal.value)
    assert "PERMISSION_DENIED" in why
    assert f"Policy '{POLICY_NAME}' protects stage Production" in why
    assert "Open a review request: POST /api/v1/review-requests/" in why

    request = _ok(as_owner.post("/api/v1/review-requests/", {"model": "iris_classifier", "version": 2,
                                                             "stage": "Production", "comment": "better recall"},
                                format="json"), 201)
    own = as_owner.post(f"/api/v1/review-requests/{request['id']}/approve/", {"comment": "mine"}, format="json")
    assert own.status_code == 403
    assert "Separation of duties" in own.json()["detail"]
    assert _ok(as_first.post(f"/api/v1/review-requests/{request['id']}/approve/", {"comment": "metrics ok"},
                             format="json"))["status"] == "PENDING"
    decided = _ok(as_second.post(f"/api/v1/review-requests/{request['id']}/approve/", {"comment": "lgtm"},
                                 format="json"))
    assert decided["status"] == "APPLIED"
    assert [review["reviewer_name"] for review in decided["reviews"]] == ["reviewer", "reviewer2"]

    promoted = _ok(as_owner.get("/api/v1/models/iris_classifier/versions/2/"))
    assert promoted["stage"] == "Production"
    assert promoted["tags"]["approved_by"] == "reviewer,reviewer2"
    assert promoted["tags"]["review_request"] == str(request["id"])
    assert _ok(as_owner.get("/api/v1/models/iris_classifier/versions/1/"))["stage"] == "Archived"
