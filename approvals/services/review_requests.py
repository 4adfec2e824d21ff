"""Review requests: asking for a promotion into a protected stage or alias, reviewing, applying."""
from django.db import IntegrityError, transaction
from django.utils import timezone

from models_app.choices import AuditAction, EntryPoint
from models_app.exceptions import AlreadyExists, InvalidParameter, InvalidState, PermissionDenied
from models_app.governance import PermissionLevel
from models_app.models import ModelVersion
from models_app.services.audit import actor_display_name
from models_app.services.common import registered_model_lock, user_or_none
from models_app.services.registry import model_version_set_tag
from models_app.services.stages import (
    alias_validate,
    model_version_transition_stage,
    registered_model_alias_set,
    stage_parse,
)

from ..choices import ReviewDecision, ReviewRequestStatus, ValidationStatus
from ..models import Review, ReviewRequest
from ..selectors import (
    is_registry_admin,
    policy_protecting_alias,
    policy_protecting_stage,
    review_request_approvers,
    review_request_open_for,
    validation_blocker,
    validation_run_latest,
    version_content_hash,
)
from .common import review_request_audit, review_request_supersede
from .permissions import permission_require
from .validation import validation_run_create


def review_request_create(*, version: ModelVersion, actor, entry_point: str, stage: str | None = None,
                          alias: str | None = None, comment: str = "") -> ReviewRequest:
    """Ask for `version` to be moved into a protected stage or behind a protected alias (needs CAN_READ).

    Steps: check the requester and the target; find the policy protecting it (none: say to move it
    directly); refuse a second open request for the same version and target; record the policy
    settings and the artifacts' content hash as they are now.
    """
    model = version.registered_model
    if actor is not None and not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("Review requests must come from a signed-in user.")
    permission_require(actor=actor, registered_model=model, level=PermissionLevel.CAN_READ,
                       purpose="asking for a review")
    target_stage, target_alias = _target_parse(stage, alias)
    policy = _policy_for_target(version, target_stage, target_alias)
    _refuse_pointless(version, target_stage, target_alias)
    content_hash = version_content_hash(version)
    try:
        with transaction.atomic():
            request = ReviewRequest.objects.create(
                registered_model=model, version_number=version.version, model_version=version,
                target_stage=target_stage, target_alias=target_alias, version_stage_at_request=version.stage,
                requester=user_or_none(actor), requester_name=actor_display_name(actor), comment=comment or "",
                policy=policy, policy_snapshot=policy.snapshot(), content_hash=content_hash,
            )
            review_request_audit(request, AuditAction.REVIEW_REQUESTED, actor=actor, entry_point=entry_point,
                                 comment=request.comment)
            # Evidence for the reviewers, and the condition of applying where the policy requires validation.
            validation_run_create(version=version, actor=actor, entry_point=entry_point, review_request=request)
    except IntegrityError:
        raise _already_open(version, target_stage, target_alias) from None
    return request


def _target_parse(stage, alias) -> tuple[str, str]:
    if bool(stage) == bool(alias):
        raise InvalidParameter("A review request targets exactly one of 'stage' or 'alias'.")
    return (stage_parse(stage).value, "") if stage else ("", alias_validate(alias))


def _policy_for_target(version: ModelVersion, stage: str, alias: str):
    model = version.registered_model
    if stage:
        policy = policy_protecting_stage(registered_model=model, stage=stage)
        if policy is None:
            raise InvalidParameter(f"No policy protects {stage} for model '{model.name}'; transition it directly.")
    else:
        policy = policy_protecting_alias(registered_model=model, alias=alias)
        if policy is None:
            raise InvalidParameter(f"No policy protects alias @{alias} for model '{model.name}'; set it directly.")
    return policy


def _refuse_pointless(version: ModelVersion, stage: str, alias: str) -> None:
    model = version.registered_model
    if stage and version.stage == stage:
        raise InvalidState(f"Version {version.version} of model '{model.name}' is already in {stage}.")
    if alias and version.aliases.filter(alias=alias).exists():
        raise InvalidState(f"Alias @{alias} of model '{model.name}' already points to version {version.version}.")
    if review_request_open_for(version=version, stage=stage, alias=alias) is not None:
        raise _already_open(version, stage, alias)


def _already_open(version, stage, alias) -> AlreadyExists:
    existing = review_request_open_for(version=version, stage=stage, alias=alias)
    number = f" (#{existing.pk})" if existing else ""
    return AlreadyExists(
        f"An open review request{number} already asks to move version {version.version} of model "
        f"'{version.registered_model.name}' to {stage or '@' + alias}."
    )


