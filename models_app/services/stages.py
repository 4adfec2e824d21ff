"""Stage changes and alias moves: the one writer of both, with history, audit and the gate."""
import re

from django.conf import settings
from django.db import transaction

from ..choices import ARCHIVE_EXISTING_ALLOWED_STAGES, SINGLE_OCCUPANCY_STAGES, AuditAction, Stage
from ..exceptions import InvalidParameter, NotFound
from ..governance import AliasChange, PermissionLevel, StageChange, current_governance, level_for_stage_change
from ..models import AliasTransition, ModelVersion, RegisteredModel, RegisteredModelAlias, StageTransition
from ..models.base import now_ms
from .audit import actor_display_name, audit_record
from .common import comment_limit, registered_model_lock, user_or_none

_RESERVED_ALIAS = re.compile(r"^(latest|v\d+)$", re.IGNORECASE)
MAX_ALIAS_LENGTH = 255


def stage_parse(name) -> Stage:
    stage = Stage.canonical(name) if isinstance(name, str) else None
    if stage is None:
        raise InvalidParameter(
            f"Invalid Model Version stage: {name}. Value must be one of "
            f"{', '.join(stage.value for stage in Stage)}."
        )
    return stage


def model_version_transition_stage(
    *,
    version: ModelVersion,
    to_stage: str,
    actor,
    entry_point: str,
    archive_existing: bool = False,
    review_request_id: int | None = None,
    reason: str = "",
    force_reason: str = "",
) -> ModelVersion:
    """Move a version to another stage. Every stage change, from every entry point, comes here.

    Steps:
    1. parse the stage and check the actor's permission level for this move;
    2. take the model's row lock and ask the gate (approvals fills it; empty, it allows) under it, so nothing
       the gate checked can change before the change commits;
    3. archive the other occupants when asked to, or when the stage is single-occupancy; move the version;
       write StageTransition and AuditEvent for each move;
    4. tell governance inside the same transaction (it supersedes stale review requests).
    """
    target = stage_parse(to_stage)
    reason, force_reason = comment_limit(reason, "reason"), comment_limit(force_reason, "force_reason")
    if archive_existing and target not in ARCHIVE_EXISTING_ALLOWED_STAGES:
        raise InvalidParameter(
            f"archive_existing_versions can only be used when moving a version to Staging or Production, "
            f"not to {target.value}."
        )
    model = version.registered_model
    governance = current_governance()
    governance.authorize(actor=actor, registered_model=model, level=level_for_stage_change(version.stage, target))
    with transaction.atomic():
        model = registered_model_lock(model.name)
        version = ModelVersion.objects.select_for_update().select_related("registered_model").get(pk=version.pk)
        change = StageChange(version=version, from_stage=version.stage, to_stage=target, actor=actor,
                             entry_point=entry_point, review_request_id=review_request_id, force_reason=force_reason)
        # Under the lock: what the gate sees (the version's stage, its files, the request) is what gets applied.
        governance.check_stage_change(change)
        timestamp = now_ms()
        exclusive = settings.REGISTRY_SINGLE_OCCUPANCY_STAGES and target in SINGLE_OCCUPANCY_STAGES
        if archive_existing or exclusive:
            occupants = model.versions.select_for_update().filter(stage=target).exclude(pk=version.pk)
            why = (
                f"archive_existing_versions: version {version.version} moved to {target.value}"
                if archive_existing
                else f"single-occupancy stage: version {version.version} replaced it in {target.value}"
            )
            for occupant in occupants:
                _apply_stage(occupant, Stage.ARCHIVED, timestamp=timestamp, actor=actor, entry_point=entry_point,
                             reason=why, review_request_id=review_request_id)
        _apply_stage(version, target, timestamp=timestamp, actor=actor, entry_point=entry_point, reason=reason,
                     review_request_id=review_request_id, force_reason=force_reason, exclusive=exclusive)
        RegisteredModel.objects.filter(pk=model.pk).update(last_updated_timestamp=timestamp)
        governance.on_stage_changed(change)
    return version


def _apply_stage(version, stage, *, timestamp, actor, entry_point, reason, review_request_id, force_reason="",
                 exclusive=False):
    from_stage = version.stage
    version.stage = stage
    version.holds_exclusive_stage = exclusive
    version.last_updated_timestamp = timestamp
    version.save(update_fields=["stage", "holds_exclusive_stage", "last_updated_timestamp"])
    model = version.registered_model
    StageTransition.objects.create(
        registered_model=model, version=version.version, from_stage=from_stage, to_stage=stage,
        actor=user_or_none(actor), actor_name=actor_display_name(actor), entry_point=entry_point,
        reason=reason, review_request_id=review_request_id,
    )
    details = {"version": version.version, "from_stage": from_stage, "to_stage": stage, "reason": reason,
               "review_request_id": review_request_id}
    if force_reason:
        details["force_reason"] = force_reason
    audit_record(action=AuditAction.MODEL_VERSION_STAGE_CHANGED, actor=actor, entry_point=entry_point,
                 object_type="model_version", object_id=f"{model.name}/{version.version}",
                 registered_model_name=model.name, details=details)


