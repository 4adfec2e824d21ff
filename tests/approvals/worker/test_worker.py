"""Validation runs executed by a real Celery worker, with a Redis broker started by the test and a real beat.

What tests/approvals/services/test_validation_runs.py runs in-process happens here across processes: the run is
published to Redis when the creating transaction commits, a worker claims and executes it, and beat's dispatcher
recovers the runs whose worker died or whose message never reached the broker. Assertions are on states and
messages; every wait polls the database (or a log) up to a deadline.
"""
import contextlib
import os
import signal
import time

import mlflow.pyfunc
import pandas as pd
import pytest
from rest_framework.test import APIClient

from approvals.choices import CheckStatus, ReviewRequestStatus, ValidationStatus
from approvals.models import ValidationRun
from approvals.services import policy_update, review_request_approve, review_request_create, validation_run_create
from tests.approvals.conftest import API
from tests.approvals.validation_support import (
    iris_classifier,
    register_iris_version,
    register_python_model_version,
    upload_iris_dataset,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ACCURACY_AT_LEAST_90 = [{"metric": "accuracy", "op": ">=", "value": 0.9}]
RUN_TIMEOUT_SECONDS = 90
# Long enough to kill the worker while the sandbox loads the model; each attempt waits this long.
SLOW_LOAD_SECONDS = 6
TASK_SUCCEEDED = r"Task {task}\[[\w-]+\] succeeded in [\d.]+s: {result}"


class SlowLoadingClassifier(mlflow.pyfunc.PythonModel):
    """A fitted scikit-learn classifier whose loading takes a while: a run long enough to lose its worker."""

    def __init__(self, estimator, load_seconds: float):
        self.estimator, self.load_seconds = estimator, load_seconds

    def load_context(self, context):
        time.sleep(self.load_seconds)

    # The type hint spares mlflow's warning about predict methods without one (it cannot be filtered).
    def predict(self, context, model_input: pd.DataFrame, params=None):
        return self.estimator.predict(model_input)


@pytest.fixture
def validated_policy(prod_policy, owner):
    """prod-gate on iris (Production needs 2 approvals) also requires a passed run: accuracy >= 0.9."""
    return policy_update(policy=prod_policy, actor=None, entry_point=API, require_validation=True,
                         metric_thresholds=ACCURACY_AT_LEAST_90)


def wait_for_run(run_id: int, celery_processes, *, until=lambda run: run.is_finished, what: str = "finished",
                 timeout_seconds: float = RUN_TIMEOUT_SECONDS) -> ValidationRun:
    deadline = time.monotonic() + timeout_seconds
    while True:
        run = ValidationRun.objects.get(pk=run_id)
        if until(run):
            return run
        celery_processes.check_alive()
        if time.monotonic() > deadline:
            pytest.fail(f"Validation run #{run_id} is not {what} after {timeout_seconds} s: {run.status}, "
                        f"attempts {run.attempts}.\n{celery_processes.logs()}")
        time.sleep(0.2)


def wait_for_scoring_process(worker, *, timeout_seconds: float = RUN_TIMEOUT_SECONDS) -> int:
    """The pid of the sandbox process the worker started to load and score the model."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        for pid, command in worker.descendants().items():
            if "score_child.py" in command:
                return pid
        worker.check_alive()
        time.sleep(0.1)
    pytest.fail(f"{worker.name} started no scoring process within {timeout_seconds} s:\n{worker.log()}")


def kill_process_group_of(leader: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        if os.getpgid(leader) == leader:  # the sandbox leads its own group; never kill a group it merely joined
            os.killpg(leader, signal.SIGKILL)


def checks_of(run) -> list[tuple[str, str]]:
    return list(run.checks.order_by("position").values_list("name", "status"))


def approve_by_two(request, user_named):
    for name in ("reviewer", "reviewer2"):
        request = review_request_approve(request=request, actor=user_named(name), entry_point=API, comment="ok")
    return request


def api_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_worker_passes_a_good_candidate_and_two_approvals_apply_the_request(
        validated_policy, iris, owner, user_named, celery_processes):
    worker = celery_processes.worker()  # starts while the model is trained
    version = register_iris_version(iris.name, actor=owner)
    request = review_request_create(version=version, actor=owner, entry_point=API, stage="Production",
                                    comment="ready")
    run = request.validation_runs.get()
    assert run.dispatched_at is not None  # published to Redis when the request was committed

    run = wait_for_run(run.pk, celery_processes)

    assert (run.status, run.summary, run.attempts) == (ValidationStatus.PASSED, "All 2 checks passed.", 1)
    assert checks_of(run) == [("Artifact integrity", "PASSED"), ("Run metric accuracy >= 0.9", "PASSED")]
    # logged once the task returned, that is once the request was told
    worker.wait_for_log(TASK_SUCCEEDED.format(task=r"approvals\.execute_validation_run", result="'PASSED'"))
    request.refresh_from_db()
    assert (request.status, request.status_message) == (ReviewRequestStatus.PENDING,
                                                         f"Validation run #{run.pk} PASSED: All 2 checks passed.")
    request = approve_by_two(request, user_named)
    version.refresh_from_db()
    assert (request.status, version.stage) == (ReviewRequestStatus.APPLIED, "Production")


def test_a_worse_candidate_fails_its_run_which_the_api_explains_and_which_blocks_the_approved_request(
        validated_policy, iris, owner, user_named, celery_processes):
    worker = celery_processes.worker()
    version = register_iris_version(iris.name, actor=owner, good=False)
    request = review_request_create(version=version, actor=owner, entry_point=API, stage="Production")

    run = wait_for_run(request.validation_runs.get().pk, celery_processes)

    assert run.status == ValidationStatus.FAILED
    # logged once the task returned, that is once the request was told
    worker.wait_for_log(TASK_SUCCEEDED.format(task=r"approvals\.execute_validation_run", result="'FAILED'"))
    response = api_client(owner).get(f"/api/v1/validation-runs/{run.pk}/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["summary"], body["progress"], body["attempts"]) == (
        "FAILED", "1 of 2 checks failed: Run metric accuracy >= 0.9.", {"done": 2, "total": 2}, 1)
    failing = [{key: check[key] for key in ("name", "observed", "expected", "message")}
               for check in body["checks"] if check["status"] == CheckStatus.FAILED]
    assert failing == [{"name": "Run metric accuracy >= 0.9", "observed": "0.333333", "expected": ">= 0.9",
                        "message": "accuracy = 0.333333 does not meet accuracy >= 0.9 (the source run)."}]
    request = approve_by_two(request, user_named)
    version.refresh_from_db()
    assert (request.status, request.applied_at, version.stage) == (ReviewRequestStatus.APPROVED, None, "None")
    assert request.status_message == (
        f"Approved; waiting: policy 'prod-gate' requires a passed validation run; validation run #{run.pk} "
        "FAILED: 1 of 2 checks failed: Run metric accuracy >= 0.9.")


def test_a_run_whose_worker_is_killed_mid_run_is_queued_again_by_beat_and_finished_by_the_next_worker(
        validated_policy, iris, owner, celery_processes):
    first_worker = celery_processes.worker()
    dataset = upload_iris_dataset(actor=None)
    policy_update(policy=validated_policy, actor=None, entry_point=API, validation_datasets=[dataset])
    estimator, features, target = iris_classifier()
    version = register_python_model_version(
        iris.name, SlowLoadingClassifier(estimator, SLOW_LOAD_SECONDS), actor=owner,
        metrics={"accuracy": float((estimator.predict(features) == target).mean())})
    run = validation_run_create(version=version, actor=owner, entry_point=API, stage="Production")

    wait_for_run(run.pk, celery_processes, until=lambda run: run.status == ValidationStatus.RUNNING, what="RUNNING")
    scoring = wait_for_scoring_process(first_worker)  # the run is loading the model: mid-run
    first_worker.kill()
    # The sandbox leads a session of its own, out of reach of the worker's group: it must not outlive the test.
    kill_process_group_of(scoring)

    run.refresh_from_db()
    assert (run.status, run.attempts, run.finished_at) == (ValidationStatus.RUNNING, 1, None)
    second_worker = celery_processes.worker()
    celery_processes.beat()
    run = wait_for_run(run.pk, celery_processes)

    assert (run.status, run.summary, run.attempts) == (ValidationStatus.PASSED, "All 4 checks passed.", 2)
    assert checks_of(run) == [("Artifact integrity", "PASSED"), ("Run metric accuracy >= 0.9", "PASSED"),
                              ("Load and score on iris-holdout", "PASSED"), ("iris-holdout: accuracy >= 0.9", "PASSED")]
    scored = run.checks.get(name="Load and score on iris-holdout")
    # The worker confined the model in bubblewrap, and says so in the evidence.
    assert (scored.message, scored.details["isolation"]) == ("scored 150 rows (sandbox: bubblewrap)", "bubblewrap")
    # Beat's dispatcher took the silent run back and sent it again: no redelivery of the lost message.
    second_worker.wait_for_log(TASK_SUCCEEDED.format(task=r"approvals\.dispatch_validation_runs",
                                                     result=r"\{'requeued': 1, 'gave_up': 0, 'sent': 1\}"))
    assert "succeeded" not in first_worker.log()


def test_a_request_saved_while_the_broker_is_down_is_dispatched_by_beat_once_the_broker_is_back(
        validated_policy, iris, owner, broker, celery_processes, caplog):
    version = register_iris_version(iris.name, actor=owner)
    broker.stop()

    response = api_client(owner).post("/api/v1/review-requests/", {
        "model": iris.name, "version": version.version, "stage": "Production", "comment": "while Redis is down"},
        format="json")

    assert response.status_code == 201, response.json()
    created = response.json()
    run = ValidationRun.objects.get(review_request_id=created["id"])
    assert (run.status, run.dispatched_at, run.attempts) == (ValidationStatus.QUEUED, None, 0)
    assert (created["status"], created["validation"]["id"], created["validation"]["status"]) == (
        ReviewRequestStatus.PENDING, run.pk, "QUEUED")
    assert f"Validation run #{run.pk} stays QUEUED: the broker did not take it" in caplog.text

    broker.start()
    worker = celery_processes.worker()
    beat = celery_processes.beat()
    run = wait_for_run(run.pk, celery_processes)

    assert (run.status, run.summary, run.attempts) == (ValidationStatus.PASSED, "All 2 checks passed.", 1)
    assert run.dispatched_at is not None
    beat.wait_for_log(r"Sending due task dispatch-validation-runs \(approvals\.dispatch_validation_runs\)")
    worker.wait_for_log(TASK_SUCCEEDED.format(task=r"approvals\.dispatch_validation_runs",
                                              result=r"\{'requeued': 0, 'gave_up': 0, 'sent': 1\}"))
    worker.wait_for_log(TASK_SUCCEEDED.format(task=r"approvals\.execute_validation_run", result="'PASSED'"))
    request = api_client(owner).get(f"/api/v1/review-requests/{created['id']}/").json()
    assert (request["status"], request["status_message"]) == ("PENDING",
                                                              f"Validation run #{run.pk} PASSED: All 2 checks passed.")
