"""Validation runs through the services: planning, execution on real scikit-learn models, the verdict gating
the review request, and the dispatcher's and sweeper's recovery paths. Runs execute in-process (eager Celery)
after the creating transaction commits, as in the embedded default; a real worker is exercised in
tests/approvals/worker/."""
from datetime import timedelta

import pytest
from django.utils import timezone

from approvals.choices import CheckStatus, ReviewRequestStatus, ValidationStatus
from approvals.models import ValidationRun
from approvals.services import (
    policy_update,
    review_request_approve,
    review_request_create,
    validation_run_create,
    validation_run_execute,
    validation_run_repeat,
    validation_runs_dispatch_pending,
    validation_runs_sweep,
)
from models_app.exceptions import InvalidParameter, PermissionDenied
from models_app.models import AuditEvent
from models_app.services.artifacts import artifact_uri_to_path, artifact_write
from models_app.services.stages import model_version_transition_stage
from tests.approvals.conftest import API
from tests.approvals.validation_support import register_iris_version, upload_iris_dataset

pytestmark = pytest.mark.django_db

ACCURACY_AT_LEAST_90 = [{"metric": "accuracy", "op": ">=", "value": 0.9}]


@pytest.fixture
def validated_policy(prod_policy, owner):
    return policy_update(policy=prod_policy, actor=None, entry_point=API, require_validation=True,
                         metric_thresholds=ACCURACY_AT_LEAST_90)


def _checks(run) -> list[tuple[str, str]]:
    return list(run.checks.order_by("position").values_list("name", "status"))


def _ask(version, owner, capture, **target):
    with capture(execute=True):
        return review_request_create(version=version, actor=owner, entry_point=API, comment="ready",
                                     **(target or {"stage": "Production"}))


def _approve_by_two(request, user_named):
    for name in ("reviewer", "reviewer2"):
        request = review_request_approve(request=request, actor=user_named(name), entry_point=API, comment="ok")
    return request


def test_a_good_candidate_passes_and_its_approved_request_is_applied(
        validated_policy, iris, owner, user_named, django_capture_on_commit_callbacks):
    version = register_iris_version(iris.name, actor=owner)
    request = _ask(version, owner, django_capture_on_commit_callbacks)
    run = request.validation_runs.get()
    assert run.status == ValidationStatus.PASSED
    assert run.summary == "All 2 checks passed."
    assert _checks(run) == [("Artifact integrity", "PASSED"), ("Run metric accuracy >= 0.9", "PASSED")]
    integrity = run.checks.get(position=1)
    assert "files; MLmodel parses (flavors: python_function, sklearn); content hash matches the registration." \
        in integrity.message
    request = _approve_by_two(request, user_named)
    version.refresh_from_db()
    assert (request.status, version.stage) == (ReviewRequestStatus.APPLIED, "Production")


def test_a_worse_candidate_is_blocked_with_its_failing_check(
        validated_policy, iris, owner, user_named, django_capture_on_commit_callbacks):
    version = register_iris_version(iris.name, actor=owner, good=False)
    request = _ask(version, owner, django_capture_on_commit_callbacks)
    run = request.validation_runs.get()
    assert run.status == ValidationStatus.FAILED
    failing = run.checks.get(status=CheckStatus.FAILED)
    assert failing.name == "Run metric accuracy >= 0.9"
    assert (failing.observed, failing.expected) == ("0.333333", ">= 0.9")
    assert failing.message == "accuracy = 0.333333 does not meet accuracy >= 0.9 (the source run)."
    request = _approve_by_two(request, user_named)
    version.refresh_from_db()
    assert (request.status, version.stage) == (ReviewRequestStatus.APPROVED, "None")
    assert request.status_message == (
        f"Approved; waiting: policy 'prod-gate' requires a passed validation run; validation run #{run.pk} "
        "FAILED: 1 of 2 checks failed: Run metric accuracy >= 0.9.")
    with pytest.raises(PermissionDenied, match=f"Review request #{request.pk} cannot be applied: .* FAILED"):
        model_version_transition_stage(version=version, to_stage="Production", actor=owner, entry_point=API,
                                       review_request_id=request.pk)


