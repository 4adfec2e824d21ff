"""Approval policies: which stages and aliases of which models need reviews, and whose approvals count.

Only governance admins create, change and delete policies (the people a policy governs must not be able to
switch it off); each change is audited with the policy before and after.
"""
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from models_app.choices import ARCHIVE_EXISTING_ALLOWED_STAGES, AuditAction
from models_app.exceptions import AlreadyExists, InvalidParameter
from models_app.naming import name_normalize
from models_app.services.audit import audit_record
from models_app.services.common import MAX_NAME_LENGTH, require_text
from models_app.services.stages import alias_validate, stage_parse

from ..models import ApprovalPolicy, ValidationDataset
from ..validation.thresholds import champion_thresholds_clean, metric_thresholds_clean
from .common import governance_admin_require

POLICY_FIELDS = ("name", "model_pattern", "protected_stages", "protected_aliases", "required_approvals",
                 "approver_group", "allow_self_approval", "require_validation", "archive_previous",
                 "metric_thresholds", "champion_thresholds", "validation_datasets")


def policy_create(*, name: str, model_pattern: str, actor, entry_point: str, protected_stages=(),
                  protected_aliases=(), required_approvals: int = 1, approver_group: Group | None = None,
                  allow_self_approval: bool = False, require_validation: bool = False, archive_previous: bool = True,
                  metric_thresholds=(), champion_thresholds=(), validation_datasets=()) -> ApprovalPolicy:
    """Create a policy for the models `model_pattern` matches (a name, `fraud-*`, or `*` for every model)."""
    governance_admin_require(actor, "create an approval policy")
    policy = ApprovalPolicy()
    datasets = _assign(
        policy, name=name, model_pattern=model_pattern, protected_stages=protected_stages,
        protected_aliases=protected_aliases, required_approvals=required_approvals, approver_group=approver_group,
        allow_self_approval=allow_self_approval, require_validation=require_validation,
        archive_previous=archive_previous, metric_thresholds=metric_thresholds,
        champion_thresholds=champion_thresholds, validation_datasets=validation_datasets,
    )
    _save(policy, datasets, AuditAction.POLICY_CREATED, actor=actor, entry_point=entry_point, before=None)
    return policy


def policy_update(*, policy: ApprovalPolicy, actor, entry_point: str, **changes) -> ApprovalPolicy:
    """Change some of a policy's settings (keywords named as the fields); open requests keep their snapshot."""
    unknown = sorted(set(changes) - set(POLICY_FIELDS))
    if unknown:
        raise InvalidParameter(f"Unknown policy field(s): {', '.join(unknown)}. Known: {', '.join(POLICY_FIELDS)}.")
    governance_admin_require(actor, f"change approval policy '{policy.name}'")
    with transaction.atomic():
        policy = ApprovalPolicy.objects.select_for_update().get(pk=policy.pk)
        before = policy.snapshot()
        current = {field: getattr(policy, field) for field in POLICY_FIELDS if field != "validation_datasets"}
        current["validation_datasets"] = list(policy.validation_datasets.all())
        datasets = _assign(policy, **{**current, **changes})
        _save(policy, datasets, AuditAction.POLICY_UPDATED, actor=actor, entry_point=entry_point, before=before)
    return policy


def policy_delete(*, policy: ApprovalPolicy, actor, entry_point: str) -> None:
    governance_admin_require(actor, f"delete approval policy '{policy.name}'")
    with transaction.atomic():
        _audit(policy, AuditAction.POLICY_DELETED, actor=actor, entry_point=entry_point, before=policy.snapshot(),
               after=None)
        policy.delete()


def _assign(policy: ApprovalPolicy, *, name, model_pattern, protected_stages, protected_aliases, required_approvals,
            approver_group, allow_self_approval, require_validation, archive_previous, metric_thresholds,
            champion_thresholds, validation_datasets) -> list[ValidationDataset]:
    policy.name = require_text(name, "name", max_length=200).strip()
    policy.model_pattern = _pattern_clean(model_pattern)
    policy.protected_stages = _stages_clean(protected_stages)
    policy.protected_aliases = _aliases_clean(protected_aliases)
    if not policy.protected_stages and not policy.protected_aliases:
        raise InvalidParameter(f"Policy '{policy.name}' protects nothing: name at least one stage or alias.")
    policy.required_approvals = _positive_int(required_approvals, "required_approvals")
    if approver_group is not None and not isinstance(approver_group, Group):
        raise InvalidParameter("Parameter 'approver_group' must be a group.")
    policy.approver_group = approver_group
    policy.allow_self_approval = bool(allow_self_approval)
    policy.require_validation = bool(require_validation)
    policy.archive_previous = bool(archive_previous)
    policy.metric_thresholds = metric_thresholds_clean(metric_thresholds)
    policy.champion_thresholds = champion_thresholds_clean(champion_thresholds)
    datasets = _as_list(validation_datasets, "validation_datasets")
    if any(not isinstance(dataset, ValidationDataset) for dataset in datasets):
        raise InvalidParameter("Parameter 'validation_datasets' must list validation datasets.")
    return datasets  # a many-to-many is assigned once the row has its primary key


def _pattern_clean(pattern) -> str:
    pattern = require_text(pattern, "model_pattern", max_length=MAX_NAME_LENGTH).strip()
    if not name_normalize(pattern):
        raise InvalidParameter(f"Invalid model pattern {pattern!r}: it matches no name.")
    return pattern


def _stages_clean(stages) -> list[str]:
    cleaned = []
    for name in _as_list(stages, "protected_stages"):
        stage = stage_parse(name)
        if stage not in ARCHIVE_EXISTING_ALLOWED_STAGES:
            raise InvalidParameter(f"A policy can protect Staging and Production, not {stage.value}.")
        if stage.value not in cleaned:
            cleaned.append(stage.value)
    return cleaned


def _aliases_clean(aliases) -> list[str]:
    cleaned = []
    for alias in _as_list(aliases, "protected_aliases"):
        alias = alias_validate(alias)
        if alias not in cleaned:
            cleaned.append(alias)
    return cleaned


def _as_list(value, field: str) -> list:
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise InvalidParameter(f"Parameter '{field}' must be a list, got {type(value).__name__}.")
    return list(value)


def _positive_int(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidParameter(f"Parameter '{field}' must be an integer of at least 1, got {value!r}.")
    return value


def _save(policy: ApprovalPolicy, datasets: list[ValidationDataset], action: str, *, actor, entry_point: str,
          before: dict | None) -> None:
    try:
        with transaction.atomic():
            policy.save()
            policy.validation_datasets.set(datasets)
            _audit(policy, action, actor=actor, entry_point=entry_point, before=before, after=policy.snapshot())
    except IntegrityError:
        existing = (ApprovalPolicy.objects.exclude(pk=policy.pk).filter(normalized_pattern=policy.normalized_pattern)
                    .values_list("name", flat=True).first())
        raise AlreadyExists(f"Policy '{existing}' already governs the pattern '{policy.model_pattern}'; "
                            "update it instead.") from None


def _audit(policy: ApprovalPolicy, action: str, *, actor, entry_point: str, before: dict | None,
           after: dict | None) -> None:
    changed = sorted(key for key in (after or before) if (before or {}).get(key) != (after or {}).get(key))
    audit_record(action=action, actor=actor, entry_point=entry_point, object_type="approval_policy",
                 object_id=str(policy.pk), registered_model_name="",
                 details={"name": policy.name, "model_pattern": policy.model_pattern, "before": before,
                          "after": after, "changed": changed})
