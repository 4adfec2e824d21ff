"""Writes to registered models and model versions: creation, numbering, tags, deletion."""

from django.db import IntegrityError, transaction

from ..choices import AuditAction, ModelVersionStatus
from ..exceptions import AlreadyExists, InvalidParameter, NotFound
from ..governance import ModelChange, ModelChangeKind, PermissionLevel, current_governance
from ..models import ModelVersion, ModelVersionTag, RegisteredModel, RegisteredModelTag
from ..models.base import now_ms
from ..naming import name_normalize
from .artifacts import artifact_uri_to_path, artifacts_content_hash
from .audit import audit_record
from .common import (
    MAX_NAME_LENGTH,
    registered_model_lock,
    require_text,
    upsert_key_values,
    user_or_none,
    username_of,
    validate_key_value,
)
from .sources import model_version_source_resolve
from .stages import alias_history_record


def _audit_model(action, *, registered_model, actor, entry_point, details=None, object_type="registered_model",
                 object_id=None):
    audit_record(
        action=action,
        actor=actor,
        entry_point=entry_point,
        object_type=object_type,
        object_id=object_id or registered_model.name,
        registered_model_name=registered_model.name,
        details=details,
    )


def registered_model_name_validate(name, field: str) -> str:
    """MLflow's naming rule: model URIs (`models:/name/Stage`) and page addresses split on '/' and ':'."""
    name = require_text(name, field, max_length=MAX_NAME_LENGTH)
    if "/" in name or ":" in name:
        raise InvalidParameter(f"Invalid model name '{name}'. Names cannot contain '/' or ':'.")
    if name.strip(".") == "":
        raise InvalidParameter(f"Invalid model name '{name}'. A name cannot be only dots.")
    return name


def registered_model_create(
    *, name: str, actor, entry_point: str, description: str = "", tags: list[tuple[str, str]] = ()
) -> RegisteredModel:
    name = registered_model_name_validate(name, "name")
    clean_tags = [validate_key_value(key, value, what="tag") for key, value in tags]
    governance = current_governance()
    governance.authorize(actor=actor, registered_model=None, level=PermissionLevel.CAN_EDIT)
    for key, _ in clean_tags:
        governance.check_tag_write(actor=actor, entry_point=entry_point, key=key, registered_model=None)
    _refuse_taken_name(name)
    try:
        with transaction.atomic():
            model = RegisteredModel.objects.create(
                name=name, description=description or "", created_by=user_or_none(actor)
            )
            upsert_key_values(RegisteredModelTag, "registered_model", model, clean_tags)
            governance.on_registered_model_created(registered_model=model, actor=actor)
            _audit_model(AuditAction.REGISTERED_MODEL_CREATED, registered_model=model, actor=actor,
                         entry_point=entry_point)
    except IntegrityError:
        _refuse_taken_name(name)
        raise
    return model


def registered_model_name_available(name, *, besides: RegisteredModel | None = None) -> str:
    """A valid model name that no other model has, or looks like (for a rename of `besides`)."""
    name = registered_model_name_validate(name, "new_name" if besides is not None else "name")
    _refuse_taken_name(name, besides=besides)
    return name


def _refuse_taken_name(name: str, *, besides: RegisteredModel | None = None) -> None:
    """Refuse a name that is, or looks like, the name of another model (names compare as name_normalize says)."""
    taken = RegisteredModel.objects.filter(normalized_name=name_normalize(name))
    if besides is not None:
        taken = taken.exclude(pk=besides.pk)
    existing = taken.values_list("name", flat=True).first()
    if existing is None:
        return
    if existing == name:
        raise AlreadyExists(f"Registered Model (name={name}) already exists.")
    raise AlreadyExists(
        f"Registered Model name '{name}' is too close to the existing model '{existing}': names that differ only "
        "in case, width, spacing or invisible characters are the same name here."
    )


def registered_model_rename(*, registered_model: RegisteredModel, new_name: str, actor, entry_point: str,
                            review_request_id: int | None = None, force_reason: str = ""):
    new_name = registered_model_name_validate(new_name, "new_name")
    governance = current_governance()
    governance.authorize(actor=actor, registered_model=registered_model, level=PermissionLevel.CAN_MANAGE)
    old_name = registered_model.name
    _refuse_taken_name(new_name, besides=registered_model)
    try:
        with transaction.atomic():
            model = registered_model_lock(old_name)
            governance.check_model_change(ModelChange(
                kind=ModelChangeKind.RENAME_MODEL, registered_model=model, actor=actor, entry_point=entry_point,
                new_name=new_name, review_request_id=review_request_id, force_reason=force_reason))
            model.name = new_name
            model.last_updated_timestamp = now_ms()
            model.save(update_fields=["name", "last_updated_timestamp"])
            _audit_model(AuditAction.REGISTERED_MODEL_RENAMED, registered_model=model, actor=actor,
                         entry_point=entry_point,
                         details=_governed({"old_name": old_name, "new_name": new_name}, review_request_id,
                                           force_reason))
    except IntegrityError:
        _refuse_taken_name(new_name, besides=registered_model)
        raise
    return model


