"""The approvals app's answers to models_app's governance questions: permissions and the gate.

The gate governs entering and leaving alike: a change into or out of a protected stage or alias, the deletion
of a governed version or model, the rename of a governed model each need an APPROVED review request for exactly
that change, or a governance admin's break-glass with a reason (audited). Every check runs under the model's
row lock, inside the transaction that applies the change, so what it saw is what gets applied.
"""
import json

from django.db.models import Q

from models_app.choices import AuditAction, EntryPoint
from models_app.exceptions import PermissionDenied
from models_app.governance import (
    AliasChange,
    ExperimentLevel,
    Governance,
    ModelChange,
    ModelChangeKind,
    PermissionLevel,
    Protection,
    StageChange,
)
from models_app.models import ModelVersion, RegisteredModel
from models_app.naming import name_normalize
from models_app.services.artifacts import artifact_path_lock, artifact_uri_to_path, model_versions_stored_at
from models_app.services.audit import actor_display_name, audit_record

from .audit_links import audit_object_url
from .choices import OPEN_REVIEW_STATUSES, RESERVED_TAG_KEYS, ReviewAction, ReviewRequestStatus
from .deployment_jobs import deployment_job_ids, deployment_job_states
from .models import ApprovalPolicy, ReviewRequest
from .notifications import notifications_for
from .selectors import (
    approval_level,
    is_governance_admin,
    latest_validation_statuses,
    open_review_request_counts,
    policy_effective,
    policy_for_name,
    readable_experiments_filter,
    readable_models_filter,
    validation_blocker,
    version_content_hash,
    version_protection,
)
from .services.common import review_request_supersede
from .services.experiment_permissions import experiment_permission_grant_creator, experiment_permission_require
from .services.permissions import permission_grant_creator, permission_require
from .services.review_requests import review_request_create
from .services.supersession import (
    review_requests_supersede_after_alias_change,
    review_requests_supersede_after_stage_change,
    review_requests_supersede_for_deleted_model,
    review_requests_supersede_for_deleted_version,
)
from .services.webhooks import webhook_events_record

_RESERVED_TAG_KEYS_NORMALIZED = frozenset(name_normalize(key) for key in RESERVED_TAG_KEYS)
API_HINT = "POST /api/v1/review-requests/ with"


