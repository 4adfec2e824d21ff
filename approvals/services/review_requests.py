"""Review requests: asking for a governed change (entering or leaving a protected stage or alias, deleting or
renaming what a policy governs), reviewing it, applying it."""
from django.db import IntegrityError, transaction
from django.utils import timezone

from models_app.choices import ARCHIVE_EXISTING_ALLOWED_STAGES, AuditAction, EntryPoint
from models_app.exceptions import AlreadyExists, InvalidParameter, InvalidState, PermissionDenied
from models_app.governance import PermissionLevel
from models_app.models import ModelVersion, RegisteredModel
from models_app.services.audit import actor_display_name
from models_app.services.common import comment_limit, registered_model_lock, user_or_none
from models_app.services.registry import (
    model_version_delete,
    model_version_set_tag,
    registered_model_delete,
    registered_model_name_available,
    registered_model_rename,
)
from models_app.services.stages import (
    alias_validate,
    model_version_transition_stage,
    registered_model_alias_delete,
    registered_model_alias_set,
    stage_parse,
)

from ..choices import MODEL_LEVEL_ACTIONS, ReviewAction, ReviewDecision, ReviewRequestStatus, ValidationStatus
from ..models import Review, ReviewRequest, change_label
from ..selectors import (
    approval_level,
    is_registry_admin,
    policy_effective,
    policy_for_name,
    review_request_approvers,
    review_request_evidence,
    review_request_open_for,
    validation_blocker,
    validation_run_latest,
    version_content_hash,
    version_protection,
)
from .common import review_request_audit, review_request_supersede
from .permissions import permission_require
from .validation import validation_run_create


def review_request_create(*, actor, entry_point: str, version: ModelVersion | None = None,
                          registered_model: RegisteredModel | None = None, action: str = ReviewAction.MOVE,
                          stage: str | None = None, alias: str | None = None, new_name: str = "",
                          comment: str = "") -> ReviewRequest:
    """Ask for a governed change (needs CAN_READ on the model; the reviewers' level decides).

    - MOVE: `version` into `stage` (entering it, or leaving a protected stage for it) or behind `alias`;
    - REMOVE_ALIAS: remove `alias` (from the version it points to now);
    - DELETE_VERSION: delete `version`; DELETE_MODEL: delete the model; RENAME_MODEL: rename it to `new_name`.

    Steps: check the requester and the change; find the policy governing it (none: say to do it directly);
    refuse a second open request for the same change; record the policy settings and, for entries, the
    artifacts' content hash as they are now and start the validation run the reviewers look at.
    """
    action = _action_parse(action)
    comment = comment_limit(comment)
    model = version.registered_model if version is not None else registered_model
    if model is None:
        raise InvalidParameter("A review request names a model version, or a model for model-level changes.")
    if actor is not None and not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("Review requests must come from a signed-in user.")
    permission_require(actor=actor, registered_model=model, level=PermissionLevel.CAN_READ,
                       purpose="asking for a review")
    plan = _plan(action, model=model, version=version, stage=stage, alias=alias, new_name=new_name)
    _refuse_already_open(plan)
    request = ReviewRequest(
        registered_model=model, action=action, model_version=plan.version,
        version_number=plan.version.version if plan.version else None, target_stage=plan.stage,
        target_alias=plan.alias, new_name=plan.new_name,
        version_stage_at_request=plan.version.stage if plan.version else "",
        requester=user_or_none(actor), requester_name=actor_display_name(actor), comment=comment or "",
        policy=plan.policy, policy_snapshot=plan.policy.snapshot(),
    )
    if request.is_entry:
        request.content_hash = version_content_hash(plan.version)
        request.evidence = review_request_evidence(version=plan.version, stage=plan.stage, alias=plan.alias)
    try:
        with transaction.atomic():
            request.save()
            review_request_audit(request, AuditAction.REVIEW_REQUESTED, actor=actor, entry_point=entry_point,
                                 comment=request.comment)
            if request.is_entry:
                # Evidence for the reviewers, and the condition of applying where the policy requires validation.
                validation_run_create(version=plan.version, actor=actor, entry_point=entry_point,
                                      review_request=request)
    except IntegrityError:
        raise _already_open(plan) from None
    return request


class _Plan:
    """A requested change, checked: its policy, its version and its target."""

    def __init__(self, *, action, model, policy, version=None, stage="", alias="", new_name=""):
        self.action, self.model, self.policy = action, model, policy
        self.version, self.stage, self.alias, self.new_name = version, stage, alias, new_name

    @property
    def label(self) -> str:
        return change_label(self.action, stage=self.stage, alias=self.alias, new_name=self.new_name,
                            version_number=self.version.version if self.version else None,
                            stage_at_request=self.version.stage if self.version else "",
                            protected_stages=self.policy.protected_stages)


def _action_parse(action) -> ReviewAction:
    try:
        return ReviewAction(action)
    except ValueError:
        raise InvalidParameter(f"Invalid review request action: {action!r}. Use one of "
                               f"{', '.join(ReviewAction.values)}.") from None