def review_request_approve(*, request: ReviewRequest, actor, entry_point: str, comment: str = "") -> ReviewRequest:
    """Record an approval; the one that reaches the quorum applies the change, in the same transaction.

    The model row, then the request row, are locked before the status is read again, so two
    approvers deciding at the same instant are serialised and the change is applied once.
    """
    _reviewer_check(request, actor)
    content_hash = _content_hash_still_matching(request, actor=actor, entry_point=entry_point)
    with transaction.atomic():
        request = _lock_pending(request)
        _review_record(request, actor=actor, decision=ReviewDecision.APPROVE, comment=comment,
                       content_hash=content_hash)
        review_request_audit(request, AuditAction.REVIEW_APPROVED, actor=actor, entry_point=entry_point,
                             comment=comment)
        approvals = request.reviews.filter(decision=ReviewDecision.APPROVE).count()
        if approvals >= request.policy_snapshot["required_approvals"]:
            _quorum_reached(request, actor=actor, entry_point=entry_point)
    return request


def review_request_reject(*, request: ReviewRequest, actor, entry_point: str, comment: str = "") -> ReviewRequest:
    """One rejection ends the request."""
    _reviewer_check(request, actor)
    content_hash = version_content_hash(request.model_version) if request.model_version_id else ""
    with transaction.atomic():
        request = _lock_pending(request, allowed=(ReviewRequestStatus.PENDING, ReviewRequestStatus.APPROVED))
        _review_record(request, actor=actor, decision=ReviewDecision.REJECT, comment=comment,
                       content_hash=content_hash)
        _status_set(request, ReviewRequestStatus.REJECTED, decided=True)
        review_request_audit(request, AuditAction.REVIEW_REJECTED, actor=actor, entry_point=entry_point,
                             comment=comment)
    return request


def review_request_cancel(*, request: ReviewRequest, actor, entry_point: str, comment: str = "") -> ReviewRequest:
    """The requester, or someone who manages the model, withdraws an open request."""
    is_requester = actor is not None and request.requester_id is not None and request.requester_id == actor.pk
    if not is_requester:
        permission_require(actor=actor, registered_model=request.registered_model, level=PermissionLevel.CAN_MANAGE,
                           purpose="cancelling someone else's review request")
    with transaction.atomic():
        request = _lock_pending(request, allowed=(ReviewRequestStatus.PENDING, ReviewRequestStatus.APPROVED))
        _status_set(request, ReviewRequestStatus.CANCELLED, decided=True)
        review_request_audit(request, AuditAction.REVIEW_CANCELLED, actor=actor, entry_point=entry_point,
                             comment=comment)
    return request


def approval_level_for(request: ReviewRequest) -> PermissionLevel:
    """The manage level a reviewer needs: Staging's for Staging, Production's for Production and aliases."""
    if request.target_stage == "Staging":
        return PermissionLevel.CAN_MANAGE_STAGING_VERSIONS
    return PermissionLevel.CAN_MANAGE_PRODUCTION_VERSIONS


def _reviewer_check(request: ReviewRequest, actor) -> None:
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("Reviews must come from a signed-in user.")
    snapshot = request.policy_snapshot
    group_id = snapshot.get("approver_group_id")
    if group_id and not is_registry_admin(actor) and not actor.groups.filter(pk=group_id).exists():
        raise PermissionDenied(
            f"Only members of group '{snapshot['approver_group']}' may review requests under policy "
            f"'{snapshot['name']}'; user '{actor.get_username()}' is not one."
        )
    permission_require(actor=actor, registered_model=request.registered_model, level=approval_level_for(request),
                       purpose=f"reviewing a move into {request.target_label}")
    if request.requester_id == actor.pk and not snapshot["allow_self_approval"]:
        raise PermissionDenied(
            f"Separation of duties: you requested this promotion and policy '{snapshot['name']}' does not allow "
            "self-approval."
        )


def _content_hash_still_matching(request: ReviewRequest, *, actor, entry_point: str) -> str:
    """Hash the artifacts now (outside any lock: reading files takes time); a change voids the request."""
    if request.model_version_id is None:
        raise InvalidState(f"Version {request.version_number} of review request #{request.pk} was deleted.")
    content_hash = version_content_hash(request.model_version)
    if content_hash != request.content_hash:
        reason = (f"the artifacts of version {request.version_number} changed after the request was opened "
                  f"(content hash {request.content_hash[:12]} -> {content_hash[:12]})")
        with transaction.atomic():
            locked = _lock_pending(request, allowed=(ReviewRequestStatus.PENDING, ReviewRequestStatus.APPROVED))
            review_request_supersede(locked, reason=reason, actor=actor, entry_point=entry_point)
        raise InvalidState(f"Review request #{request.pk} no longer applies: {reason}. Open a new review request.")
    return content_hash