def alias_name_validate(alias) -> str:
    """An alias name as MLflow checks one, in its words: present, letters/digits/_/- only, at most 255 characters."""
    if not isinstance(alias, str) or not alias:
        raise InvalidParameter("Registered model alias name cannot be empty.")
    if not re.fullmatch(r"[\w\-]+", alias):
        raise InvalidParameter(
            f"Invalid alias name: '{alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-)."
        )
    if len(alias) > MAX_ALIAS_LENGTH:
        raise InvalidParameter(f"'Registered model alias name' exceeds the maximum length of {MAX_ALIAS_LENGTH} "
                               "characters")
    return alias


def alias_validate(alias) -> str:
    """A name an alias may be given: a valid name that is not one of the names the registry resolves itself."""
    alias_name_validate(alias)
    if alias.lower() == "latest":
        raise InvalidParameter("'latest' alias name (case insensitive) is reserved.")
    if _RESERVED_ALIAS.match(alias):
        raise InvalidParameter(f"Version alias name '{alias}' is reserved.")
    return alias


def registered_model_alias_set(
    *,
    registered_model: RegisteredModel,
    alias: str,
    version_number,
    actor,
    entry_point: str,
    review_request_id: int | None = None,
    force_reason: str = "",
) -> RegisteredModelAlias:
    """Point `alias` at a version (moving it if it points elsewhere), through the same gate as stages."""
    alias = alias_validate(alias)
    force_reason = comment_limit(force_reason, "force_reason")
    version = _version_of(registered_model, version_number)
    governance = current_governance()
    governance.authorize(actor=actor, registered_model=registered_model, level=PermissionLevel.CAN_EDIT)
    with transaction.atomic():
        model = registered_model_lock(registered_model.name)
        change = AliasChange(registered_model=model, alias=alias, version=version, actor=actor,
                             entry_point=entry_point, review_request_id=review_request_id, force_reason=force_reason)
        governance.check_alias_change(change)
        existing = RegisteredModelAlias.objects.select_for_update().filter(registered_model=model, alias=alias).first()
        from_version = existing.model_version.version if existing else None
        if existing:
            existing.model_version = version
            existing.save(update_fields=["model_version"])
            record = existing
        else:
            record = RegisteredModelAlias.objects.create(registered_model=model, alias=alias, model_version=version)
        alias_history_record(registered_model=model, alias=alias, from_version=from_version,
                             to_version=version.version, actor=actor, entry_point=entry_point,
                             review_request_id=review_request_id, force_reason=force_reason)
        RegisteredModel.objects.filter(pk=model.pk).update(last_updated_timestamp=now_ms())
        governance.on_alias_changed(change)
    return record


def registered_model_alias_delete(*, registered_model: RegisteredModel, alias: str, actor, entry_point: str,
                                  review_request_id: int | None = None, force_reason: str = "") -> None:
    """Remove an alias; removing one that does not exist is a no-op, as in MLflow."""
    alias = alias_validate(alias)
    force_reason = comment_limit(force_reason, "force_reason")
    governance = current_governance()
    governance.authorize(actor=actor, registered_model=registered_model, level=PermissionLevel.CAN_EDIT)
    with transaction.atomic():
        model = registered_model_lock(registered_model.name)
        existing = (RegisteredModelAlias.objects.select_for_update().select_related("model_version")
                    .filter(registered_model=model, alias=alias).first())
        if existing is None:
            return
        change = AliasChange(registered_model=model, alias=alias, version=None, actor=actor, entry_point=entry_point,
                             review_request_id=review_request_id, force_reason=force_reason,
                             from_version=existing.model_version)
        governance.check_alias_change(change)
        alias_history_record(registered_model=model, alias=alias, from_version=existing.model_version.version,
                             to_version=None, actor=actor, entry_point=entry_point,
                             review_request_id=review_request_id, force_reason=force_reason)
        existing.delete()
        governance.on_alias_changed(change)


def alias_history_record(*, registered_model, alias, from_version, to_version, actor, entry_point, reason="",
                         review_request_id=None, force_reason=""):
    AliasTransition.objects.create(
        registered_model=registered_model, alias=alias, from_version=from_version, to_version=to_version,
        actor=user_or_none(actor), actor_name=actor_display_name(actor), entry_point=entry_point,
        reason=reason, review_request_id=review_request_id,
    )
    details = {"alias": alias, "from_version": from_version, "to_version": to_version, "reason": reason,
               "review_request_id": review_request_id}
    if force_reason:
        details["force_reason"] = force_reason
    audit_record(action=AuditAction.ALIAS_SET if to_version is not None else AuditAction.ALIAS_DELETED,
                 actor=actor, entry_point=entry_point, object_type="alias",
                 object_id=f"{registered_model.name}@{alias}", registered_model_name=registered_model.name,
                 details=details)


def _version_of(registered_model: RegisteredModel, version_number) -> ModelVersion:
    number = version_number_parse(version_number)
    version = registered_model.versions.filter(version=number).first()
    if version is None:
        raise NotFound(f"Model Version (name={registered_model.name}, version={number}) not found")
    return version


def version_number_parse(value) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidParameter(f"Parameter 'version' must be an integer, got '{value}'.") from None
    if number < 1:
        raise InvalidParameter(f"Parameter 'version' must be a positive integer, got '{value}'.")
    return number
