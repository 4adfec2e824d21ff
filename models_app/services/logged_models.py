"""Writes to MLflow 3 logged models."""
import json
import secrets

from django.db import transaction

from ..choices import LifecycleStage, LoggedModelStatus
from ..exceptions import InvalidParameter, NotFound
from ..models import Experiment, LoggedModel, LoggedModelParam, LoggedModelTag, Run
from ..models.base import now_ms
from ..selectors.tracking import runs_readable
from .artifacts import artifact_path_to_uri
from .common import experiment_authorize, require_text, upsert_key_values, validate_key_value

MODEL_VERSIONS_TAG = "mlflow.modelVersions"
# MLflow refuses these in a logged model's name (they would break models:/ URIs and artifact paths).
_NAME_FORBIDDEN = ("/", ":", ".", "%", '"', "'")
_NAME_WORDS = (("brave", "calm", "eager", "gentle", "keen", "lucid", "merry", "nimble", "quiet", "sunny"),
               ("otter", "heron", "lynx", "maple", "river", "comet", "finch", "cedar", "badger", "willow"))


def logged_model_name_check(name: str | None) -> str:
    """The name MLflow would store: a given name without its forbidden characters, or a generated one."""
    if name is None:
        adjective, noun = (secrets.choice(words) for words in _NAME_WORDS)
        return f"{adjective}-{noun}-{secrets.randbelow(1000)}"
    if not isinstance(name, str) or not name or any(char in name for char in _NAME_FORBIDDEN):
        raise InvalidParameter(f"Invalid model name ({name!r}) provided. Model name must be a non-empty string "
                               f"and cannot contain the following characters: {_NAME_FORBIDDEN}")
    return require_text(name, "name", max_length=500)


def logged_model_create(
    *,
    experiment: Experiment,
    actor,
    name: str | None = None,
    source_run: Run | None = None,
    source_run_id: str = "",
    model_type: str = "",
    params: list[tuple[str, str]] = (),
    tags: list[tuple[str, str]] = (),
) -> LoggedModel:
    """A logged model in `experiment` (EDIT on it). As MLflow, `source_run_id` is recorded as given (the run need
    not be on this server), but a run of this server counts only if `actor` may read it: its metrics are evidence."""
    experiment_authorize(actor=actor, experiment=experiment)
    name = logged_model_name_check(name)
    if source_run is None and source_run_id and Run.objects.filter(pk=source_run_id).exists():
        source_run = runs_readable(actor).filter(pk=source_run_id).first()
        if source_run is None:
            raise NotFound(f"Run with id={source_run_id} not found")
    if experiment.lifecycle_stage != LifecycleStage.ACTIVE:
        raise InvalidParameter(f"The experiment {experiment.pk} must be in the 'active' state.")
    clean_params = [validate_key_value(k, v, what="param") for k, v in params]
    clean_tags = [validate_key_value(k, v, what="tag") for k, v in tags]
    source_run_id = source_run.pk if source_run is not None else source_run_id
    with transaction.atomic():
        model = LoggedModel(experiment=experiment, name=name, source_run_id=source_run_id or None,
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


def logged_model_link_version(*, logged_model: LoggedModel, name: str, version: int) -> None:
    """Add a registered version to the logged model's `mlflow.modelVersions` tag, as MLflow's server does.

    Called inside the registering transaction. The tag holds a JSON list of {"name", "version"} objects,
    the version an integer as MLflow writes it; an entry already there is not added twice.
    """
    entry = {"name": name, "version": version}
    # The logged model's row lock orders registrations of two models from one logged model, so neither entry is lost.
    LoggedModel.objects.select_for_update().filter(pk=logged_model.pk).first()
    tag = LoggedModelTag.objects.filter(logged_model=logged_model, key=MODEL_VERSIONS_TAG).first()
    try:
        entries = json.loads(tag.value) if tag is not None else []
    except ValueError:
        entries = []
    if not isinstance(entries, list):
        entries = []
    if entry not in entries:
        entries.append(entry)
    upsert_key_values(LoggedModelTag, "logged_model", logged_model, [(MODEL_VERSIONS_TAG, json.dumps(entries))])