def test_a_request_approved_before_its_validation_finishes_is_applied_by_the_run(
        validated_policy, iris, owner, user_named):
    version = register_iris_version(iris.name, actor=owner)
    request = review_request_create(version=version, actor=owner, entry_point=API, stage="Production")  # not run yet
    request = _approve_by_two(request, user_named)
    assert request.status == ReviewRequestStatus.APPROVED
    run = request.validation_runs.get()
    assert validation_run_execute(run_id=run.pk).status == ValidationStatus.PASSED
    request.refresh_from_db()
    version.refresh_from_db()
    assert (request.status, version.stage) == (ReviewRequestStatus.APPLIED, "Production")
    assert dict(version.tags.values_list("key", "value"))["approved_by"] == "reviewer,reviewer2"


def test_a_run_is_claimed_once(validated_policy, iris, owner):
    version = register_iris_version(iris.name, actor=owner)
    run = validation_run_create(version=version, actor=owner, entry_point=API, stage="Production")
    assert validation_run_execute(run_id=run.pk).status == ValidationStatus.PASSED
    assert validation_run_execute(run_id=run.pk) is None
    assert ValidationRun.objects.get(pk=run.pk).attempts == 1


def test_artifacts_changed_after_registration_fail_the_integrity_check(validated_policy, iris, owner):
    version = register_iris_version(iris.name, actor=owner)
    path = artifact_uri_to_path(version.storage_location)
    artifact_write(path=f"{path}/model.pkl", stream=__import__("io").BytesIO(b"tampered"), actor=None)
    run = validation_run_create(version=version, actor=owner, entry_point=API)
    run = validation_run_execute(run_id=run.pk)
    integrity = run.checks.get(position=1)
    assert integrity.status == CheckStatus.FAILED
    assert integrity.message.startswith("The artifacts changed since registration: content hash ")
    assert run.status == ValidationStatus.FAILED


def test_the_champion_comparison_uses_the_current_occupant(prod_policy, iris, owner, admin_user):
    champion = register_iris_version(iris.name, actor=owner, metrics={"accuracy": 0.97})
    model_version_transition_stage(version=champion, to_stage="Production", actor=admin_user, entry_point=API,
                                   force_reason="first production version")
    policy_update(policy=prod_policy, actor=None, entry_point=API, champion_thresholds=[
        {"metric": "accuracy", "greater_is_better": True, "min_absolute_change": 0.01}])
    candidate = register_iris_version(iris.name, actor=owner, metrics={"accuracy": 0.975})
    run = validation_run_create(version=candidate, actor=owner, entry_point=API, stage="Production")
    assert run.champion_version_number == champion.version
    run = validation_run_execute(run_id=run.pk)
    comparison = run.checks.get(name="Run metric accuracy against champion")
    assert comparison.status == CheckStatus.FAILED
    assert comparison.message == (
        f"accuracy = 0.975 against the champion (version {champion.version}, 0.97): accuracy = 0.975 is not at "
        "least 0.01 higher than the champion's 0.97.")


def test_without_a_champion_only_the_absolute_threshold_applies(prod_policy, iris, owner):
    policy_update(policy=prod_policy, actor=None, entry_point=API, champion_thresholds=[
        {"metric": "accuracy", "greater_is_better": True, "threshold": 0.99, "min_absolute_change": 0.01}])
    candidate = register_iris_version(iris.name, actor=owner)
    run = validation_run_execute(run_id=validation_run_create(version=candidate, actor=owner, entry_point=API,
                                                              stage="Production").pk)
    comparison = run.checks.get(name="Run metric accuracy against champion")
    assert comparison.status == CheckStatus.FAILED
    assert comparison.message.startswith("No champion to compare with (the source run); threshold only: ")


def test_load_and_score_scores_the_dataset_and_applies_the_thresholds(prod_policy, iris, owner):
    dataset = upload_iris_dataset(actor=None)
    policy_update(policy=prod_policy, actor=None, entry_point=API, validation_datasets=[dataset],
                  metric_thresholds=ACCURACY_AT_LEAST_90)
    good = register_iris_version(iris.name, actor=owner)
    run = validation_run_execute(run_id=validation_run_create(version=good, actor=owner, entry_point=API,
                                                              stage="Production").pk)
    assert _checks(run) == [("Artifact integrity", "PASSED"), ("Run metric accuracy >= 0.9", "PASSED"),
                            ("Load and score on iris-holdout", "PASSED"),
                            ("iris-holdout: accuracy >= 0.9", "PASSED")]
    scored = run.checks.get(name="Load and score on iris-holdout")
    assert scored.observed.startswith("accuracy=0.97")
    assert run.status == ValidationStatus.PASSED