def _plan(action: ReviewAction, *, model, version, stage, alias, new_name) -> _Plan:
    policy = policy_effective(registered_model=model)
    if action in MODEL_LEVEL_ACTIONS:
        if stage or alias or version is not None:
            raise InvalidParameter(f"A '{action.value}' request is about the model: give no version, stage or alias.")
        if action == ReviewAction.RENAME_MODEL:
            new_name = registered_model_name_available(new_name, besides=model)
            policy = policy or policy_for_name(new_name)
        if policy is None:
            raise InvalidParameter(f"No policy governs model '{model.name}'; {action.label.lower()} directly.")
        return _Plan(action=action, model=model, policy=policy, new_name=new_name)
    if action == ReviewAction.REMOVE_ALIAS:
        alias = alias_validate(alias)
        holder = model.aliases.select_related("model_version").filter(alias=alias).first()
        if holder is None:
            raise InvalidState(f"Alias @{alias} of model '{model.name}' is not set.")
        if policy is None or not policy.protects_alias(alias):
            raise InvalidParameter(f"No policy protects alias @{alias} for model '{model.name}'; remove it directly.")
        return _Plan(action=action, model=model, policy=policy, version=holder.model_version, alias=alias)
    if version is None:
        raise InvalidParameter(f"A '{action.value}' request names a version.")
    if action == ReviewAction.DELETE_VERSION:
        if not version_protection(version, policy):
            raise InvalidParameter(f"Version {version.version} of model '{model.name}' holds no protected stage or "
                                   "alias; delete it directly.")
        return _Plan(action=action, model=model, policy=policy, version=version)
    stage, alias = _target_parse(stage, alias)
    if stage and alias:
        return _plan_stage_and_alias(model=model, policy=policy, version=version, stage=stage, alias=alias)
    if stage:
        if policy is None or not (policy.protects_stage(stage) or policy.protects_stage(version.stage)):
            leaving = (f" (nor {version.stage}, which version {version.version} is in)"
                       if version.stage in ARCHIVE_EXISTING_ALLOWED_STAGES else "")
            raise InvalidParameter(f"No policy protects {stage}{leaving} for model '{model.name}'; "
                                   "transition it directly.")
        if version.stage == stage:
            raise InvalidState(f"Version {version.version} of model '{model.name}' is already in {stage}.")
    else:
        if policy is None or not policy.protects_alias(alias):
            raise InvalidParameter(f"No policy protects alias @{alias} for model '{model.name}'; set it directly.")
        if version.aliases.filter(alias=alias).exists():
            raise InvalidState(f"Alias @{alias} of model '{model.name}' already points to version {version.version}.")
    return _Plan(action=action, model=model, policy=policy, version=version, stage=stage, alias=alias)


def _plan_stage_and_alias(*, model, policy, version, stage: str, alias: str) -> _Plan:
    """One request for a stage and an alias together (Production + @champion): the policy must protect both, and
    the version must not hold either yet (ask for the other one alone)."""
    uncovered = [target for target, covered in ((stage, policy is not None and policy.protects_stage(stage)),
                                                (f"@{alias}", policy is not None and policy.protects_alias(alias)))
                 if not covered]
    if uncovered:
        raise InvalidParameter(
            f"A request for a stage and an alias together needs a policy protecting both; "
            f"{' and '.join(uncovered)} of model '{model.name}' {'is' if len(uncovered) == 1 else 'are'} not "
            "protected. Change what is unprotected directly and ask for the other alone.")
    if version.stage == stage:
        raise InvalidState(f"Version {version.version} of model '{model.name}' is already in {stage}; "
                           f"ask for @{alias} alone.")
    if version.aliases.filter(alias=alias).exists():
        raise InvalidState(f"Alias @{alias} of model '{model.name}' already points to version {version.version}; "
                           f"ask for {stage} alone.")
    return _Plan(action=ReviewAction.MOVE, model=model, policy=policy, version=version, stage=stage, alias=alias)


def _target_parse(stage, alias) -> tuple[str, str]:
    if not stage and not alias:
        raise InvalidParameter("A review request targets a 'stage', an 'alias', or both (e.g. Production and "
                               "champion).")
    return (stage_parse(stage).value if stage else "", alias_validate(alias) if alias else "")


def _refuse_already_open(plan: _Plan) -> None:
    if _open_like(plan) is not None:
        raise _already_open(plan)


def _open_like(plan: _Plan) -> ReviewRequest | None:
    return review_request_open_for(registered_model=plan.model, version=plan.version, action=plan.action,
                                   stage=plan.stage, alias=plan.alias)


def _already_open(plan: _Plan) -> AlreadyExists:
    existing = _open_like(plan)
    number = f" (#{existing.pk})" if existing else ""
    subject = f"version {plan.version.version}" if plan.version is not None else "the model"
    return AlreadyExists(f"An open review request{number} already asks for {plan.label} on {subject} of model "
                         f"'{plan.model.name}'.")


