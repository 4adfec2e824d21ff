"""Validation runs: creating them, handing them to a worker, executing their checks, finishing them.

A run is created QUEUED (with every check planned as PENDING) and dispatched to Celery after the creating
transaction commits. A worker claims it once (QUEUED -> RUNNING with a fresh claim token); only the holder of
the token may record checks and the verdict. The dispatcher (beat) sends runs whose message never left or may
have been lost, and queues again runs whose worker stopped sending heartbeats; the sweeper fails runs past
their deadline. A finished run that passed applies its review request when the request already has its quorum.
"""
import logging
import threading
import uuid
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from models_app.choices import AuditAction, EntryPoint
from models_app.exceptions import InvalidParameter
from models_app.governance import PermissionLevel
from models_app.models import ModelVersion
from models_app.services.audit import actor_display_name, audit_record
from models_app.services.common import user_or_none

from ..choices import CheckStatus, ValidationStatus
from ..models import ReviewRequest, ValidationCheck, ValidationRun
from ..selectors import (
    policy_effective,
    policy_protecting_alias,
    policy_protecting_stage,
    target_occupant,
    version_content_hash,
)
from ..signals import validation_run_finished
from ..validation.checks import CheckResult, checks_plan, context_close, context_open, execute_check
from .permissions import permission_require

logger = logging.getLogger(__name__)

EXECUTE_VALIDATION_RUN_TASK = "approvals.execute_validation_run"


def validation_run_create(*, version: ModelVersion, actor, entry_point: str,
                          review_request: ReviewRequest | None = None, stage: str = "",
                          alias: str = "") -> ValidationRun:
    """Plan a run of the checks that apply to `version` (needs CAN_READ) and dispatch it once committed.

    For a review request, the checks are those of the policy as frozen in the request; on demand, those of the
    policy protecting the given target (or the model's policy, or artifact integrity alone).
    """
    model = version.registered_model
    permission_require(actor=actor, registered_model=model, level=PermissionLevel.CAN_READ,
                       purpose="running a validation")
    if review_request is not None:
        stage, alias = review_request.target_stage, review_request.target_alias
        policy_name, config = review_request.policy_snapshot.get("name", ""), review_request.policy_snapshot
    else:
        policy = _policy_for(version, stage, alias)
        policy_name, config = (policy.name, policy.validation_config()) if policy else ("", {})
    champion = target_occupant(registered_model=model, stage=stage, alias=alias, excluding=version)
    with transaction.atomic():
        run = ValidationRun.objects.create(
            registered_model=model, version_number=version.version, model_version=version,
            review_request=review_request, target_stage=stage, target_alias=alias,
            champion_version_number=champion.version if champion else None, policy_name=policy_name,
            config=_config_of(config), content_hash=version_content_hash(version),
            requested_by=user_or_none(actor), requested_by_name=actor_display_name(actor),
        )
        ValidationCheck.objects.bulk_create(
            ValidationCheck(run=run, position=position, kind=planned.kind, name=planned.name, spec=planned.spec)
            for position, planned in enumerate(checks_plan(run.config), start=1)
        )
        _audit(run, AuditAction.VALIDATION_REQUESTED, actor=actor, entry_point=entry_point)
        transaction.on_commit(lambda: validation_run_dispatch(run.pk), robust=True)
    return run


def validation_run_repeat(*, run: ValidationRun, actor, entry_point: str) -> ValidationRun:
    """Run the same checks again on the same version and target, as a new run (the old one stays as history)."""
    if not run.is_finished:
        raise InvalidParameter(f"Validation run #{run.pk} is still {run.status}; repeat it once it has finished.")
    if run.model_version_id is None:
        raise InvalidParameter(f"Version {run.version_number} of validation run #{run.pk} was deleted.")
    version = ModelVersion.objects.select_related("registered_model").get(pk=run.model_version_id)
    request = run.review_request if run.review_request_id and run.review_request.is_open else None
    return validation_run_create(version=version, actor=actor, entry_point=entry_point, review_request=request,
                                 stage=run.target_stage, alias=run.target_alias)


