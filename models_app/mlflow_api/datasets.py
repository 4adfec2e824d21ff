"""MLflow 3 evaluation-dataset messages: /api/3.0/mlflow/datasets/* (mlflow.genai.datasets).

As in MLflow, `tags` and `records` travel as JSON text inside the JSON body, and records/get answers its
records as JSON text too.
"""
import json

from ..exceptions import InvalidParameter, NotFound
from ..selectors import evaluation_datasets as selectors
from ..services import evaluation_datasets as services
from .base import mlflow_view, ok, paged
from .representations import evaluation_dataset_json, evaluation_record_dict


def _json_text(fields, name: str, *, required: bool):
    text = fields.text(name, required=required)
    if not text:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
        raise InvalidParameter(f"Parameter '{name}' must be JSON text, got {text[:80]!r}.") from None


def _dataset(dataset_id: str, actor, *, write: bool = False):
    return selectors.evaluation_dataset_get(dataset_id=dataset_id, actor=actor, write=write)


@mlflow_view
def create_dataset(request, fields, actor):
    experiment_ids = fields.strings("experiment_ids")
    dataset = services.evaluation_dataset_create(name=fields.text("name"), actor=actor,
                                                 tags=_json_text(fields, "tags", required=False),
                                                 experiment_ids=experiment_ids)
    fresh = _dataset(dataset.dataset_id, actor)
    return ok({"dataset": evaluation_dataset_json(fresh, selectors.evaluation_dataset_experiment_ids(dataset=fresh))})


@mlflow_view
def get_dataset(request, fields, actor, dataset_id):
    return ok({"dataset": evaluation_dataset_json(_dataset(dataset_id, actor))})


@mlflow_view
def delete_dataset(request, fields, actor, dataset_id):
    # MLflow answers a missing dataset with success (it only logs a warning).
    if (dataset := selectors.evaluation_dataset_find(dataset_id=dataset_id, actor=actor, write=True)) is not None:
        services.evaluation_dataset_delete(dataset=dataset)
    return ok()


@mlflow_view
def search_datasets(request, fields, actor):
    page = selectors.evaluation_dataset_search(
        actor=actor, experiment_ids=fields.strings("experiment_ids"),
        filter_string=fields.text("filter_string", required=False) or None,
        max_results=fields.integer("max_results"), order_by=fields.strings("order_by"),
        page_token=fields.text("page_token", required=False) or None,
    )
    return ok(paged({"datasets": [evaluation_dataset_json(dataset) for dataset in page.items]}, page))


@mlflow_view
def set_dataset_tags(request, fields, actor, dataset_id):
    tags = _json_text(fields, "tags", required=True)
    dataset = selectors.evaluation_dataset_find(dataset_id=dataset_id, actor=actor, write=True)
    if dataset is None:
        raise NotFound(f"Could not find evaluation dataset with ID {dataset_id}")  # MLflow's words for this call
    services.evaluation_dataset_set_tags(dataset=dataset, tags=tags)
    return ok()


@mlflow_view
def delete_dataset_tag(request, fields, actor, dataset_id, key):
    if (dataset := selectors.evaluation_dataset_find(dataset_id=dataset_id, actor=actor, write=True)) is not None:
        services.evaluation_dataset_delete_tag(dataset=dataset, key=key)
    return ok()


@mlflow_view
def upsert_dataset_records(request, fields, actor, dataset_id):
    records = _json_text(fields, "records", required=True)
    counts = services.evaluation_dataset_upsert_records(dataset=_dataset(dataset_id, actor, write=True),
                                                        records=records)
    return ok({"inserted_count": counts["inserted"], "updated_count": counts["updated"]})


@mlflow_view
def get_dataset_records(request, fields, actor, dataset_id):
    records, token = selectors.evaluation_dataset_records(
        dataset=_dataset(dataset_id, actor), max_results=fields.integer("max_results"),
        page_token=fields.text("page_token", required=False) or None)
    payload = {"records": json.dumps([evaluation_record_dict(record) for record in records])}
    if token:
        payload["next_page_token"] = token
    return ok(payload)


@mlflow_view
def delete_dataset_records(request, fields, actor, dataset_id):
    deleted = services.evaluation_dataset_delete_records(dataset=_dataset(dataset_id, actor, write=True),
                                                         record_ids=fields.strings("dataset_record_ids"))
    return ok({"deleted_count": deleted})


@mlflow_view
def get_dataset_experiment_ids(request, fields, actor, dataset_id):
    dataset = _dataset(dataset_id, actor)
    return ok({"experiment_ids": selectors.evaluation_dataset_experiment_ids(dataset=dataset)})


@mlflow_view
def add_dataset_to_experiments(request, fields, actor, dataset_id):
    dataset = services.evaluation_dataset_add_experiments(actor=actor, dataset=_dataset(dataset_id, actor, write=True),
                                                          experiment_ids=fields.strings("experiment_ids"))
    return ok({"dataset": evaluation_dataset_json(_dataset(dataset.dataset_id, actor))})


@mlflow_view
def remove_dataset_from_experiments(request, fields, actor, dataset_id):
    dataset = services.evaluation_dataset_remove_experiments(dataset=_dataset(dataset_id, actor, write=True),
                                                             experiment_ids=fields.strings("experiment_ids"))
    return ok({"dataset": evaluation_dataset_json(_dataset(dataset.dataset_id, actor))})
