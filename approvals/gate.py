"""The approvals app's answers to models_app's governance questions: permissions and the promotion gate."""
import json

from django.db.models import Q

from models_app.choices import AuditAction, EntryPoint, Stage
from models_app.exceptions import PermissionDenied
from models_app.governance import AliasChange, Governance, PermissionLevel, StageChange
from models_app.models import ModelVersion, RegisteredModel
from models_app.services.artifacts import ARTIFACT_URI_SCHEME
from models_app.services.audit import audit_record

from .choices import RESERVED_TAG_KEYS, ReviewRequestStatus
from .models import ApprovalPolicy, ReviewRequest
from .selectors import (
    is_registry_admin,
    latest_validation_statuses,
    open_review_request_counts,
    policy_effective,
    policy_protecting_alias,
    policy_protecting_stage,
    readable_models_filter,
    validation_blocker,
    version_content_hash,
)
from .services.permissions import permission_grant_creator, permission_require
from .services.supersession import (
    review_requests_supersede_after_alias_change,
    review_requests_supersede_after_stage_change,
    review_requests_supersede_for_deleted_version,
)


class ApprovalsGovernance(Governance):
    """Registered from ApprovalsConfig.ready(); every registry service asks it before writing."""

    def authorize(self, *, actor, registered_model, level: PermissionLevel) -> None:
        permission_require(actor=actor, registered_model=registered_model, level=level)

    def readable_models_filter(self, actor) -> Q | None:
        return readable_models_filter(actor)

    def check_stage_change(self, change: StageChange) -> None:
        version = change.version
        policy = policy_protecting_stage(registered_model=version.registered_model, stage=change.to_stage)
        if policy is not None:
            _gate(policy, version=version, stage=change.to_stage, alias="", change=change)

    def check_alias_change(self, change: AliasChange) -> None:
        if change.version is None:
            return  # removing an alias is moving out of it: the permission level is enough
        policy = policy_protecting_alias(registered_model=change.registered_model, alias=change.alias)
        if policy is not None:
            _gate(policy, version=change.version, stage="", alias=change.alias, change=change)

    def check_tag_write(self, *, actor, entry_point: str, key: str, registered_model) -> None:
        # Reserved only where a policy governs the model: ungoverned MLflow workflows set approved_by themselves.
        if key not in RESERVED_TAG_KEYS or entry_point == EntryPoint.REVIEW_REQUEST:
            return
        if policy_effective(registered_model=registered_model) is not None:
            raise PermissionDenied(f"Tag '{key}' is reserved: the registry writes it when a review request is applied.")

    def check_artifact_write(self, *, actor, path: str) -> None:
        policies: dict[int, ApprovalPolicy | None] = {}
        for version in _versions_stored_at(path):
            model = version.registered_model
            if model.pk not in policies:
                policies[model.pk] = policy_effective(registered_model=model)
            reason = _protection_of(version, policies[model.pk])
            if reason:
                raise PermissionDenied(f"Artifacts of {model.name} v{version.version} are immutable while {reason}.")

    def version_verdicts(self, versions: list) -> dict[int, str]:
        return latest_validation_statuses(versions)

    def pending_review_counts(self, registered_models: list) -> dict[int, int]:
        return open_review_request_counts(registered_models)

    def on_registered_model_created(self, *, registered_model: RegisteredModel, actor) -> None:
        permission_grant_creator(registered_model=registered_model, actor=actor, entry_point=EntryPoint.SYSTEM)

    def on_stage_changed(self, change: StageChange) -> None:
        review_requests_supersede_after_stage_change(change)

    def on_alias_changed(self, change: AliasChange) -> None:
        review_requests_supersede_after_alias_change(change)

    def on_model_version_deleting(self, *, version: ModelVersion, actor, entry_point: str) -> None:
        review_requests_supersede_for_deleted_version(version, actor=actor, entry_point=entry_point)


def _gate(policy: ApprovalPolicy, *, version: ModelVersion, stage: str, alias: str, change) -> None:
    """Let the change through with an approved request for exactly it, or an audited superuser bypass."""
    if change.review_request_id is not None:
        _approved_request_check(change.review_request_id, version=version, stage=stage, alias=alias)
    elif change.force_reason.strip():
        _bypass(policy, version=version, target=stage or f"@{alias}", change=change)
    else:
        raise PermissionDenied(_protected_message(policy, version=version, stage=stage, alias=alias))


