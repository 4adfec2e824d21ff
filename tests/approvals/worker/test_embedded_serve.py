"""`make run`'s processes: `manage.py serve` starts runserver, a Celery worker and beat against the embedded broker
(kombu's filesystem transport), a review request over HTTP answers before its validation has run, the worker
executes the run, and Ctrl-C (SIGINT to the supervisor) stops every process it started."""
import json
import signal
import time
import urllib.error
import urllib.request

import pytest

from approvals.choices import ReviewRequestStatus, ValidationStatus
from approvals.models import ReviewRequest
from approvals.services import policy_update
from models_app.services.tokens import api_token_create
from tests.approvals.conftest import API
from tests.approvals.validation_support import register_iris_version

from .support import START_TIMEOUT_SECONDS, descendants_of
from .test_worker import TASK_SUCCEEDED, wait_for_run

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
STOPPED_WITHIN_SECONDS = 30


class _Processes:
    """wait_for_run's view of the supervisor: it fails the test if serve (and so one of its children) exited."""

    def __init__(self, serve):
        self.serve = serve

    def check_alive(self):
        self.serve.check_alive()

    def logs(self):
        return self.serve.log()[-4000:]


def _wait_until_serving(serve) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        serve.check_alive()
        try:
            urllib.request.urlopen(f"{serve.url}/accounts/login/", timeout=2).close()
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    pytest.fail(f"serve did not answer within {START_TIMEOUT_SECONDS} s:\n{serve.log()[-4000:]}")


def _post_json(url: str, body: dict, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read())


def test_serve_runs_the_validation_a_request_queued_and_ctrl_c_stops_every_process(
        prod_policy, iris, owner, embedded_serve):
    policy_update(policy=prod_policy, actor=None, entry_point=API, require_validation=True,
                  metric_thresholds=[{"metric": "accuracy", "op": ">=", "value": 0.9}])
    version = register_iris_version(iris.name, actor=owner)
    token, _ = api_token_create(user=owner, name="serve-test", entry_point=API)
    _wait_until_serving(embedded_serve)
    children = descendants_of(embedded_serve.pid)
    for part in ("manage.py runserver", "celery -A registry_site worker", "celery -A registry_site beat"):
        assert any(part in command for command in children.values()), children

    status, body = _post_json(f"{embedded_serve.url}/api/v1/review-requests/", {
        "model": iris.name, "version": version.version, "stage": "Production", "comment": "ready"}, token)
    answered_at = time.time()

    assert status == 201, body
    request = ReviewRequest.objects.get(pk=body["id"])
    run = wait_for_run(request.validation_runs.get().pk, _Processes(embedded_serve))
    assert run.status == ValidationStatus.PASSED
    assert run.finished_at.timestamp() > answered_at  # the web server answered before the worker had finished
    # logged once the task returned, that is once the request was told
    embedded_serve.wait_for_log(TASK_SUCCEEDED.format(task=r"approvals\.execute_validation_run", result="'PASSED'"))
    request.refresh_from_db()
    assert request.status == ReviewRequestStatus.PENDING and f"Validation run #{run.pk} PASSED" in \
        request.status_message

    children = descendants_of(embedded_serve.pid)
    embedded_serve.process.send_signal(signal.SIGINT)
    assert embedded_serve.process.wait(timeout=STOPPED_WITHIN_SECONDS) == 0, embedded_serve.log()[-4000:]
    assert "Stopping the web server, the worker and beat" in embedded_serve.log()
    still_running = {pid: command for pid, command in children.items() if _alive(pid)}
    assert not still_running, still_running


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