def _policy_for(version: ModelVersion, stage: str, alias: str):
    model = version.registered_model
    if stage:
        return policy_protecting_stage(registered_model=model, stage=stage)
    if alias:
        return policy_protecting_alias(registered_model=model, alias=alias)
    return policy_effective(registered_model=model)


def _config_of(source: dict) -> dict:
    return {key: source.get(key, []) for key in ("metric_thresholds", "champion_thresholds", "validation_datasets")}


def validation_run_dispatch(run_id: int) -> bool:
    """Send the run to the workers; a broker that is down leaves it QUEUED for the dispatcher to send later."""
    sent_at = timezone.now()
    if not ValidationRun.objects.filter(pk=run_id, status=ValidationStatus.QUEUED).update(dispatched_at=sent_at):
        return False
    try:
        # By name: the task module calls this one (a signature of a registered task runs in-process when eager).
        current_app.signature(EXECUTE_VALIDATION_RUN_TASK, args=[run_id]).apply_async(retry=False)
    except Exception as error:  # kombu/redis raise many connection error types
        if current_app.conf.task_always_eager:
            raise  # in-process execution failed: that is a bug to see, not a broker to wait for
        logger.warning("Validation run #%s stays QUEUED: the broker did not take it (%s).", run_id, error)
        ValidationRun.objects.filter(pk=run_id, dispatched_at=sent_at).update(dispatched_at=None)
        return False
    return True


def validation_run_execute(*, run_id: int) -> ValidationRun | None:
    """Claim the run and execute its checks; None when another worker holds it or it is finished."""
    token = uuid.uuid4().hex
    now = timezone.now()
    claimed = ValidationRun.objects.filter(pk=run_id, status=ValidationStatus.QUEUED).update(
        status=ValidationStatus.RUNNING, claim_token=token, started_at=now, heartbeat_at=now, finished_at=None,
        deadline_at=now + timedelta(seconds=settings.VALIDATION_RUN_DEADLINE_SECONDS), attempts=F("attempts") + 1,
    )
    if not claimed:
        return None
    run = ValidationRun.objects.select_related("registered_model", "model_version__registered_model").get(pk=run_id)
    run.checks.update(status=CheckStatus.PENDING, observed="", expected="", message="", details={}, finished_at=None)
    if run.model_version is None:
        return _finish(run, token, ValidationStatus.ERROR, f"Version {run.version_number} was deleted.")
    champion = _champion_of(run)
    with _heartbeat(run.pk, token):
        context = context_open(candidate=run.model_version, champion=champion, expected_hash=run.content_hash)
        try:
            for check in run.checks.order_by("position"):
                _check_record(check, token, _check_execute(check, context))
        finally:
            context_close(context)
    statuses = list(run.checks.values_list("status", "name"))
    return _finish(run, token, *_verdict(statuses))


def _champion_of(run: ValidationRun) -> ModelVersion | None:
    if run.champion_version_number is None:
        return None
    return (ModelVersion.objects.select_related("registered_model")
            .filter(registered_model=run.registered_model, version=run.champion_version_number).first())


def _check_execute(check: ValidationCheck, context):
    try:
        return execute_check(check.kind, check.spec, context)
    except Exception as error:  # a check must end recorded, whatever broke inside it
        logger.exception("Validation check %s of run #%s raised", check.name, check.run_id)
        return CheckResult(CheckStatus.ERROR, "", "",
                           f"The check could not be executed: {type(error).__name__}: {error}")


def _check_record(check: ValidationCheck, token: str, result) -> None:
    ValidationCheck.objects.filter(pk=check.pk, run__claim_token=token).update(
        status=result.status, observed=result.observed[:500], expected=result.expected[:500], message=result.message,
        details=result.details, finished_at=timezone.now(),
    )


def _verdict(statuses: list[tuple[str, str]]) -> tuple[str, str]:
    errored = [name for status, name in statuses if status == CheckStatus.ERROR]
    failed = [name for status, name in statuses if status == CheckStatus.FAILED]
    if errored:
        return ValidationStatus.ERROR, f"{len(errored)} of {len(statuses)} checks could not be executed: " \
                                       f"{'; '.join(errored)}."
    if failed:
        return ValidationStatus.FAILED, f"{len(failed)} of {len(statuses)} checks failed: {'; '.join(failed)}."
    return ValidationStatus.PASSED, f"All {len(statuses)} checks passed."


