"""Writes to MLflow 3 logged models."""
from django.db import transaction

from ..choices import LifecycleStage, LoggedModelStatus
from ..exceptions import InvalidParameter, NotFound
from ..models import Experiment, LoggedModel, LoggedModelParam, LoggedModelTag, Run
from ..models.base import now_ms
from .artifacts import artifact_path_to_uri
from .common import experiment_authorize, require_text, upsert_key_values, validate_key_value


def logged_model_create(
    *,
    experiment: Experiment,
    actor,
    name: str = "",
    source_run: Run | None = None,
    model_type: str = "",
    params: list[tuple[str, str]] = (),
    tags: list[tuple[str, str]] = (),
) -> LoggedModel:
    """A logged model in `experiment` (EDIT on it); the caller has read `source_run` through a selector."""
    experiment_authorize(actor=actor, experiment=experiment)
    if experiment.lifecycle_stage != LifecycleStage.ACTIVE:
        raise InvalidParameter(f"The experiment {experiment.pk} must be in the 'active' state.")
    clean_params = [validate_key_value(k, v, what="param") for k, v in params]
    clean_tags = [validate_key_value(k, v, what="tag") for k, v in tags]
    with transaction.atomic():
        model = LoggedModel(experiment=experiment, name=name or "model", source_run=source_run,
                            model_type=model_type or "")
        model.artifact_location = artifact_path_to_uri(f"{experiment.pk}/models/{model.model_id}/artifacts")
        model.save(force_insert=True)
        upsert_key_values(LoggedModelParam, "logged_model", model, clean_params)
        upsert_key_values(LoggedModelTag, "logged_model", model, clean_tags)
    return model


def logged_model_finalize(*, logged_model: LoggedModel, status: str, actor) -> LoggedModel:
    experiment_authorize(actor=actor, experiment=logged_model.experiment)
    if status not in (LoggedModelStatus.READY, LoggedModelStatus.UPLOAD_FAILED):
        raise InvalidParameter(
            f"Invalid logged model status '{status}': finalize takes LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED."
        )
    logged_model.status = status
    logged_model.last_updated_timestamp_ms = now_ms()
    logged_model.save(update_fields=["status", "last_updated_timestamp_ms"])
    return logged_model


def logged_model_set_tags(*, logged_model: LoggedModel, tags: list[tuple[str, str]], actor) -> None:
    experiment_authorize(actor=actor, experiment=logged_model.experiment)
    clean = [validate_key_value(k, v, what="tag") for k, v in tags]
    upsert_key_values(LoggedModelTag, "logged_model", logged_model, clean)


def logged_model_delete_tag(*, logged_model: LoggedModel, key: str, actor) -> None:
    experiment_authorize(actor=actor, experiment=logged_model.experiment)
    deleted, _ = LoggedModelTag.objects.filter(logged_model=logged_model, key=require_text(key, "key")).delete()
    if not deleted:
        raise NotFound(f"No tag with key '{key}' on logged model '{logged_model.pk}'.")


def logged_model_log_params(*, logged_model: LoggedModel, params: list[tuple[str, str]], actor) -> None:
    experiment_authorize(actor=actor, experiment=logged_model.experiment)
    clean = [validate_key_value(k, v, what="param") for k, v in params]
    LoggedModelParam.objects.bulk_create(
        [LoggedModelParam(logged_model=logged_model, key=k, value=v) for k, v in clean], ignore_conflicts=True
    )


def logged_model_delete(*, logged_model: LoggedModel, actor) -> None:
    experiment_authorize(actor=actor, experiment=logged_model.experiment)
    logged_model.lifecycle_stage = LifecycleStage.DELETED
    logged_model.last_updated_timestamp_ms = now_ms()
    logged_model.save(update_fields=["lifecycle_stage", "last_updated_timestamp_ms"])
