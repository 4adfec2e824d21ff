"""MLflow experiment messages: /api/2.0/mlflow/experiments/*."""
from ..choices import EntryPoint
from ..selectors import search
from ..selectors.tracking import experiment_get, experiment_get_by_name
from ..services import experiments as services
from .base import mlflow_view, ok, paged
from .representations import experiment_json
from .schema import ARRAY, ENUM, INT, REQUIRED, STRING, Schema

API = EntryPoint.MLFLOW_API


@mlflow_view(schema=Schema(name=(REQUIRED, STRING), artifact_location=(STRING,), tags=(ARRAY,)))
def create_experiment(request, fields, actor):
    experiment = services.experiment_create(
        name=fields.text("name"), actor=actor, entry_point=API,
        artifact_location=fields.text("artifact_location", required=False), tags=fields.key_values("tags"),
    )
    return ok({"experiment_id": str(experiment.pk)})


@mlflow_view(schema=Schema(experiment_id=(REQUIRED, STRING)))
def get_experiment(request, fields, actor):
    experiment = experiment_get(experiment_id=fields.text("experiment_id"), actor=actor)
    return ok({"experiment": experiment_json(experiment)})


@mlflow_view(schema=Schema(experiment_name=(REQUIRED, STRING)))
def get_experiment_by_name(request, fields, actor):
    experiment = experiment_get_by_name(name=fields.text("experiment_name"), actor=actor)
    return ok({"experiment": experiment_json(experiment)})


@mlflow_view(schema=Schema(view_type=(ENUM,), max_results=(INT,), order_by=(ARRAY,), filter=(STRING,),
                           page_token=(STRING,)))
def search_experiments(request, fields, actor):
    page = search.experiment_search(
        actor=actor,
        filter_string=fields.text("filter", required=False),
        view_type=fields.text("view_type", required=False, default="ACTIVE_ONLY"),
        max_results=fields.integer("max_results", default=1000),
        order_by=fields.strings("order_by"),
        page_token=fields.text("page_token", required=False) or None,
    )
    return ok(paged({"experiments": [experiment_json(e) for e in page.items]}, page))


@mlflow_view(schema=Schema(experiment_id=(REQUIRED, STRING), new_name=(STRING, REQUIRED)))
def update_experiment(request, fields, actor):
    experiment = experiment_get(experiment_id=fields.text("experiment_id"), actor=actor)
    services.experiment_rename(experiment=experiment, new_name=fields.text("new_name"), actor=actor, entry_point=API)
    return ok()


@mlflow_view(schema=Schema(experiment_id=(REQUIRED, STRING)))
def delete_experiment(request, fields, actor):
    experiment = experiment_get(experiment_id=fields.text("experiment_id"), actor=actor)
    services.experiment_delete(experiment=experiment, actor=actor, entry_point=API)
    return ok()


@mlflow_view(schema=Schema(experiment_id=(REQUIRED, STRING)))
def restore_experiment(request, fields, actor):
    experiment = experiment_get(experiment_id=fields.text("experiment_id"), actor=actor)
    services.experiment_restore(experiment=experiment, actor=actor, entry_point=API)
    return ok()


@mlflow_view(schema=Schema(experiment_id=(REQUIRED, STRING), key=(REQUIRED, STRING), value=(STRING,)))
def set_experiment_tag(request, fields, actor):
    experiment = experiment_get(experiment_id=fields.text("experiment_id"), actor=actor)
    services.experiment_set_tag(experiment=experiment, key=fields.text("key"), value=fields.raw("value", ""),
                                actor=actor)
    return ok()


@mlflow_view(schema=Schema(experiment_id=(REQUIRED, STRING), key=(REQUIRED, STRING)))
def delete_experiment_tag(request, fields, actor):
    experiment = experiment_get(experiment_id=fields.text("experiment_id"), actor=actor)
    services.experiment_delete_tag(experiment=experiment, key=fields.text("key"), actor=actor)
    return ok()
