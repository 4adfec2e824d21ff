"""Writes to experiments and their tags."""
from django.db import IntegrityError, transaction

from ..choices import AuditAction, LifecycleStage
from ..exceptions import AlreadyExists, InvalidParameter, NotFound
from ..governance import ExperimentLevel, current_governance
from ..models import Experiment, ExperimentTag
from ..models.base import now_ms
from .artifacts import artifact_path_to_uri
from .audit import audit_record
from .common import experiment_authorize, require_text, upsert_key_values, user_or_none, validate_key_value

DEFAULT_EXPERIMENT_ID = 0


def experiment_create(
    *, name: str, actor, entry_point: str, artifact_location: str = "", tags: list[tuple[str, str]] = ()
) -> Experiment:
    """Create an experiment; any signed-in user may, and the creator manages it."""
    name = require_text(name, "name", max_length=500)
    clean_tags = [validate_key_value(key, value, what="tag") for key, value in tags]
    experiment_authorize(actor=actor, experiment=None)
    try:
        with transaction.atomic():
            experiment = Experiment.objects.create(name=name, created_by=user_or_none(actor))
            # The default location needs the id, which exists only after the insert.
            experiment.artifact_location = artifact_location or artifact_path_to_uri(str(experiment.pk))
            experiment.save(update_fields=["artifact_location"])
            upsert_key_values(ExperimentTag, "experiment", experiment, clean_tags)
            current_governance().on_experiment_created(experiment=experiment, actor=actor)
            audit_record(action=AuditAction.EXPERIMENT_CREATED, actor=actor, entry_point=entry_point,
                         object_type="experiment", object_id=str(experiment.pk), details={"name": name})
    except IntegrityError:
        raise AlreadyExists(f"Experiment(name={name}) already exists.") from None
    return experiment


def experiment_rename(*, experiment: Experiment, new_name: str, actor, entry_point: str) -> Experiment:
    new_name = require_text(new_name, "new_name", max_length=500)
    experiment_authorize(actor=actor, experiment=experiment)
    _require_active(experiment)
    old_name = experiment.name
    try:
        with transaction.atomic():
            experiment.name = new_name
            experiment.last_update_time = now_ms()
            experiment.save(update_fields=["name", "last_update_time"])
            audit_record(action=AuditAction.EXPERIMENT_RENAMED, actor=actor, entry_point=entry_point,
                         object_type="experiment", object_id=str(experiment.pk),
                         details={"old_name": old_name, "new_name": new_name})
    except IntegrityError:
        raise AlreadyExists(f"Experiment(name={new_name}) already exists.") from None
    return experiment


def experiment_delete(*, experiment: Experiment, actor, entry_point: str) -> None:
    """Soft delete, as MLflow does: the experiment and its runs are hidden, not removed."""
    experiment_authorize(actor=actor, experiment=experiment, level=ExperimentLevel.MANAGE)
    if experiment.pk == DEFAULT_EXPERIMENT_ID:
        raise InvalidParameter("Cannot delete the default experiment '0'. This is an internally reserved experiment.")
    _set_lifecycle(experiment, LifecycleStage.DELETED, AuditAction.EXPERIMENT_DELETED, actor, entry_point)


def experiment_restore(*, experiment: Experiment, actor, entry_point: str) -> None:
    experiment_authorize(actor=actor, experiment=experiment, level=ExperimentLevel.MANAGE)
    if experiment.lifecycle_stage != LifecycleStage.DELETED:
        raise InvalidParameter(f"Cannot restore an active experiment ({experiment.pk}).")
    _set_lifecycle(experiment, LifecycleStage.ACTIVE, AuditAction.EXPERIMENT_RESTORED, actor, entry_point)


def _set_lifecycle(experiment, stage, action, actor, entry_point):
    with transaction.atomic():
        experiment.lifecycle_stage = stage
        experiment.last_update_time = now_ms()
        experiment.save(update_fields=["lifecycle_stage", "last_update_time"])
        experiment.runs.update(lifecycle_stage=stage)
        audit_record(action=action, actor=actor, entry_point=entry_point, object_type="experiment",
                     object_id=str(experiment.pk), details={"name": experiment.name})


def experiment_set_tag(*, experiment: Experiment, key: str, value: str, actor) -> None:
    key, value = validate_key_value(key, value, what="tag")
    experiment_authorize(actor=actor, experiment=experiment)
    _require_active(experiment)
    upsert_key_values(ExperimentTag, "experiment", experiment, [(key, value)])


def experiment_delete_tag(*, experiment: Experiment, key: str, actor) -> None:
    key = require_text(key, "key")
    experiment_authorize(actor=actor, experiment=experiment)
    _require_active(experiment)
    deleted, _ = ExperimentTag.objects.filter(experiment=experiment, key=key).delete()
    if not deleted:
        raise NotFound(f"No tag with name: {key} in experiment with id {experiment.pk}")


def _require_active(experiment: Experiment) -> None:
    if experiment.lifecycle_stage != LifecycleStage.ACTIVE:
        raise InvalidParameter(
            f"The experiment {experiment.pk} must be in the 'active' state. "
            f"Current state is {experiment.lifecycle_stage}."
        )
