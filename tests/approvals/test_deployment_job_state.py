"""ModelVersion.deployment_job_state and RegisteredModel.deployment_job_id, filled from governance, over MLflow's REST.

A review request to move a version is reported as a deployment job run: job_id the request, run_id its latest
validation run, run_state where it stands (PENDING/RUNNING while validation is queued/running, APPROVAL while
awaiting reviewers, SUCCEEDED once applied, FAILED when rejected or when validation failed).
"""
import pytest

from approvals.choices import ValidationStatus
from approvals.models import ValidationRun
from approvals.services import policy_update, review_request_approve, review_request_create, review_request_reject
from models_app.services.tokens import api_token_create
from tests.approvals.conftest import API
from tests.models_app.mlflow_api.conftest import MlflowApi

pytestmark = pytest.mark.django_db


@pytest.fixture
def mlflow(client, owner) -> MlflowApi:
    raw, _token = api_token_create(user=owner, name="tests", entry_point=API)
    return MlflowApi(client, raw)


def _state(mlflow, version) -> dict | None:
    response = mlflow.get("model-versions/get", name=version.registered_model.name, version=str(version.version))
    assert response.status_code == 200, response.json()
    return response.json()["model_version"].get("deployment_job_state")


def _request(version, owner):
    return review_request_create(version=version, actor=owner, entry_point=API, stage="Production", comment="go")


def test_a_governed_model_names_its_policy_and_a_version_without_request_has_no_state(
        mlflow, prod_policy, iris, make_version, owner):
    version = make_version(iris)
    assert _state(mlflow, version) is None
    body = mlflow.get("registered-models/get", name=iris.name).json()["registered_model"]
    assert body["deployment_job_id"] == str(prod_policy.pk)


def test_an_ungoverned_model_has_no_deployment_job(mlflow, prod_policy, make_version, owner):
    from models_app.services.registry import registered_model_create

    other = registered_model_create(name="free_model", actor=owner, entry_point=API)
    make_version(other)
    body = mlflow.get("registered-models/get", name=other.name).json()["registered_model"]
    assert "deployment_job_id" not in body
    assert "deployment_job_state" not in body["latest_versions"][0]


def test_awaiting_reviewers_is_approval_and_applied_is_succeeded(
        mlflow, prod_policy, iris, make_version, owner, user_named):
    version = make_version(iris)
    request = _request(version, owner)
    runs = list(request.validation_runs.all())
    expected_run_id = str(runs[0].pk) if runs else ""
    if runs:  # a run the policy did not ask for is not planned; if one is, let it pass for this test
        ValidationRun.objects.filter(pk=runs[0].pk).update(status=ValidationStatus.PASSED)
    assert _state(mlflow, version) == {"job_id": str(request.pk), "run_id": expected_run_id,
                                       "job_state": "CONNECTED", "run_state": "APPROVAL",
                                       "current_task_name": "review"}
    for name in ("reviewer", "reviewer2"):
        request = review_request_approve(request=request, actor=user_named(name), entry_point=API, comment="ok")
    state = _state(mlflow, version)
    assert (state["job_id"], state["run_state"], state["current_task_name"]) == (str(request.pk), "SUCCEEDED", "apply")
    found = mlflow.get("model-versions/search", filter=f"name='{iris.name}'").json()["model_versions"]
    assert [(v["current_stage"], v["deployment_job_state"]["run_state"]) for v in found] == [("Production",
                                                                                             "SUCCEEDED")]


def test_a_rejected_request_is_failed(mlflow, prod_policy, iris, make_version, owner, user_named):
    version = make_version(iris)
    request = review_request_reject(request=_request(version, owner), actor=user_named("reviewer"), entry_point=API,
                                    comment="no")
    state = _state(mlflow, version)
    assert (state["job_id"], state["run_state"], state["current_task_name"]) == (str(request.pk), "FAILED", "review")


@pytest.mark.parametrize(("validation", "run_state"), [
    (ValidationStatus.QUEUED, "PENDING"), (ValidationStatus.RUNNING, "RUNNING"),
    (ValidationStatus.FAILED, "FAILED"), (ValidationStatus.ERROR, "FAILED"), (ValidationStatus.PASSED, "APPROVAL"),
])
def test_the_validation_run_decides_the_state_until_reviewers_do(
        mlflow, prod_policy, iris, make_version, owner, validation, run_state):
    policy_update(policy=prod_policy, actor=None, entry_point=API, require_validation=True,
                  metric_thresholds=[{"metric": "accuracy", "op": ">=", "value": 0.9}])
    version = make_version(iris)
    request = _request(version, owner)
    run = request.validation_runs.get()  # queued: the worker only sees it once the test's transaction commits
    ValidationRun.objects.filter(pk=run.pk).update(status=validation)
    expected_task = "review" if run_state == "APPROVAL" else "validate"
    assert _state(mlflow, version) == {"job_id": str(request.pk), "run_id": str(run.pk), "job_state": "CONNECTED",
                                       "run_state": run_state, "current_task_name": expected_task}


def test_searching_fifty_governed_versions_costs_a_fixed_number_of_queries(
        mlflow, prod_policy, iris, make_version, owner, django_assert_max_num_queries):
    from tests.models_app.mlflow_api.test_query_counts import MODEL_VERSION_SEARCH_QUERIES

    requests = {}
    for _ in range(50):
        version = make_version(iris)
        requests[str(version.version)] = str(_request(version, owner).pk)
    with django_assert_max_num_queries(MODEL_VERSION_SEARCH_QUERIES):
        response = mlflow.get("model-versions/search", filter=f"name='{iris.name}'", max_results=50)
    found = response.json()["model_versions"]
    assert len(found) == 50
    assert {v["version"]: v["deployment_job_state"]["job_id"] for v in found} == requests