def _finish(run: ValidationRun, token: str, status: str, summary: str) -> ValidationRun | None:
    with transaction.atomic():
        finished = ValidationRun.objects.filter(pk=run.pk, claim_token=token, status=ValidationStatus.RUNNING).update(
            status=status, summary=summary, finished_at=timezone.now())
        if not finished:
            return None  # the sweeper or the dispatcher took the run back meanwhile
        run.refresh_from_db()
        _audit(run, AuditAction.VALIDATION_FINISHED, actor=None, entry_point=EntryPoint.SYSTEM, summary=summary)
    _after_finished(run)
    return run


def _after_finished(run: ValidationRun) -> None:
    """Tell the review request (its service listens): apply it when its quorum is in and this run passed."""
    validation_run_finished.send(sender=ValidationRun, run=run)


class _heartbeat:
    """Refresh the run's heartbeat from a thread while the checks (and their sandboxes) run."""

    def __init__(self, run_id: int, token: str):
        self.run_id, self.token = run_id, token
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"validation-heartbeat-{run_id}", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stopped.set()
        self.thread.join()

    def _beat(self) -> None:
        try:
            while not self.stopped.wait(settings.VALIDATION_HEARTBEAT_SECONDS):
                ValidationRun.objects.filter(pk=self.run_id, claim_token=self.token).update(heartbeat_at=timezone.now())
        finally:
            connection.close()


def validation_runs_dispatch_pending() -> dict:
    """Beat: queue again runs whose worker went silent, then send every QUEUED run not (recently) sent."""
    now = timezone.now()
    silent_since = now - timedelta(seconds=settings.VALIDATION_HEARTBEAT_TIMEOUT_SECONDS)
    requeued = gave_up = 0
    for run in ValidationRun.objects.filter(status=ValidationStatus.RUNNING, heartbeat_at__lt=silent_since):
        if run.attempts >= settings.VALIDATION_MAX_ATTEMPTS:
            gave_up += bool(_finish(run, run.claim_token, ValidationStatus.ERROR,
                                    f"The worker executing it was lost {run.attempts} times; giving up."))
        else:
            requeued += ValidationRun.objects.filter(pk=run.pk, claim_token=run.claim_token,
                                                     status=ValidationStatus.RUNNING).update(
                status=ValidationStatus.QUEUED, claim_token="", dispatched_at=None)
    resend_before = now - timedelta(seconds=settings.VALIDATION_REDISPATCH_AFTER_SECONDS)
    pending = ValidationRun.objects.filter(status=ValidationStatus.QUEUED).filter(
        Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=resend_before)).order_by("created_at")
    sent = sum(validation_run_dispatch(run_id) for run_id in pending.values_list("pk", flat=True)[:500])
    return {"requeued": requeued, "gave_up": gave_up, "sent": sent}


def validation_runs_sweep() -> int:
    """Beat: fail runs still RUNNING past their deadline, with a message that says so."""
    swept = 0
    for run in ValidationRun.objects.filter(status=ValidationStatus.RUNNING, deadline_at__lt=timezone.now()):
        limit = settings.VALIDATION_RUN_DEADLINE_SECONDS
        swept += bool(_finish(run, run.claim_token, ValidationStatus.ERROR,
                              f"Did not finish within its deadline ({limit} s after a worker started it at "
                              f"{run.started_at:%Y-%m-%d %H:%M:%S} UTC); repeat it once the cause is fixed."))
    return swept


def _audit(run: ValidationRun, action: str, *, actor, entry_point: str, **details) -> None:
    model_name = run.registered_model.name
    audit_record(action=action, actor=actor, entry_point=entry_point, object_type="validation_run",
                 object_id=str(run.pk), registered_model_name=model_name,
                 details={"version": run.version_number, "target": run.target_label, "status": run.status,
                          "review_request": run.review_request_id, "content_hash": run.content_hash, **details})
