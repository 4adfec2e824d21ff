"""MLflow 3 logged-model messages: /api/2.0/mlflow/logged-models[/<model_id>[/tags|/params]]."""
from ..selectors import search
from ..selectors.tracking import experiment_get
from ..selectors.tracking import logged_model_get as _logged_model_get
from ..services import logged_models as services
from .base import mlflow_view, ok, paged
from .representations import logged_model_json
from .schema import ARRAY, ENUM, INT, REQUIRED, STRING, STRING_ITEMS, Schema


def logged_model_get(*, model_id: str, actor):
    # As MLflow's store: only logged-models/get hides deleted models; the writes still reach them.
    return _logged_model_get(model_id=model_id, actor=actor, allow_deleted=True)


def _model_json(model_id: str, actor, *, allow_deleted: bool = True) -> dict:
    return {"model": logged_model_json(_logged_model_get(model_id=model_id, actor=actor,
                                                         allow_deleted=allow_deleted))}


@mlflow_view(schema=Schema(experiment_id=(STRING, REQUIRED), name=(STRING,), model_type=(STRING,),
                           source_run_id=(STRING,), params=(ARRAY,), tags=(ARRAY,)))
def create_logged_model(request, fields, actor):
    model = services.logged_model_create(
        experiment=experiment_get(experiment_id=fields.text("experiment_id"), actor=actor), actor=actor,
        # Without a name (or with an empty one) the server generates one, as MLflow's does.
        name=fields.raw("name") or None,
        source_run_id=fields.text("source_run_id", required=False),
        model_type=fields.text("model_type", required=False),
        params=fields.key_values("params"),
        tags=fields.key_values("tags"),
    )
    return ok(_model_json(model.model_id, actor))


@mlflow_view
def get_logged_model(request, fields, actor, model_id):
    return ok(_model_json(model_id, actor, allow_deleted=fields.boolean("allow_deleted")))


@mlflow_view(schema=Schema(status=(ENUM, REQUIRED)))
def finalize_logged_model(request, fields, actor, model_id):
    services.logged_model_finalize(logged_model=logged_model_get(model_id=model_id, actor=actor),
                                    status=fields.text("status"), actor=actor)
    return ok(_model_json(model_id, actor))


@mlflow_view
def delete_logged_model(request, fields, actor, model_id):
    services.logged_model_delete(logged_model=logged_model_get(model_id=model_id, actor=actor), actor=actor)
    return ok()


@mlflow_view(schema=Schema(tags=(ARRAY,)))
def set_logged_model_tags(request, fields, actor, model_id):
    services.logged_model_set_tags(logged_model=logged_model_get(model_id=model_id, actor=actor),
                                   tags=fields.key_values("tags"), actor=actor)
    return ok()


@mlflow_view
def delete_logged_model_tag(request, fields, actor, model_id, tag_key):
    services.logged_model_delete_tag(logged_model=logged_model_get(model_id=model_id, actor=actor), key=tag_key,
                                     actor=actor)
    return ok()


@mlflow_view(schema=Schema(params=(ARRAY,)))
def log_logged_model_params(request, fields, actor, model_id):
    services.logged_model_log_params(logged_model=logged_model_get(model_id=model_id, actor=actor),
                                     params=fields.key_values("params"), actor=actor)
    return ok()


@mlflow_view(schema=Schema(experiment_ids=(ARRAY, STRING_ITEMS, REQUIRED), filter=(STRING,),
                           datasets=(ARRAY,), max_results=(INT,), order_by=(ARRAY,), page_token=(STRING,)))
def search_logged_models(request, fields, actor):
    page = search.logged_model_search(
        actor=actor,
        experiment_ids=fields.strings("experiment_ids"),
        filter_string=fields.text("filter", required=False),
        datasets=fields.objects("datasets"),
        max_results=fields.integer("max_results"),
        order_by=fields.objects("order_by"),
        page_token=fields.text("page_token", required=False) or None,
    )
    return ok(paged({"models": [logged_model_json(model) for model in page.items]}, page))