class ApprovalsGovernance(Governance):
    """Registered from ApprovalsConfig.ready(); every registry service asks it before writing."""

    def authorize(self, *, actor, registered_model, level: PermissionLevel) -> None:
        permission_require(actor=actor, registered_model=registered_model, level=level)

    def readable_models_filter(self, actor) -> Q | None:
        return readable_models_filter(actor)

    def authorize_experiment(self, *, actor, experiment, level: ExperimentLevel) -> None:
        experiment_permission_require(actor=actor, experiment=experiment, level=level)

    def readable_experiments_filter(self, actor) -> Q | None:
        return readable_experiments_filter(actor)

    def sees_whole_audit_log(self, actor) -> bool:
        return actor is None or is_governance_admin(actor)

    def on_experiment_created(self, *, experiment, actor) -> None:
        experiment_permission_grant_creator(experiment=experiment, actor=actor, entry_point=EntryPoint.SYSTEM)

    def on_audit_recorded(self, event) -> None:
        webhook_events_record(event)
        notifications_for(event)

    def check_stage_change(self, change: StageChange) -> None:
        version = change.version
        policy = policy_effective(registered_model=version.registered_model)
        if policy is None or change.from_stage == change.to_stage:
            return
        entering = policy.protects_stage(change.to_stage)
        leaving = policy.protects_stage(change.from_stage)
        if not (entering or leaving):
            return
        body = {"model": version.registered_model.name, "version": version.version, "stage": change.to_stage}
        if entering:
            what = f"moving version {version.version} into {change.to_stage}"
            if leaving:
                what += f" (out of {change.from_stage})"
        else:
            what = f"moving version {version.version} out of {change.from_stage} (to {change.to_stage})"
        _gate(policy, change, what=what, protected=f"stage {change.to_stage if entering else change.from_stage}",
              body=body, matches=lambda request: (
                  request.action == ReviewAction.MOVE and request.model_version_id == version.pk
                  and request.target_stage == change.to_stage
                  and request.version_stage_at_request == change.from_stage),
              entering_version=version if entering else None, validates=entering)

    def check_alias_change(self, change: AliasChange) -> None:
        model = change.registered_model
        policy = policy_effective(registered_model=model)
        if policy is None or not policy.protects_alias(change.alias):
            return
        if change.version is None:
            holder = change.from_version
            _gate(policy, change, what=f"removing alias @{change.alias}", protected=f"alias @{change.alias}",
                  body={"model": model.name, "action": ReviewAction.REMOVE_ALIAS.value, "alias": change.alias},
                  matches=lambda request: (request.action == ReviewAction.REMOVE_ALIAS
                                           and request.target_alias == change.alias
                                           and (holder is None or request.model_version_id == holder.pk)))
            return
        version = change.version
        _gate(policy, change, what=f"pointing @{change.alias} at version {version.version}",
              protected=f"alias @{change.alias}",
              body={"model": model.name, "version": version.version, "alias": change.alias},
              matches=lambda request: (request.action == ReviewAction.MOVE and request.model_version_id == version.pk
                                       and request.target_alias == change.alias),
              entering_version=version, validates=True)

    def check_model_change(self, change: ModelChange) -> None:
        model = change.registered_model
        policy = policy_effective(registered_model=model)
        if change.kind == ModelChangeKind.RENAME_MODEL:
            policy = policy or policy_for_name(change.new_name)
            if policy is None:
                return
            _gate(policy, change, what=f"renaming it to '{change.new_name}'", protected="the model",
                  body={"model": model.name, "action": ReviewAction.RENAME_MODEL.value, "new_name": change.new_name},
                  matches=lambda request: (request.action == ReviewAction.RENAME_MODEL
                                           and request.new_name == change.new_name))
        elif change.kind == ModelChangeKind.DELETE_MODEL:
            if policy is None:
                return
            _gate(policy, change, what="deleting it", protected="the model",
                  body={"model": model.name, "action": ReviewAction.DELETE_MODEL.value},
                  matches=lambda request: request.action == ReviewAction.DELETE_MODEL)
        else:
            version = change.version
            holding = version_protection(version, policy)
            if not holding:
                return
            _gate(policy, change, what=f"deleting version {version.version} ({holding})",
                  protected=_protected_target_of(version, policy),
                  body={"model": model.name, "version": version.version, "action": ReviewAction.DELETE_VERSION.value},
                  matches=lambda request: (request.action == ReviewAction.DELETE_VERSION
                                           and request.model_version_id == version.pk))

    def check_tag_write(self, *, actor, entry_point: str, key: str, registered_model) -> None:
        # Reserved only where a policy governs the model: ungoverned MLflow workflows set approved_by themselves.
        # Compared as names are, so 'Approved_By' or 'approved_by ' is the reserved key too.
        if name_normalize(key) not in _RESERVED_TAG_KEYS_NORMALIZED or entry_point == EntryPoint.REVIEW_REQUEST:
            return
        if policy_effective(registered_model=registered_model) is not None:
            raise PermissionDenied(f"Tag '{key}' is reserved: the registry writes it when a review request is applied.")

    def check_artifact_write(self, *, actor, path: str, entry_point: str = "") -> None:
        """Refuse writes under a version in a protected stage or alias; void the open requests a write changes."""
        versions = list(model_versions_stored_at(path).select_related("registered_model")
                        .prefetch_related("aliases"))
        policies: dict[int, ApprovalPolicy | None] = {}
        for version in versions:
            model = version.registered_model
            if model.pk not in policies:
                policies[model.pk] = policy_effective(registered_model=model)
            reason = version_protection(version, policies[model.pk])
            if reason:
                raise PermissionDenied(f"Artifacts of {model.name} v{version.version} are immutable while {reason}.")
        open_requests = (ReviewRequest.objects.filter(model_version__in=versions, action=ReviewAction.MOVE,
                                                      status__in=OPEN_REVIEW_STATUSES)
                         .select_related("registered_model").select_for_update(of=("self",)))
        how = f" through {EntryPoint(entry_point).label}" if entry_point in EntryPoint.values else ""
        for request in open_requests:
            if request.is_entry:
                review_request_supersede(
                    request, actor=actor, entry_point=entry_point or EntryPoint.SYSTEM,
                    reason=f"'{path}' was written by {actor_display_name(actor)}{how} while the request was open: "
                           "the files under review changed")

    def version_verdicts(self, versions: list) -> dict[int, str]:
        return latest_validation_statuses(versions)

    def pending_review_counts(self, registered_models: list) -> dict[int, int]:
        return open_review_request_counts(registered_models)

    def deployment_job_states(self, versions: list) -> dict:
        return deployment_job_states(versions)

    def deployment_job_ids(self, registered_models: list) -> dict[int, str]:
        return deployment_job_ids(registered_models) if registered_models else {}

    def audit_object_url(self, event) -> str:
        return audit_object_url(event)

    def protection_of(self, registered_model: RegisteredModel) -> Protection | None:
        policy = policy_effective(registered_model=registered_model)
        if policy is None:
            return None
        return Protection(policy_name=policy.name, stages=tuple(policy.protected_stages),
                          aliases=tuple(policy.protected_aliases), archive_previous=policy.archive_previous)

    def review_request_open(self, *, version: ModelVersion, actor, entry_point: str, stage: str = "",
                            alias: str = "", remove_alias: bool = False, comment: str = "") -> str:
        action = ReviewAction.REMOVE_ALIAS if remove_alias else ReviewAction.MOVE
        opened = review_request_create(version=None if remove_alias else version,
                                       registered_model=version.registered_model, action=action,
                                       stage=stage or None, alias=alias or None, comment=comment,
                                       actor=actor, entry_point=entry_point)
        quorum = opened.policy_snapshot.get("required_approvals", 1)
        group = opened.policy_snapshot.get("approver_group")
        who = f" from group '{group}'" if group else ""
        return (f"Review request #{opened.pk} opened for {opened.target_label}: it waits for {quorum} "
                f"approval{'s' if quorum != 1 else ''}{who}.")

    def on_registered_model_created(self, *, registered_model: RegisteredModel, actor) -> None:
        permission_grant_creator(registered_model=registered_model, actor=actor, entry_point=EntryPoint.SYSTEM)

    def on_stage_changed(self, change: StageChange) -> None:
        review_requests_supersede_after_stage_change(change)

    def on_alias_changed(self, change: AliasChange) -> None:
        review_requests_supersede_after_alias_change(change)

    def on_model_version_deleting(self, *, version: ModelVersion, actor, entry_point: str,
                                  review_request_id: int | None = None) -> None:
        review_requests_supersede_for_deleted_version(version, actor=actor, entry_point=entry_point,
                                                      applying=review_request_id)

    def on_registered_model_deleting(self, *, registered_model: RegisteredModel, actor, entry_point: str,
                                     review_request_id: int | None = None) -> None:
        review_requests_supersede_for_deleted_model(registered_model, actor=actor, entry_point=entry_point,
                                                    applying=review_request_id)


