"""MLflow run messages: /api/2.0/mlflow/runs/* and metrics/get-history."""
from ..choices import EntryPoint
from ..exceptions import InvalidParameter
from ..selectors import search
from ..selectors.tracking import experiment_get, metric_history, run_get
from ..services import runs as services
from ..services.runs import DatasetInput, MetricPoint
from .base import mlflow_view, offset_token_decode, offset_token_encode, ok, paged
from .representations import metric_point_json, run_info_json, run_json
from .schema import ARRAY, FLOAT, INT, REQUIRED, STRING, STRING_ITEMS, Schema, at_most, items_require

API = EntryPoint.MLFLOW_API
MAX_HISTORY_PAGE = 25_000


def _run(fields, actor):
    # The client sends both run_id and the older run_uuid, with the same value.
    return run_get(run_id=fields.text("run_id", required=False) or fields.text("run_uuid", required=False),
                   actor=actor)


@mlflow_view(schema=Schema(experiment_id=(STRING,), start_time=(INT,), run_name=(STRING,)))
def create_run(request, fields, actor):
    experiment = experiment_get(experiment_id=fields.text("experiment_id", required=False, default="0"), actor=actor)
    run = services.run_create(
        experiment=experiment, actor=actor, user_id=fields.text("user_id", required=False),
        run_name=fields.text("run_name", required=False), start_time=fields.integer("start_time"),
        tags=fields.key_values("tags"),
    )
    return ok({"run": run_json(run_get(run_id=run.pk, actor=actor))})


@mlflow_view(schema=Schema(run_id=(REQUIRED, STRING)))
def get_run(request, fields, actor):
    # As MLflow's runs/get (and not its runs/search), the answer lists the logged models the run used.
    return ok({"run": run_json(_run(fields, actor), with_model_inputs=True)})


@mlflow_view(schema=Schema(run_id=(REQUIRED, STRING), end_time=(INT,), status=(STRING,), run_name=(STRING,)))
def update_run(request, fields, actor):
    run = services.run_update(
        run=_run(fields, actor), actor=actor, status=fields.text("status", required=False) or None,
        end_time=fields.integer("end_time"), run_name=fields.text("run_name", required=False) or None,
    )
    return ok({"run_info": run_info_json(run)})


@mlflow_view(schema=Schema(run_id=(REQUIRED, STRING)))
def delete_run(request, fields, actor):
    services.run_delete(run=_run(fields, actor), actor=actor, entry_point=API)
    return ok()


@mlflow_view(schema=Schema(run_id=(REQUIRED, STRING)))
def restore_run(request, fields, actor):
    services.run_restore(run=_run(fields, actor), actor=actor, entry_point=API)
    return ok()


@mlflow_view(schema=Schema(experiment_ids=(ARRAY,), filter=(STRING,), max_results=(INT, at_most(50_000)),
                           order_by=(ARRAY, STRING_ITEMS)))
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
                             step=item.get("step"), model_id=item.get("model_id"),
                             dataset_name=item.get("dataset_name"), dataset_digest=item.get("dataset_digest"))


_METRIC_FIELDS = ("key", "value", "timestamp", "step", "model_id", "dataset_name", "dataset_digest")


@mlflow_view(schema=Schema(run_id=(REQUIRED, STRING), key=(REQUIRED, STRING), value=(REQUIRED, FLOAT),
                           timestamp=(INT, REQUIRED), step=(INT,), model_id=(STRING,), dataset_name=(STRING,),
                           dataset_digest=(STRING,)))
def log_metric(request, fields, actor):
    point = _metric({name: fields.raw(name) for name in _METRIC_FIELDS})
    services.run_log_metric(run=_run(fields, actor), point=point, actor=actor)
    return ok()


@mlflow_view(schema=Schema(run_id=(REQUIRED, STRING), key=(REQUIRED, STRING), value=(STRING,)))
def log_param(request, fields, actor):
    services.run_log_param(run=_run(fields, actor), key=fields.text("key"), value=fields.raw("value", ""), actor=actor)
    return ok()


@mlflow_view(schema=Schema(run_id=(STRING, REQUIRED),
                           metrics=(ARRAY, items_require("metrics", "key", "value", "timestamp")),
                           params=(ARRAY, items_require("params", "key")), tags=(ARRAY, items_require("tags", "key"))))
def log_batch(request, fields, actor):
    services.run_log_batch(
        run=_run(fields, actor), actor=actor, metrics=[_metric(item) for item in fields.objects("metrics")],
        params=fields.key_values("params"), tags=fields.key_values("tags"),
    )
    return ok()


@mlflow_view(schema=Schema(run_id=(REQUIRED, STRING), key=(REQUIRED, STRING), value=(STRING,)))
def set_tag(request, fields, actor):
    services.run_set_tag(run=_run(fields, actor), key=fields.text("key"), value=fields.raw("value", ""), actor=actor)
    return ok()


@mlflow_view(schema=Schema(run_id=(REQUIRED, STRING), key=(REQUIRED, STRING)))
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


@mlflow_view(schema=Schema(run_id=(REQUIRED, STRING), datasets=(ARRAY,), models=(ARRAY,)))
def log_inputs(request, fields, actor):
    services.run_log_inputs(run=_run(fields, actor), actor=actor,
                            inputs=[_dataset_input(item) for item in fields.objects("datasets")],
                            model_ids=[item.get("model_id") for item in fields.objects("models")])
    return ok()


@mlflow_view(schema=Schema(run_id=(REQUIRED, STRING), models=(REQUIRED, ARRAY)))
def log_outputs(request, fields, actor):
    outputs = [(item.get("model_id"), item.get("step")) for item in fields.objects("models")]
    services.run_log_outputs(run=_run(fields, actor), outputs=outputs, actor=actor)
    return ok()


@mlflow_view(schema=Schema(run_id=(STRING, REQUIRED), metric_key=(STRING, REQUIRED), page_token=(STRING,)))
def get_metric_history(request, fields, actor):
    requested = fields.integer("max_results", default=MAX_HISTORY_PAGE)
    if requested < 1:
        # MLflow's words, checked before the run is looked up.
        raise InvalidParameter(f"Invalid value {requested} for parameter 'max_results' supplied. "
                               "It must be a positive integer.")
    size = min(requested, MAX_HISTORY_PAGE)
    run = _run(fields, actor)
    offset = offset_token_decode(fields.text("page_token", required=False))
    rows = list(metric_history(run=run, key=fields.text("metric_key"))[offset:offset + size + 1])
    payload = {"metrics": [metric_point_json(m) for m in rows[:size]]}
    if len(rows) > size:
        payload["next_page_token"] = offset_token_encode(offset + size)
    return ok(payload)
