"""Registry rows as MLflow's JSON messages.

Types follow what the MLflow client's protobuf parser enforces: ids and versions are strings,
timestamps integers, tags/params/metrics lists of {"key", "value"}. Reads only what the selectors
prefetched; nothing here queries on its own.
"""
import json

from ..models import Experiment, LoggedModel, ModelVersion, RegisteredModel, Run
from ..selectors.registry import latest_versions_per_stage


def key_values(rows) -> list[dict]:
    return [{"key": row.key, "value": row.value} for row in rows]


def metric_value(value, is_nan: bool = False):
    # JSON has no NaN; the client's protobuf parser reads the string "NaN" as a double.
    return "NaN" if is_nan or value is None else value


def experiment_json(experiment: Experiment) -> dict:
    return {
        "experiment_id": str(experiment.pk),
        "name": experiment.name,
        "artifact_location": experiment.artifact_location,
        "lifecycle_stage": experiment.lifecycle_stage,
        "creation_time": experiment.creation_time,
        "last_update_time": experiment.last_update_time,
        "tags": key_values(experiment.tags.all()),
    }


def run_info_json(run: Run) -> dict:
    info = {
        "run_id": run.pk,
        "run_uuid": run.pk,
        "experiment_id": str(run.experiment_id),
        "run_name": run.name,
        "user_id": run.user_id,
        "status": run.status,
        "start_time": run.start_time,
        "end_time": run.end_time,
        "artifact_uri": run.artifact_uri,
        "lifecycle_stage": run.lifecycle_stage,
    }
    return {key: value for key, value in info.items() if value is not None}


def run_json(run: Run, *, with_model_inputs: bool = False) -> dict:
    metrics = [
        {"key": m.key, "value": metric_value(m.value, m.is_nan), "timestamp": m.timestamp, "step": m.step}
        for m in run.latest_metrics.all()
    ]
    inputs = [
        {"tags": run_input.tags, "dataset": dataset_json(run_input.dataset)} for run_input in run.inputs.all()
    ]
    outputs = [{"model_id": output.model_id, "step": output.step} for output in run.outputs.all()]
    run_inputs = {"dataset_inputs": inputs} if inputs else {}
    if with_model_inputs and (model_inputs := [{"model_id": row.model_id} for row in run.model_inputs.all()]):
        run_inputs["model_inputs"] = model_inputs
    return {
        "info": run_info_json(run),
        "data": {"metrics": metrics, "params": key_values(run.params.all()), "tags": key_values(run.tags.all())},
        "inputs": run_inputs,
        "outputs": {"model_outputs": outputs} if outputs else {},
    }


def dataset_json(dataset) -> dict:
    return {"name": dataset.name, "digest": dataset.digest, "source_type": dataset.source_type,
            "source": dataset.source, "schema": dataset.schema, "profile": dataset.profile}


def metric_point_json(metric) -> dict:
    return {"key": metric.key, "value": metric_value(metric.value, getattr(metric, "is_nan", False)),
            "timestamp": metric.timestamp, "step": metric.step}


def logged_model_json(model: LoggedModel) -> dict:
    info = {
        "model_id": model.model_id,
        "experiment_id": str(model.experiment_id),
        "name": model.name,
        "artifact_uri": model.artifact_location,
        "status": model.status,
        "status_message": model.status_message,
        "creation_timestamp_ms": model.creation_timestamp_ms,
        "last_updated_timestamp_ms": model.last_updated_timestamp_ms,
        "model_type": model.model_type,
        "source_run_id": model.source_run_id or "",
        "tags": key_values(model.tags.all()),
    }
    metrics = [
        {**metric_point_json(m), "run_id": m.run_id, "model_id": model.model_id,
         **({"dataset_name": m.dataset_name} if m.dataset_name else {}),
         **({"dataset_digest": m.dataset_digest} if m.dataset_digest else {})}
        for m in model.metrics.all()
    ]
    return {"info": info, "data": {"params": key_values(model.params.all()), "metrics": metrics}}


def model_version_json(version: ModelVersion, job_states: dict | None = None) -> dict:
    """`job_states`: {version pk: deployment_job_state message} (selectors.registry.deployment_job_states)."""
    data = {
        "name": version.registered_model.name,
        "version": str(version.version),
        "creation_timestamp": version.creation_timestamp,
        "last_updated_timestamp": version.last_updated_timestamp,
        "user_id": version.user_id,
        "current_stage": version.stage,
        "description": version.description,
        "source": version.source,
        "run_id": version.run_id or "",
        "status": version.status,
        "status_message": version.status_message,
        "run_link": version.run_link,
        "tags": key_values(version.tags.all()),
        "aliases": [alias.alias for alias in version.aliases.all()],
    }
    if version.logged_model_id:
        data["model_id"] = version.logged_model_id
    if job_states and (state := job_states.get(version.pk)):
        data["deployment_job_state"] = state
    return data


def registered_model_latest_versions(model: RegisteredModel) -> list[ModelVersion]:
    versions = getattr(model, "all_versions", None)
    if versions is None:
        versions = list(model.versions.all())
    return latest_versions_per_stage(versions)


def registered_model_json(model: RegisteredModel, job_states: dict | None = None,
                          job_ids: dict | None = None) -> dict:
    """`job_states` as for model_version_json; `job_ids`: {model pk: deployment_job_id}."""
    data = {
        "name": model.name,
        "creation_timestamp": model.creation_timestamp,
        "last_updated_timestamp": model.last_updated_timestamp,
        "description": model.description,
        "latest_versions": [model_version_json(v, job_states) for v in registered_model_latest_versions(model)],
        "tags": key_values(model.tags.all()),
        "aliases": [{"alias": a.alias, "version": str(a.model_version.version)} for a in model.aliases.all()],
    }
    if job_ids and (job_id := job_ids.get(model.pk)):
        data["deployment_job_id"] = job_id
    return data


def evaluation_dataset_json(dataset, experiment_ids: list[str] | None = None) -> dict:
    """MLflow's Dataset message (datasets.proto): tags, schema and profile are JSON text, as MLflow sends them."""
    data = {
        "dataset_id": dataset.dataset_id,
        "name": dataset.name,
        "tags": json.dumps({tag.key: tag.value for tag in dataset.tags.all()}),
        "digest": dataset.digest,
        "created_time": dataset.created_time,
        "last_update_time": dataset.last_update_time,
    }
    for field in ("schema", "profile", "created_by", "last_updated_by"):
        if getattr(dataset, field) is not None:
            data[field] = getattr(dataset, field)
    if experiment_ids is not None:
        data["experiment_ids"] = experiment_ids
    return data


def evaluation_record_dict(record) -> dict:
    """One record as MLflow's DatasetRecord.to_dict() gives it (records/get sends a JSON list of these)."""
    data = {"dataset_record_id": record.dataset_record_id, "dataset_id": record.dataset_id, "inputs": record.inputs,
            "tags": record.tags or {}, "created_time": record.created_time,
            "last_update_time": record.last_update_time}
    for field in ("outputs", "expectations", "source", "source_id", "source_type", "created_by", "last_updated_by"):
        if getattr(record, field) is not None:
            data[field] = getattr(record, field)
    return data