def _approved_request_check(request_id: int, *, version: ModelVersion, stage: str, alias: str) -> None:
    model_name = version.registered_model.name
    move = f"moving {model_name} v{version.version} to {stage or '@' + alias}"
    request = ReviewRequest.objects.filter(pk=request_id).first()
    if request is None or (request.model_version_id, request.target_stage, request.target_alias) != (
        version.pk, stage, alias
    ):
        raise PermissionDenied(f"Review request #{request_id} does not approve {move}.")
    if request.status != ReviewRequestStatus.APPROVED:
        raise PermissionDenied(
            f"Review request #{request_id} is {request.status}, not APPROVED; it cannot allow {move}."
        )
    content_hash = version_content_hash(version)
    if content_hash != request.content_hash:
        raise PermissionDenied(
            f"The artifacts of {model_name} v{version.version} changed after review request #{request_id} was opened; "
            "the approval no longer applies. Open a new review request."
        )
    if request.policy_snapshot.get("require_validation"):
        reason = validation_blocker(request, content_hash=content_hash)
        if reason:
            raise PermissionDenied(f"Review request #{request_id} cannot be applied: {reason}.")


def _bypass(policy: ApprovalPolicy, *, version: ModelVersion, target: str, change) -> None:
    actor = change.actor
    if actor is not None and not is_registry_admin(actor):
        raise PermissionDenied(
            f"Only staff superusers can bypass policy '{policy.name}' with a force reason; ask for a review instead."
        )
    model_name = version.registered_model.name
    audit_record(action=AuditAction.GATE_BYPASSED, actor=actor, entry_point=change.entry_point,
                 object_type="model_version", object_id=f"{model_name}/{version.version}",
                 registered_model_name=model_name,
                 details={"policy": policy.name, "version": version.version, "target": target,
                          "force_reason": change.force_reason.strip()})


def _protected_message(policy: ApprovalPolicy, *, version: ModelVersion, stage: str, alias: str) -> str:
    model_name = version.registered_model.name
    if policy.approver_group_id:
        approvers = f"group '{policy.approver_group.name}'"
    else:
        level = "CAN_MANAGE_STAGING_VERSIONS" if stage == Stage.STAGING else "CAN_MANAGE_PRODUCTION_VERSIONS"
        approvers = f"users with {level} on the model"
    what = f"stage {stage}" if stage else f"alias @{alias}"
    move = "moving version {n} there" if stage else "pointing it at version {n}"
    body = {"model": model_name, "version": version.version, **({"stage": stage} if stage else {"alias": alias})}
    message = (
        f"Policy '{policy.name}' protects {what} of model '{model_name}': {move.format(n=version.version)} needs "
        f"{policy.required_approvals} approval(s) from {approvers}. Open a review request: "
        f"POST /api/v1/review-requests/ with {json.dumps(body)}."
    )
    if policy.require_validation:
        message += " The policy also requires a passed validation run, which opening the request starts."
    return message


def _versions_stored_at(path: str):
    """Versions in an active stage or behind an alias whose files are at, above or below `path`."""
    parts = path.split("/")
    uris = [f"{ARTIFACT_URI_SCHEME}/{'/'.join(parts[:end])}" for end in range(1, len(parts) + 1)]
    located = Q(storage_location__in=uris) | Q(storage_location__startswith=f"{ARTIFACT_URI_SCHEME}/{path}/")
    exposed = Q(stage__in=[Stage.STAGING, Stage.PRODUCTION]) | Q(aliases__isnull=False)
    return (ModelVersion.objects.filter(located).filter(exposed).distinct()
            .select_related("registered_model").prefetch_related("aliases"))


def _protection_of(version: ModelVersion, policy: ApprovalPolicy | None) -> str:
    if policy is None:
        return ""
    if policy.protects_stage(version.stage):
        return f"it is in {version.stage}"
    for alias in version.aliases.all():
        if policy.protects_alias(alias.alias):
            return f"alias @{alias.alias} points to it"
    return ""