def test_a_dataset_without_the_signature_columns_fails_the_score_checks(prod_policy, iris, owner):
    dataset = upload_iris_dataset(actor=None, name="iris-no-petals", drop=("petal width (cm)",),
                                  file_format="parquet")
    policy_update(policy=prod_policy, actor=None, entry_point=API, validation_datasets=[dataset],
                  metric_thresholds=ACCURACY_AT_LEAST_90)
    version = register_iris_version(iris.name, actor=owner)
    run = validation_run_execute(run_id=validation_run_create(version=version, actor=owner, entry_point=API,
                                                              stage="Production").pk)
    scored = run.checks.get(name="Load and score on iris-no-petals")
    assert scored.status == CheckStatus.FAILED
    assert "petal width (cm)" in scored.message
    threshold = run.checks.get(name="iris-no-petals: accuracy >= 0.9")
    assert (threshold.status, threshold.observed) == (CheckStatus.FAILED, "not scored")
    assert run.status == ValidationStatus.FAILED


def test_a_repeat_is_a_new_run_and_becomes_the_one_that_counts(validated_policy, iris, owner, user_named):
    version = register_iris_version(iris.name, actor=owner)
    request = review_request_create(version=version, actor=owner, entry_point=API, stage="Production")
    first = request.validation_runs.get()
    with pytest.raises(InvalidParameter, match=f"Validation run #{first.pk} is still QUEUED"):
        validation_run_repeat(run=first, actor=owner, entry_point=API)
    validation_run_execute(run_id=first.pk)
    again = validation_run_repeat(run=ValidationRun.objects.get(pk=first.pk), actor=owner, entry_point=API)
    assert (again.review_request_id, again.status, again.checks.count()) == (request.pk, "QUEUED", 2)
    request = _approve_by_two(request, user_named)
    assert f"validation run #{again.pk} is queued" in request.status_message


def test_the_dispatcher_requeues_a_run_whose_worker_went_silent_and_gives_up_after_the_limit(
        validated_policy, iris, owner, settings):
    settings.VALIDATION_MAX_ATTEMPTS = 2
    version = register_iris_version(iris.name, actor=owner)
    run = validation_run_create(version=version, actor=owner, entry_point=API)
    silent = timezone.now() - timedelta(seconds=settings.VALIDATION_HEARTBEAT_TIMEOUT_SECONDS + 1)
    ValidationRun.objects.filter(pk=run.pk).update(status="RUNNING", claim_token="lost", attempts=1,
                                                   heartbeat_at=silent, dispatched_at=silent)
    outcome = validation_runs_dispatch_pending()  # requeued, then executed in-process (eager Celery)
    assert outcome == {"requeued": 1, "gave_up": 0, "sent": 1}
    run.refresh_from_db()
    assert (run.status, run.attempts) == (ValidationStatus.PASSED, 2)
    ValidationRun.objects.filter(pk=run.pk).update(status="RUNNING", claim_token="lost-again", heartbeat_at=silent)
    assert validation_runs_dispatch_pending() == {"requeued": 0, "gave_up": 1, "sent": 0}
    run.refresh_from_db()
    assert (run.status, run.summary) == (ValidationStatus.ERROR,
                                         "The worker executing it was lost 2 times; giving up.")


def test_the_sweeper_fails_a_run_stuck_past_its_deadline(iris, owner, make_version, settings):
    run = validation_run_create(version=make_version(iris), actor=owner, entry_point=API)
    started = timezone.now() - timedelta(hours=1)
    ValidationRun.objects.filter(pk=run.pk).update(status="RUNNING", claim_token="stuck", started_at=started,
                                                   heartbeat_at=timezone.now(), deadline_at=started)
    assert validation_runs_sweep() == 1
    run.refresh_from_db()
    assert run.status == ValidationStatus.ERROR
    assert run.summary.startswith(f"Did not finish within its deadline ({settings.VALIDATION_RUN_DEADLINE_SECONDS} s "
                                  "after a worker started it at ")
    assert AuditEvent.objects.filter(action="validation_run.finished", object_id=str(run.pk)).exists()


def test_running_a_validation_needs_read_access(iris, make_version, outsider, settings):
    settings.REGISTRY_DEFAULT_PERMISSION = "NONE"
    with pytest.raises(PermissionDenied, match="running a validation needs CAN_READ"):
        validation_run_create(version=make_version(iris), actor=outsider, entry_point=API)
