"""The stock MLflow client follows a governed promotion through ModelVersion.deployment_job_state.

A real worker validates the candidate while `MlflowClient().get_model_version()` reads the version from a live
server: the client sees the request as a deployment job run, from validation through review to the stage change.
"""
import pytest
from mlflow import MlflowClient

from approvals.choices import ValidationStatus
from approvals.services import review_request_create
from models_app.services.tokens import api_token_create
from tests.approvals.conftest import API
from tests.approvals.validation_support import register_iris_version

from .test_worker import approve_by_two, validated_policy, wait_for_run  # noqa: F401 (validated_policy: fixture)

pytestmark = [pytest.mark.worker, pytest.mark.mlflow_client, pytest.mark.django_db(transaction=True),
              pytest.mark.filterwarnings("ignore:.*is deprecated since 2.9.0.*:FutureWarning")]


@pytest.fixture
def stock_client(live_server, owner, monkeypatch) -> MlflowClient:
    raw, _token = api_token_create(user=owner, name="client", entry_point=API)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", raw)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    return MlflowClient(tracking_uri=live_server.url, registry_uri=live_server.url)


def test_the_client_sees_validation_review_and_application(
        validated_policy, iris, owner, user_named, celery_processes, stock_client):  # noqa: F811
    celery_processes.worker()
    version = register_iris_version(iris.name, actor=owner)
    assert stock_client.get_model_version(iris.name, str(version.version)).deployment_job_state is None
    assert stock_client.get_registered_model(iris.name).deployment_job_id == str(validated_policy.pk)

    request = review_request_create(version=version, actor=owner, entry_point=API, stage="Production")
    run = request.validation_runs.get()
    state = stock_client.get_model_version(iris.name, str(version.version)).deployment_job_state
    assert (state.job_id, state.run_id, state.job_state) == (str(request.pk), str(run.pk), "CONNECTED")
    # The worker may already have claimed the run, or finished it: each state is one the run passed through.
    assert (state.run_state, state.current_task_name) in {("PENDING", "validate"), ("RUNNING", "validate"),
                                                          ("APPROVAL", "review")}

    assert wait_for_run(run.pk, celery_processes).status == ValidationStatus.PASSED
    state = stock_client.get_model_version(iris.name, str(version.version)).deployment_job_state
    assert (state.run_state, state.current_task_name) == ("APPROVAL", "review")

    approve_by_two(request, user_named)
    found = stock_client.get_model_version(iris.name, str(version.version))
    assert (found.current_stage, found.deployment_job_state.run_state) == ("Production", "SUCCEEDED")
    listed = stock_client.search_model_versions(f"name='{iris.name}'")
    assert [(v.version, v.deployment_job_state.job_id) for v in listed] == [(str(version.version), str(request.pk))]


def test_the_client_sees_a_failed_validation(validated_policy, iris, owner, celery_processes, stock_client):  # noqa: F811
    celery_processes.worker()
    version = register_iris_version(iris.name, actor=owner, good=False)
    request = review_request_create(version=version, actor=owner, entry_point=API, stage="Production")
    assert wait_for_run(request.validation_runs.get().pk, celery_processes).status == ValidationStatus.FAILED
    state = stock_client.get_model_version(iris.name, str(version.version)).deployment_job_state
    assert (state.job_id, state.run_state, state.current_task_name) == (str(request.pk), "FAILED", "validate")
