"""The governed flow over HTTP and tokens only: a policy set through the API, a direct promotion refused to the
real MLflow client, a review request, separation of duties, two approvals, the version in Production; and the
same flow with validation required, where a worse candidate is blocked by its failing checks."""
import io

import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from rest_framework.test import APIClient

from models_app.choices import EntryPoint
from models_app.services.tokens import api_token_create
from tests.approvals.validation_support import iris_frame, register_iris_version

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
                                                              owner, reviewer, user_named, admin_user):
    make_version(iris), make_version(iris)  # versions 1 and 2, as a training script registers them
    approvers.user_set.add(owner)  # the requester is an approver too: only separation of duties stops them
    as_owner, as_first, as_second = (_client_with_token(user)[0] for user in (owner, reviewer,
                                                                              user_named("reviewer2")))
    _ok(as_owner.post("/api/v1/models/iris_classifier/versions/1/transition/", {"stage": "Production"},
                      format="json"))
    _ok(as_owner.put("/api/v1/models/iris_classifier/permissions/",
                     {"group": "prod-approvers", "level": "CAN_MANAGE_PRODUCTION_VERSIONS"}, format="json"))
    _ok(_client_with_token(admin_user)[0].post("/api/v1/policies/", {
        "name": POLICY_NAME, "model_pattern": "iris_classifier", "protected_stages": ["Production"],
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


def test_with_validation_required_a_good_candidate_is_promoted_and_a_worse_one_blocked(
        mlflow_as_owner, iris, approvers, owner, reviewer, user_named, admin_user):
    """Runs execute in the live server's process once each request commits (no broker: eager Celery)."""
    good = register_iris_version(iris.name, actor=owner)
    worse = register_iris_version(iris.name, actor=owner, good=False)
    as_owner, as_first, as_second = (_client_with_token(user)[0] for user in (owner, reviewer,
                                                                              user_named("reviewer2")))
    _ok(as_owner.put("/api/v1/models/iris_classifier/permissions/",
                     {"group": "prod-approvers", "level": "CAN_MANAGE_PRODUCTION_VERSIONS"}, format="json"))
    holdout = io.BytesIO()
    iris_frame().sample(frac=0.3, random_state=0).to_csv(holdout, index=False)
    holdout.name = "holdout.csv"
    holdout.seek(0)
    _ok(_client_with_token(admin_user)[0].post(
        "/api/v1/validation-datasets/", {"name": "iris-holdout", "file": holdout, "target_column": "target",
                                         "task_type": "classification"}, format="multipart"), 201)
    _ok(_client_with_token(admin_user)[0].post("/api/v1/policies/", {
        "name": POLICY_NAME, "model_pattern": "iris_classifier", "protected_stages": ["Production"],
        "required_approvals": 2, "approver_group": "prod-approvers", "require_validation": True,
        "validation_datasets": ["iris-holdout"],
        "metric_thresholds": [{"metric": "accuracy", "op": ">=", "value": 0.9}],
        "champion_thresholds": [{"metric": "accuracy", "greater_is_better": True, "min_relative_change": 0.0,
                                 "on": "datasets"}]}, format="json"), 201)

    def ask_and_approve(version) -> dict:
        request = _ok(as_owner.post("/api/v1/review-requests/", {"model": "iris_classifier",
                                                                 "version": version.version,
                                                                 "stage": "Production"}, format="json"), 201)
        for client in (as_first, as_second):
            decided = _ok(client.post(f"/api/v1/review-requests/{request['id']}/approve/", format="json"))
        return decided

    promoted = ask_and_approve(good)
    assert promoted["status"] == "APPLIED"
    assert promoted["validation"]["status"] == "PASSED"
    assert _ok(as_owner.get(f"/api/v1/models/iris_classifier/versions/{good.version}/"))["stage"] == "Production"

    blocked = ask_and_approve(worse)
    assert blocked["status"] == "APPROVED"
    run = _ok(as_owner.get(f"/api/v1/validation-runs/{blocked['validation']['id']}/"))
    assert (run["status"], run["champion_version"], run["progress"]) == ("FAILED", good.version,
                                                                         {"done": 5, "total": 5})
    failing = {check["name"]: check for check in run["checks"] if check["status"] == "FAILED"}
    assert sorted(failing) == ["Run metric accuracy >= 0.9", "iris-holdout: accuracy >= 0.9",
                               "iris-holdout: accuracy against champion"]
    assert failing["iris-holdout: accuracy >= 0.9"]["expected"] == ">= 0.9"
    assert f"validation run #{run['id']} FAILED" in blocked["status_message"]
    with pytest.raises(MlflowException, match="also requires a passed validation run"):
        mlflow_as_owner.transition_model_version_stage("iris_classifier", str(worse.version), "Production")
    current = _ok(as_owner.get(f"/api/v1/models/iris_classifier/versions/{worse.version}/"))
    assert current["stage"] == "None"