def review_request_approve(*, request: ReviewRequest, actor, entry_point: str, comment: str = "") -> ReviewRequest:
    """Record an approval; the one that reaches the quorum applies the change, in the same transaction.

    The model row, then the request row, are locked before the status is read again, so two
    approvers deciding at the same instant are serialised and the change is applied once.
    """
    comment = comment_limit(comment)
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
    comment = comment_limit(comment)
    _reviewer_check(request, actor)
    content_hash = version_content_hash(request.model_version) if request.is_entry and request.model_version_id else ""
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
    comment = comment_limit(comment)
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
    """The level a reviewer needs: that of the change (Staging's or Production's for moves, CAN_MANAGE to delete
    or rename)."""
    return approval_level(action=request.action, from_stage=request.version_stage_at_request,
                          to_stage=request.target_stage)


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
                       purpose=f"reviewing '{request.target_label}'")
    if request.requester_id == actor.pk and not snapshot["allow_self_approval"]:
        raise PermissionDenied(
            f"Separation of duties: you requested this change and policy '{snapshot['name']}' does not allow "
            "self-approval."
        )


def _content_hash_still_matching(request: ReviewRequest, *, actor, entry_point: str) -> str:
    """Hash the artifacts now (outside any lock: reading files takes time); a change voids the request.

    Only entries are about the files; the gate hashes them once more, under the lock, when applying."""
    if not request.is_entry:
        return ""
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
    if not request.is_entry or not request.policy_snapshot.get("require_validation"):
        return ""
    return validation_blocker(request, content_hash=request.content_hash)


def review_request_on_validation_finished(sender, *, run, **kwargs) -> None:
    """Receiver of signals.validation_run_finished (connected in ApprovalsConfig.ready)."""
    if run.review_request_id is not None:
        review_request_validation_finished(request_id=run.review_request_id, run=run)


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
    """Make the approved change through the registry's one writer for it; entries then tag the version.

    The gate checks the change once more under the model's lock. If it refuses now (the files changed between
    the approval and this moment), the request is superseded with the reason instead of the change being made.
    """
    try:
        with transaction.atomic():
            if request.action == ReviewAction.DELETE_MODEL:
                # The request's row goes with the model's: what happened stays in the audit log, recorded first.
                request.status, request.applied_at = ReviewRequestStatus.APPLIED, timezone.now()
                review_request_audit(request, AuditAction.REVIEW_APPLIED, actor=actor,
                                     entry_point=EntryPoint.REVIEW_REQUEST, approvers=review_request_approvers(request))
                _change_apply(request, actor=actor)
            else:
                _change_apply(request, actor=actor)
                _applied(request, actor=actor)
    except PermissionDenied as refusal:
        review_request_supersede(request, reason=f"it could not be applied: {refusal.message}", actor=actor,
                                 entry_point=EntryPoint.SYSTEM)
    return request


def _change_apply(request: ReviewRequest, *, actor) -> None:
    model = RegisteredModel.objects.get(pk=request.registered_model_id)
    version = (ModelVersion.objects.select_related("registered_model").get(pk=request.model_version_id)
               if request.model_version_id else None)
    governed = {"actor": actor, "entry_point": EntryPoint.REVIEW_REQUEST, "review_request_id": request.pk}
    if request.action == ReviewAction.MOVE:
        # Stage first, then the alias, in the caller's transaction: a request for both applies both or neither.
        if request.target_stage:
            model_version_transition_stage(
                version=version, to_stage=request.target_stage, reason=f"review request #{request.pk}",
                archive_existing=request.is_entry and request.policy_snapshot["archive_previous"], **governed)
        if request.target_alias:
            registered_model_alias_set(registered_model=model, alias=request.target_alias,
                                       version_number=version.version, **governed)
    elif request.action == ReviewAction.REMOVE_ALIAS:
        registered_model_alias_delete(registered_model=model, alias=request.target_alias, **governed)
    elif request.action == ReviewAction.DELETE_VERSION:
        model_version_delete(version=version, **governed)
    elif request.action == ReviewAction.DELETE_MODEL:
        registered_model_delete(registered_model=model, **governed)
    else:
        registered_model_rename(registered_model=model, new_name=request.new_name, **governed)


def _applied(request: ReviewRequest, *, actor) -> None:
    request.applied_at = timezone.now()
    request.save(update_fields=["applied_at"])
    _status_set(request, ReviewRequestStatus.APPLIED)
    approvers = review_request_approvers(request)
    if request.is_entry:
        version = ModelVersion.objects.select_related("registered_model").get(pk=request.model_version_id)
        for key, value in (("approved_by", ",".join(approvers)), ("approved_at", request.applied_at.isoformat()),
                           ("review_request", str(request.pk))):
            model_version_set_tag(version=version, key=key, value=value, actor=actor,
                                  entry_point=EntryPoint.REVIEW_REQUEST)
    review_request_audit(request, AuditAction.REVIEW_APPLIED, actor=actor, entry_point=EntryPoint.REVIEW_REQUEST,
                         approvers=approvers)
