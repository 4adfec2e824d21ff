"""MLflow 3 logged-model messages: /api/2.0/mlflow/logged-models[/<model_id>[/tags|/params]]."""
from ..selectors import search
from ..selectors.tracking import experiment_get, logged_model_get, run_get
from ..services import logged_models as services
from .base import mlflow_view, ok, paged
from .representations import logged_model_json


def _model_json(model_id: str, actor) -> dict:
    return {"model": logged_model_json(logged_model_get(model_id=model_id, actor=actor))}


@mlflow_view
def create_logged_model(request, fields, actor):
    source_run_id = fields.text("source_run_id", required=False)
    model = services.logged_model_create(
        experiment=experiment_get(experiment_id=fields.text("experiment_id"), actor=actor), actor=actor,
        name=fields.text("name", required=False),
        source_run=run_get(run_id=source_run_id, actor=actor) if source_run_id else None,
        model_type=fields.text("model_type", required=False),
        params=fields.key_values("params"),
        tags=fields.key_values("tags"),
    )
    return ok(_model_json(model.model_id, actor))


@mlflow_view
def get_logged_model(request, fields, actor, model_id):
    return ok(_model_json(model_id, actor))


@mlflow_view
def finalize_logged_model(request, fields, actor, model_id):
    services.logged_model_finalize(logged_model=logged_model_get(model_id=model_id, actor=actor),
                                    status=fields.text("status"), actor=actor)
    return ok(_model_json(model_id, actor))


@mlflow_view
def delete_logged_model(request, fields, actor, model_id):
    services.logged_model_delete(logged_model=logged_model_get(model_id=model_id, actor=actor), actor=actor)
    return ok()


@mlflow_view
def set_logged_model_tags(request, fields, actor, model_id):
    services.logged_model_set_tags(logged_model=logged_model_get(model_id=model_id, actor=actor),
                                   tags=fields.key_values("tags"), actor=actor)
    return ok()


@mlflow_view
def delete_logged_model_tag(request, fields, actor, model_id, tag_key):
    services.logged_model_delete_tag(logged_model=logged_model_get(model_id=model_id, actor=actor), key=tag_key,
                                     actor=actor)
    return ok()


@mlflow_view
def log_logged_model_params(request, fields, actor, model_id):
    services.logged_model_log_params(logged_model=logged_model_get(model_id=model_id, actor=actor),
                                     params=fields.key_values("params"), actor=actor)
    return ok()


@mlflow_view
def search_logged_models(request, fields, actor):
    page = search.logged_model_search(
        actor=actor,
        experiment_ids=fields.strings("experiment_ids"),
        filter_string=fields.text("filter", required=False),
        max_results=fields.integer("max_results", default=100),
        # MLflow 3 sends order_by as objects ({"field_name", "ascending", …}); the search reads them.
        order_by=fields.raw("order_by") or (),
        page_token=fields.text("page_token", required=False) or None,
    )
    return ok(paged({"models": [logged_model_json(model) for model in page.items]}, page))
