"""A governed promotion in MLflow 3's words: ModelVersion.deployment_job_state, RegisteredModel.deployment_job_id.

MLflow 3 lets a registered model be connected to a deployment job whose runs take each new version through
evaluation, approval and deployment. A policy plays that job here, and a review request to move a version is
one run of it: job_id is the request's id, run_id its latest validation run's id, and run_state says where the
request stands, so a stock client's get_model_version() shows the promotion's progress. Reads only.
"""
from models_app.governance import DeploymentJobRunState, DeploymentJobState

from .choices import ReviewAction, ReviewRequestStatus, ValidationStatus
from .models import ReviewRequest, ValidationRun
from .selectors import policies_all, policy_for_name

# Requests that tell where a promotion stands; cancelled and superseded ones decided nothing.
_REPORTED_STATUSES = (ReviewRequestStatus.PENDING, ReviewRequestStatus.APPROVED, ReviewRequestStatus.APPLIED,
                      ReviewRequestStatus.REJECTED)
TASK_VALIDATE, TASK_REVIEW, TASK_APPLY = "validate", "review", "apply"


def deployment_job_states(versions) -> dict[int, DeploymentJobState]:
    """{version pk: state of its latest reported move request}, in two queries for any number of versions."""
    version_ids = [version.pk for version in versions]
    if not version_ids:
        return {}
    latest: dict[int, ReviewRequest] = {}
    requests = (ReviewRequest.objects.filter(model_version__in=version_ids, action=ReviewAction.MOVE,
                                             status__in=_REPORTED_STATUSES)
                .order_by("model_version_id", "-created_at", "-id").only("id", "model_version_id", "status"))
    for request in requests:
        latest.setdefault(request.model_version_id, request)
    if not latest:
        return {}
    runs: dict[int, ValidationRun] = {}
    for run in (ValidationRun.objects.filter(review_request__in=[request.pk for request in latest.values()])
                .order_by("review_request_id", "-created_at", "-id").only("id", "review_request_id", "status")):
        runs.setdefault(run.review_request_id, run)
    return {version_id: _state(request, runs.get(request.pk)) for version_id, request in latest.items()}


def _state(request: ReviewRequest, run: ValidationRun | None) -> DeploymentJobState:
    run_state, task = _run_state(request.status, run.status if run is not None else None)
    return DeploymentJobState(job_id=str(request.pk), run_id=str(run.pk) if run is not None else "",
                              run_state=run_state, current_task_name=task)


def _run_state(request_status: str, validation_status: str | None) -> tuple[DeploymentJobRunState, str]:
    """(run_state, current task) of a request whose latest validation run has `validation_status` (None: none)."""
    if request_status == ReviewRequestStatus.APPLIED:
        return DeploymentJobRunState.SUCCEEDED, TASK_APPLY
    if request_status == ReviewRequestStatus.REJECTED:
        return DeploymentJobRunState.FAILED, TASK_REVIEW
    if validation_status == ValidationStatus.QUEUED:
        return DeploymentJobRunState.PENDING, TASK_VALIDATE
    if validation_status == ValidationStatus.RUNNING:
        return DeploymentJobRunState.RUNNING, TASK_VALIDATE
    if validation_status in (ValidationStatus.FAILED, ValidationStatus.ERROR):
        return DeploymentJobRunState.FAILED, TASK_VALIDATE
    if request_status == ReviewRequestStatus.APPROVED:
        # The approvals are in and validation passed (or is not required): the change is being applied.
        return DeploymentJobRunState.RUNNING, TASK_APPLY
    return DeploymentJobRunState.APPROVAL, TASK_REVIEW


def deployment_job_ids(registered_models) -> dict[int, str]:
    """{model pk: id of the policy governing it}, from one read of the policies."""
    policies = policies_all()
    governing = {model.pk: policy_for_name(model.name, policies=policies) for model in registered_models}
    return {pk: str(policy.pk) for pk, policy in governing.items() if policy is not None}