def _governed(details: dict, review_request_id: int | None, force_reason: str) -> dict:
    """Audit details of a change that a review request allowed, or a break-glass reason."""
    if review_request_id is not None:
        details["review_request_id"] = review_request_id
    if force_reason:
        details["force_reason"] = force_reason
    return details


def registered_model_update(*, registered_model: RegisteredModel, description: str, actor, entry_point: str):
    current_governance().authorize(actor=actor, registered_model=registered_model, level=PermissionLevel.CAN_EDIT)
    with transaction.atomic():
        model = registered_model_lock(registered_model.name)
        model.description = description or ""
        model.last_updated_timestamp = now_ms()
        model.save(update_fields=["description", "last_updated_timestamp"])
        _audit_model(AuditAction.REGISTERED_MODEL_DESCRIPTION_CHANGED, registered_model=model, actor=actor,
                     entry_point=entry_point, details={"description": model.description})
    return model


def registered_model_delete(*, registered_model: RegisteredModel, actor, entry_point: str,
                            review_request_id: int | None = None, force_reason: str = "") -> None:
    governance = current_governance()
    governance.authorize(actor=actor, registered_model=registered_model, level=PermissionLevel.CAN_MANAGE)
    with transaction.atomic():
        model = registered_model_lock(registered_model.name)
        governance.check_model_change(ModelChange(
            kind=ModelChangeKind.DELETE_MODEL, registered_model=model, actor=actor, entry_point=entry_point,
            review_request_id=review_request_id, force_reason=force_reason))
        versions = list(model.versions.values_list("version", flat=True))
        _audit_model(AuditAction.REGISTERED_MODEL_DELETED, registered_model=model, actor=actor,
                     entry_point=entry_point,
                     details=_governed({"versions": sorted(versions)}, review_request_id, force_reason))
        governance.on_registered_model_deleting(registered_model=model, actor=actor, entry_point=entry_point,
                                                review_request_id=review_request_id)
        model.delete()


def registered_model_set_tag(*, registered_model: RegisteredModel, key: str, value: str, actor, entry_point: str):
    key, value = validate_key_value(key, value, what="tag")
    governance = current_governance()
    governance.authorize(actor=actor, registered_model=registered_model, level=PermissionLevel.CAN_EDIT)
    governance.check_tag_write(actor=actor, entry_point=entry_point, key=key, registered_model=registered_model)
    with transaction.atomic():
        upsert_key_values(RegisteredModelTag, "registered_model", registered_model, [(key, value)])
        RegisteredModel.objects.filter(pk=registered_model.pk).update(last_updated_timestamp=now_ms())
        _audit_model(AuditAction.REGISTERED_MODEL_TAG_SET, registered_model=registered_model, actor=actor,
                     entry_point=entry_point, details={"key": key, "value": value})


def registered_model_delete_tag(*, registered_model: RegisteredModel, key: str, actor, entry_point: str):
    key = require_text(key, "key")
    governance = current_governance()
    governance.authorize(actor=actor, registered_model=registered_model, level=PermissionLevel.CAN_EDIT)
    governance.check_tag_write(actor=actor, entry_point=entry_point, key=key, registered_model=registered_model)
    with transaction.atomic():
        deleted, _ = RegisteredModelTag.objects.filter(registered_model=registered_model, key=key).delete()
        if not deleted:
            raise NotFound(f"No tag with name: {key} in registered model with name {registered_model.name}")
        _audit_model(AuditAction.REGISTERED_MODEL_TAG_DELETED, registered_model=registered_model, actor=actor,
                     entry_point=entry_point, details={"key": key})