def _protected_target_of(version: ModelVersion, policy: ApprovalPolicy) -> str:
    if policy.protects_stage(version.stage):
        return f"stage {version.stage}"
    aliases = [f"@{alias.alias}" for alias in version.aliases.all() if policy.protects_alias(alias.alias)]
    return f"alias {', '.join(aliases)}"


def _gate(policy: ApprovalPolicy, change, *, what: str, protected: str, body: dict, matches,
          entering_version: ModelVersion | None = None, validates: bool = False) -> None:
    """Let the change through with an approved request for exactly it, or an audited break-glass; else refuse.

    `entering_version`: the version moving into a protected target, whose files must be those approved.
    """
    if change.review_request_id is not None:
        _approved_request_check(change.review_request_id, change=change, what=what, matches=matches,
                                entering_version=entering_version, validates=validates)
    elif change.force_reason.strip():
        _break_glass(policy, change, what=what)
    else:
        message, page_message = _protected_message(policy, change, what=what, protected=protected, body=body,
                                                   validates=validates)
        raise PermissionDenied(message, page_message=page_message)


def _approved_request_check(request_id: int, *, change, what: str, matches, entering_version, validates) -> None:
    model = _model_of(change)
    request = (ReviewRequest.objects.select_for_update(of=("self",)).select_related("registered_model")
               .filter(pk=request_id, registered_model=model).first())
    if request is None or not matches(request):
        raise PermissionDenied(f"Review request #{request_id} does not approve {what} on model '{model.name}'.")
    if request.status != ReviewRequestStatus.APPROVED:
        raise PermissionDenied(
            f"Review request #{request_id} is {request.status}, not APPROVED; it cannot allow {what}.")
    if entering_version is None:
        return
    # Exclusive until the change commits: no artifact write can land between this hash and the new stage.
    location = artifact_uri_to_path(entering_version.storage_location or "")
    if location:
        artifact_path_lock(location, exclusive=True)
    content_hash = version_content_hash(entering_version)
    if content_hash != request.content_hash:
        raise PermissionDenied(
            f"The artifacts of {model.name} v{entering_version.version} changed after review request #{request_id} "
            f"was opened (content hash {request.content_hash[:12]} approved, {content_hash[:12]} now); the approval "
            "no longer applies. Open a new review request.")
    if validates and request.policy_snapshot.get("require_validation"):
        reason = validation_blocker(request, content_hash=content_hash)
        if reason:
            raise PermissionDenied(f"Review request #{request_id} cannot be applied: {reason}.")


