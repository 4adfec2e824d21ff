"""Requesting a promotion never waits for its validation: the page answers with the request PENDING and its run
QUEUED, the run is a message on the (embedded, filesystem) broker, and the request's pages poll the run's status.

No eager execution here: the test's Celery app publishes to a broker folder that no worker reads, so the run can
only be executed when the test says so.
"""
import json
import time

import pytest
from django.urls import reverse

from approvals.choices import CheckStatus, ReviewRequestStatus, ValidationStatus
from approvals.models import ReviewRequest
from approvals.services import policy_update, validation_run_execute
from registry_site.celery import app as celery_app
from tests.approvals.broker_support import EMBEDDED_BROKER_URL, celery_publishing_to, filesystem_broker_options

pytestmark = pytest.mark.django_db
REQUESTS_URL = reverse("approvals:version_requests", args=["iris_classifier", 2])
ANSWERED_WITHIN_SECONDS = 1.0


@pytest.fixture
def embedded_broker(tmp_path):
    """The queue folder of a filesystem broker that the test process publishes to; nothing consumes it."""
    options = filesystem_broker_options(tmp_path / "broker")
    with celery_publishing_to(EMBEDDED_BROKER_URL, options):
        yield tmp_path / "broker" / "queue"


@pytest.fixture
def validated_policy(gate_policy):
    return policy_update(policy=gate_policy, actor=None, entry_point="page", require_validation=True,
                         metric_thresholds=[{"metric": "accuracy", "op": ">=", "value": 0.9}])


def _queued_tasks(folder) -> list[dict]:
    return [json.loads(path.read_text())["headers"] for path in sorted(folder.iterdir())]


def test_a_request_answers_at_once_with_its_validation_queued_on_the_broker(
        login, outsider, validated_policy, embedded_broker, django_capture_on_commit_callbacks):
    assert celery_app.conf.task_always_eager is False
    client = login(outsider)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):  # the dispatch after the commit happens, and publishes
        response = client.post(REQUESTS_URL, {"stage": "Production", "comment": "ready"}, HTTP_HX_REQUEST="true")
    elapsed = time.monotonic() - started

    opened = ReviewRequest.objects.get()
    run = opened.validation_runs.get()
    assert response.status_code == 200 and f"Review request #{opened.pk} opened for Production." in \
        response.content.decode()
    assert elapsed < ANSWERED_WITHIN_SECONDS
    assert (opened.status, run.status) == (ReviewRequestStatus.PENDING, ValidationStatus.QUEUED)
    assert not run.checks.exclude(status=CheckStatus.PENDING).exists()
    assert run.dispatched_at is not None
    [task] = _queued_tasks(embedded_broker)
    assert task["task"] == "approvals.execute_validation_run" and task["argsrepr"] == f"({run.pk},)"
    # the version page's Validation section reloads
    assert "validation-runs-changed" in response["HX-Trigger"].split(", ")


def test_the_request_page_polls_the_queued_run_until_a_worker_has_finished_it(
        login, outsider, validated_policy, embedded_broker, django_capture_on_commit_callbacks):
    client = login(outsider)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(REQUESTS_URL, {"stage": "Production"})
    opened = ReviewRequest.objects.get()
    status_url = reverse("approvals:reviewrequest_validation", args=[opened.pk])

    page = client.get(reverse("approvals:reviewrequest_detail", args=[opened.pk])).content.decode()
    assert "Validation queued" in page and "0/2 checks" in page
    assert f'hx-get="{status_url}?checks=all" hx-trigger="every 2s"' in page
    polled = client.get(status_url, HTTP_HX_REQUEST="true")
    assert polled.status_code == 200 and "Validation queued" in polled.content.decode()

    validation_run_execute(run_id=opened.validation_runs.get().pk)  # what the worker does with the message

    finished = client.get(status_url, HTTP_HX_REQUEST="true")
    assert finished.status_code == 286 and "Validation passed" in finished.content.decode()
    assert "hx-trigger" not in finished.content.decode()