def model_version_create(
    *,
    name: str,
    source: str,
    actor,
    entry_point: str,
    run_id: str | None = None,
    model_id: str | None = None,
    run_link: str = "",
    description: str = "",
    tags: list[tuple[str, str]] = (),
) -> ModelVersion:
    """Register a new version. The number comes from the model's counter under a row lock."""
    name = require_text(name, "name")
    clean_tags = [validate_key_value(key, value, what="tag") for key, value in tags]
    location, run, logged_model = model_version_source_resolve(source=source, run_id=run_id, model_id=model_id)
    # Hash outside the lock: reading files can take a while and must not hold up other registrations.
    storage_path = artifact_uri_to_path(location)
    content_hash = artifacts_content_hash(storage_path) if storage_path is not None else ""
    governance = current_governance()
    with transaction.atomic():
        model = registered_model_lock(name)
        governance.authorize(actor=actor, registered_model=model, level=PermissionLevel.CAN_EDIT)
        for key, _ in clean_tags:
            governance.check_tag_write(actor=actor, entry_point=entry_point, key=key, registered_model=model)
        model.last_version_number += 1
        model.last_updated_timestamp = now_ms()
        model.save(update_fields=["last_version_number", "last_updated_timestamp"])
        version = ModelVersion.objects.create(
            registered_model=model,
            version=model.last_version_number,
            source=source,
            storage_location=location,
            run=run,
            logged_model=logged_model,
            run_link=require_text(run_link, "run_link", max_length=500) if run_link else "",
            description=description or "",
            status=ModelVersionStatus.READY,
            user_id=username_of(actor),
            created_by=user_or_none(actor),
            content_hash=content_hash,
            creation_timestamp=model.last_updated_timestamp,
            last_updated_timestamp=model.last_updated_timestamp,
        )
        upsert_key_values(ModelVersionTag, "model_version", version, clean_tags)
        _audit_model(AuditAction.MODEL_VERSION_CREATED, registered_model=model, actor=actor, entry_point=entry_point,
                     object_type="model_version", object_id=f"{model.name}/{version.version}",
                     details={"version": version.version, "source": source, "run_id": run.pk if run else None,
                              "content_hash": content_hash})
    return version


def model_version_update(*, version: ModelVersion, description: str, actor, entry_point: str) -> ModelVersion:
    model = version.registered_model
    current_governance().authorize(actor=actor, registered_model=model, level=PermissionLevel.CAN_EDIT)
    with transaction.atomic():
        version.description = description or ""
        version.last_updated_timestamp = now_ms()
        version.save(update_fields=["description", "last_updated_timestamp"])
        _audit_model(AuditAction.MODEL_VERSION_DESCRIPTION_CHANGED, registered_model=model, actor=actor,
                     entry_point=entry_point, object_type="model_version", object_id=f"{model.name}/{version.version}",
                     details={"description": version.description})
    return version


def model_version_delete(*, version: ModelVersion, actor, entry_point: str, review_request_id: int | None = None,
                         force_reason: str = "") -> None:
    model = version.registered_model
    governance = current_governance()
    governance.authorize(actor=actor, registered_model=model, level=PermissionLevel.CAN_MANAGE)
    with transaction.atomic():
        model = registered_model_lock(model.name)
        version = ModelVersion.objects.select_for_update().select_related("registered_model").get(pk=version.pk)
        governance.check_model_change(ModelChange(
            kind=ModelChangeKind.DELETE_VERSION, registered_model=model, version=version, actor=actor,
            entry_point=entry_point, review_request_id=review_request_id, force_reason=force_reason))
        governance.on_model_version_deleting(version=version, actor=actor, entry_point=entry_point,
                                             review_request_id=review_request_id)
        for alias in version.aliases.all():
            alias_history_record(registered_model=model, alias=alias.alias, from_version=version.version,
                                 to_version=None, actor=actor, entry_point=entry_point,
                                 reason=f"version {version.version} deleted")
        _audit_model(AuditAction.MODEL_VERSION_DELETED, registered_model=model, actor=actor, entry_point=entry_point,
                     object_type="model_version", object_id=f"{model.name}/{version.version}",
                     details=_governed({"version": version.version, "stage": version.stage}, review_request_id,
                                       force_reason))
        version.delete()
        RegisteredModel.objects.filter(pk=model.pk).update(last_updated_timestamp=now_ms())


def model_version_set_tag(*, version: ModelVersion, key: str, value: str, actor, entry_point: str) -> None:
    key, value = validate_key_value(key, value, what="tag")
    model = version.registered_model
    governance = current_governance()
    governance.authorize(actor=actor, registered_model=model, level=PermissionLevel.CAN_EDIT)
    governance.check_tag_write(actor=actor, entry_point=entry_point, key=key, registered_model=model)
    with transaction.atomic():
        upsert_key_values(ModelVersionTag, "model_version", version, [(key, value)])
        _audit_model(AuditAction.MODEL_VERSION_TAG_SET, registered_model=model, actor=actor, entry_point=entry_point,
                     object_type="model_version", object_id=f"{model.name}/{version.version}",
                     details={"key": key, "value": value})


def model_version_delete_tag(*, version: ModelVersion, key: str, actor, entry_point: str) -> None:
    key = require_text(key, "key")
    model = version.registered_model
    governance = current_governance()
    governance.authorize(actor=actor, registered_model=model, level=PermissionLevel.CAN_EDIT)
    governance.check_tag_write(actor=actor, entry_point=entry_point, key=key, registered_model=model)
    with transaction.atomic():
        deleted, _ = ModelVersionTag.objects.filter(model_version=version, key=key).delete()
        if not deleted:
            raise NotFound(f"No tag with name: {key} in model version {model.name} v{version.version}")
        _audit_model(AuditAction.MODEL_VERSION_TAG_DELETED, registered_model=model, actor=actor,
                     entry_point=entry_point, object_type="model_version",
                     object_id=f"{model.name}/{version.version}", details={"key": key})