def _break_glass(policy: ApprovalPolicy, change, *, what: str) -> None:
    actor = change.actor
    if actor is not None and not is_governance_admin(actor):
        raise PermissionDenied(
            f"Only governance admins can break glass on policy '{policy.name}' with a reason; ask for a review "
            "instead.")
    model = _model_of(change)
    version = getattr(change, "version", None)
    audit_record(action=AuditAction.GATE_BYPASSED, actor=actor, entry_point=change.entry_point,
                 object_type="model_version" if version is not None else "registered_model",
                 object_id=f"{model.name}/{version.version}" if version is not None else model.name,
                 registered_model_name=model.name,
                 details={"policy": policy.name, "target": _target_of(change), "change": what,
                          **({"version": version.version} if version is not None else {}),
                          "force_reason": change.force_reason.strip()})


def _target_of(change) -> str:
    if isinstance(change, StageChange):
        return change.to_stage
    if isinstance(change, AliasChange):
        return f"@{change.alias}" if change.version is not None else f"remove @{change.alias}"
    return change.kind.value


def _model_of(change) -> RegisteredModel:
    return change.version.registered_model if isinstance(change, StageChange) else change.registered_model


def _protected_message(policy: ApprovalPolicy, change, *, what: str, protected: str, body: dict,
                       validates: bool) -> tuple[str, str]:
    """The refusal for API clients (the request to send) and for browser users (the button to press)."""
    model_name = _model_of(change).name
    if policy.approver_group_id:
        approvers = f"group '{policy.approver_group.name}'"
    else:
        action = ReviewAction(body.get("action", ReviewAction.MOVE))
        level = approval_level(action=action, from_stage=getattr(change, "from_stage", ""),
                               to_stage=getattr(change, "to_stage", ""))
        approvers = f"users with {level.name} on the model"
    needs = (f"Policy '{policy.name}' protects {protected} of model '{model_name}': {what} needs "
             f"{policy.required_approvals} approval(s) from {approvers}.")
    validation = (" The policy also requires a passed validation run, which opening the request starts."
                  if policy.require_validation and validates else "")
    return (f"{needs} Open a review request: {API_HINT} {json.dumps(body)}.{validation}",
            f"{needs} Use “{_page_action(body)}” on the version's page to ask for it.{validation}")


def _page_action(body: dict) -> str:
    """The button a browser user presses for the refused change (see the version page's stage and alias panel)."""
    leaving = body.get("action") == ReviewAction.REMOVE_ALIAS.value
    return "Request removal" if leaving else "Request promotion" if "version" in body else "Request review"
