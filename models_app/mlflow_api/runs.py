"""MLflow run messages: /api/2.0/mlflow/runs/* and metrics/get-history."""
from ..choices import EntryPoint
from ..exceptions import InvalidParameter
from ..selectors import search
from ..selectors.tracking import experiment_get, metric_history, run_get
from ..services import runs as services
from ..services.runs import DatasetInput, MetricPoint
from .base import mlflow_view, offset_token_decode, offset_token_encode, ok, paged
from .representations import metric_point_json, run_info_json, run_json

API = EntryPoint.MLFLOW_API
MAX_HISTORY_PAGE = 25_000


def _run(fields, actor):
    # The client sends both run_id and the older run_uuid, with the same value.
    return run_get(run_id=fields.text("run_id", required=False) or fields.text("run_uuid", required=False),
                   actor=actor)


@mlflow_view
def create_run(request, fields, actor):
    experiment = experiment_get(experiment_id=fields.text("experiment_id", required=False, default="0"), actor=actor)
    run = services.run_create(
        experiment=experiment, actor=actor, user_id=fields.text("user_id", required=False),
        run_name=fields.text("run_name", required=False), start_time=fields.integer("start_time"),
        tags=fields.key_values("tags"),
    )
    return ok({"run": run_json(run_get(run_id=run.pk, actor=actor))})


@mlflow_view
def get_run(request, fields, actor):
    return ok({"run": run_json(_run(fields, actor))})


@mlflow_view
def update_run(request, fields, actor):
    run = services.run_update(
        run=_run(fields, actor), actor=actor, status=fields.text("status", required=False) or None,
        end_time=fields.integer("end_time"), run_name=fields.text("run_name", required=False) or None,
    )
    return ok({"run_info": run_info_json(run)})


@mlflow_view
def delete_run(request, fields, actor):
    services.run_delete(run=_run(fields, actor), actor=actor, entry_point=API)
    return ok()


@mlflow_view
def restore_run(request, fields, actor):
    services.run_restore(run=_run(fields, actor), actor=actor, entry_point=API)
    return ok()


@mlflow_view
def search_runs(request, fields, actor):
    page = search.run_search(
        actor=actor,
        experiment_ids=fields.strings("experiment_ids"),
        filter_string=fields.text("filter", required=False),
        run_view_type=fields.text("run_view_type", required=False, default="ACTIVE_ONLY"),
        max_results=fields.integer("max_results", default=1000),
        order_by=fields.strings("order_by"),
        page_token=fields.text("page_token", required=False) or None,
    )
    return ok(paged({"runs": [run_json(run) for run in page.items]}, page))


def _metric(item: dict) -> MetricPoint:
    return MetricPoint.parse(key=item.get("key"), value=item.get("value"), timestamp=item.get("timestamp"),
                             step=item.get("step"), model_id=item.get("model_id"))


@mlflow_view
def log_metric(request, fields, actor):
    point = _metric({name: fields.raw(name) for name in ("key", "value", "timestamp", "step", "model_id")})
    services.run_log_metric(run=_run(fields, actor), point=point, actor=actor)
    return ok()


@mlflow_view
def log_param(request, fields, actor):
    services.run_log_param(run=_run(fields, actor), key=fields.text("key"), value=fields.raw("value", ""), actor=actor)
    return ok()


@mlflow_view
def log_batch(request, fields, actor):
    services.run_log_batch(
        run=_run(fields, actor), actor=actor, metrics=[_metric(item) for item in fields.objects("metrics")],
        params=fields.key_values("params"), tags=fields.key_values("tags"),
    )
    return ok()


@mlflow_view
def set_tag(request, fields, actor):
    services.run_set_tag(run=_run(fields, actor), key=fields.text("key"), value=fields.raw("value", ""), actor=actor)
    return ok()


@mlflow_view
def delete_tag(request, fields, actor):
    services.run_delete_tag(run=_run(fields, actor), key=fields.text("key"), actor=actor)
    return ok()


def _dataset_input(item: dict) -> DatasetInput:
    dataset = item.get("dataset")
    if not isinstance(dataset, dict):
        raise InvalidParameter("Each entry of 'datasets' needs a 'dataset' object.")
    tags = tuple((tag.get("key"), tag.get("value")) for tag in item.get("tags") or [] if isinstance(tag, dict))
    return DatasetInput(name=dataset.get("name"), digest=dataset.get("digest"),
                        source_type=dataset.get("source_type") or "", source=dataset.get("source") or "",
                        schema=dataset.get("schema") or "", profile=dataset.get("profile") or "", tags=tags)


@mlflow_view
def log_inputs(request, fields, actor):
    inputs = [_dataset_input(item) for item in fields.objects("datasets")]
    services.run_log_inputs(run=_run(fields, actor), inputs=inputs, actor=actor)
    return ok()


@mlflow_view
def log_outputs(request, fields, actor):
    outputs = [(item.get("model_id"), item.get("step")) for item in fields.objects("models")]
    services.run_log_outputs(run=_run(fields, actor), outputs=outputs, actor=actor)
    return ok()


@mlflow_view
def get_metric_history(request, fields, actor):
    run = _run(fields, actor)
    size = min(fields.integer("max_results", default=MAX_HISTORY_PAGE), MAX_HISTORY_PAGE)
    if size < 1:
        raise InvalidParameter(f"Parameter 'max_results' must be at least 1, got {size}.")
    offset = offset_token_decode(fields.text("page_token", required=False))
    rows = list(metric_history(run=run, key=fields.text("metric_key"))[offset:offset + size + 1])
    payload = {"metrics": [metric_point_json(m) for m in rows[:size]]}
    if len(rows) > size:
        payload["next_page_token"] = offset_token_encode(offset + size)
    return ok(payload)