def _lock_pending(request: ReviewRequest, *, allowed=(ReviewRequestStatus.PENDING,)) -> ReviewRequest:
    registered_model_lock(request.registered_model.name)
    locked = ReviewRequest.objects.select_for_update().select_related("registered_model").get(pk=request.pk)
    if locked.status not in allowed:
        raise InvalidState(
            f"Review request #{locked.pk} is {locked.status}; this needs a request that is "
            f"{' or '.join(allowed)}."
        )
    return locked


def _review_record(request: ReviewRequest, *, actor, decision: str, comment: str, content_hash: str) -> Review:
    earlier = request.reviews.filter(reviewer=actor).first()
    if earlier is not None:
        raise AlreadyExists(f"You already reviewed request #{request.pk} ({earlier.decision}); each reviewer "
                            "decides once.")
    return Review.objects.create(request=request, reviewer=actor, reviewer_name=actor.get_username(),
                                 decision=decision, comment=comment or "", content_hash=content_hash)


def _status_set(request: ReviewRequest, status: str, *, decided: bool = False, message: str = "") -> None:
    request.status = status
    request.status_message = message
    fields = ["status", "status_message"]
    if decided:
        request.decided_at = timezone.now()
        fields.append("decided_at")
    request.save(update_fields=fields)


def _quorum_reached(request: ReviewRequest, *, actor, entry_point: str) -> None:
    blocker = _validation_blocker(request)
    _status_set(request, ReviewRequestStatus.APPROVED, decided=True,
                message=f"Approved; waiting: {blocker}." if blocker else "")
    if not blocker:
        review_request_apply(request=request, actor=actor)


def _validation_blocker(request: ReviewRequest) -> str:
    if not request.policy_snapshot.get("require_validation"):
        return ""
    return validation_blocker(request, content_hash=request.content_hash)


def review_request_validation_finished(*, request_id: int, run) -> None:
    """A validation run of the request finished: apply the request if it only waited for this, or say what blocks it.

    Only the request's latest run counts; applying happens as the system, on the approvers' decision.
    """
    request = ReviewRequest.objects.select_related("registered_model").get(pk=request_id)
    if not request.is_open:
        return
    if request.status == ReviewRequestStatus.APPROVED and run.status == ValidationStatus.PASSED:
        try:
            _content_hash_still_matching(request, actor=None, entry_point=EntryPoint.SYSTEM)
        except InvalidState:
            return  # superseded, with the reason recorded on the request
    with transaction.atomic():
        registered_model_lock(request.registered_model.name)
        request = ReviewRequest.objects.select_for_update().select_related("registered_model").get(pk=request_id)
        latest = validation_run_latest(review_request=request)
        if not request.is_open or latest is None or latest.pk != run.pk:
            return
        blocker = _validation_blocker(request)
        if request.status == ReviewRequestStatus.APPROVED and not blocker:
            review_request_apply(request=request, actor=None)
            return
        verdict = f"Validation run #{run.pk} {run.status}: {run.summary}"
        message = f"Approved; waiting: {blocker}." if request.status == ReviewRequestStatus.APPROVED else verdict
        _status_set(request, request.status, message=message)


def review_request_apply(*, request: ReviewRequest, actor) -> ReviewRequest:
    """Make the approved change through the registry's one writer, then tag the version with the evidence."""
    version = ModelVersion.objects.select_related("registered_model").get(pk=request.model_version_id)
    reason = f"review request #{request.pk}"
    with transaction.atomic():
        if request.target_stage:
            model_version_transition_stage(
                version=version, to_stage=request.target_stage, actor=actor, entry_point=EntryPoint.REVIEW_REQUEST,
                archive_existing=request.policy_snapshot["archive_previous"], review_request_id=request.pk,
                reason=reason)
        else:
            registered_model_alias_set(
                registered_model=version.registered_model, alias=request.target_alias, version_number=version.version,
                actor=actor, entry_point=EntryPoint.REVIEW_REQUEST, review_request_id=request.pk)
        request.applied_at = timezone.now()
        request.save(update_fields=["applied_at"])
        _status_set(request, ReviewRequestStatus.APPLIED)
        approvers = review_request_approvers(request)
        for key, value in (("approved_by", ",".join(approvers)), ("approved_at", request.applied_at.isoformat()),
                           ("review_request", str(request.pk))):
            model_version_set_tag(version=version, key=key, value=value, actor=actor,
                                  entry_point=EntryPoint.REVIEW_REQUEST)
        review_request_audit(request, AuditAction.REVIEW_APPLIED, actor=actor, entry_point=EntryPoint.REVIEW_REQUEST,
                             approvers=approvers)
    return request
