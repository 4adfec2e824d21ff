"""MLflow model-version messages: /api/2.0/mlflow/model-versions/*."""
from ..choices import EntryPoint
from ..selectors import search
from ..selectors.registry import deployment_job_states, model_version_get, model_version_with_details
from ..services import registry as services
from ..services.stages import model_version_transition_stage, stage_parse
from .base import mlflow_view, ok, paged
from .representations import model_version_json
from .schema import ARRAY, BOOL, INT, REQUIRED, STRING, STRING_ITEMS, Schema, at_most

API = EntryPoint.MLFLOW_API


def _version(fields, actor):
    return model_version_get(name=fields.text("name"), version=fields.text("version"), actor=actor)


def _version_json(version) -> dict:
    # Re-read with tags and aliases: the services return the row they wrote, without relations.
    fresh = model_version_with_details(type(version).objects.filter(pk=version.pk)).get()
    return {"model_version": with_job_state(fresh)}


def with_job_state(version) -> dict:
    """The version's message with its deployment_job_state, where governance has one."""
    return model_version_json(version, deployment_job_states([version]))


@mlflow_view(schema=Schema(name=(STRING, REQUIRED), source=(STRING, REQUIRED), run_id=(STRING,), tags=(ARRAY,),
                           run_link=(STRING,), description=(STRING,), model_id=(STRING,)))
def create_model_version(request, fields, actor):
    version = services.model_version_create(
        name=fields.text("name"), source=fields.text("source"), actor=actor, entry_point=API,
        run_id=fields.text("run_id", required=False) or None, model_id=fields.text("model_id", required=False) or None,
        run_link=fields.text("run_link", required=False), description=fields.text("description", required=False),
        tags=fields.key_values("tags"),
    )
    return ok(_version_json(version))


@mlflow_view(schema=Schema(name=(STRING, REQUIRED), version=(STRING, REQUIRED)))
def get_model_version(request, fields, actor):
    return ok({"model_version": with_job_state(_version(fields, actor))})


@mlflow_view(schema=Schema(name=(STRING, REQUIRED), version=(STRING, REQUIRED), description=(STRING,)))
def update_model_version(request, fields, actor):
    version = services.model_version_update(version=_version(fields, actor),
                                            description=fields.text("description", required=False),
                                            actor=actor, entry_point=API)
    return ok(_version_json(version))


@mlflow_view(schema=Schema(name=(STRING, REQUIRED), version=(STRING, REQUIRED)))
def delete_model_version(request, fields, actor):
    services.model_version_delete(version=_version(fields, actor), actor=actor, entry_point=API)
    return ok()


@mlflow_view(schema=Schema(name=(STRING, REQUIRED), version=(STRING, REQUIRED), stage=(STRING, REQUIRED),
                           archive_existing_versions=(BOOL,)).then(stage=stage_parse))
def transition_stage(request, fields, actor):
    version = model_version_transition_stage(
        version=_version(fields, actor), to_stage=fields.text("stage"), actor=actor, entry_point=API,
        archive_existing=fields.boolean("archive_existing_versions"),
    )
    return ok(_version_json(version))


@mlflow_view(schema=Schema(filter=(STRING,), max_results=(INT, at_most(200_000)),
                           order_by=(ARRAY, STRING_ITEMS), page_token=(STRING,)))
def search_model_versions(request, fields, actor):
    page = search.model_version_search(
        filter_string=fields.text("filter", required=False),
        max_results=fields.integer("max_results", default=10000),
        order_by=fields.strings("order_by"),
        page_token=fields.text("page_token", required=False) or None,
        actor=actor,
    )
    states = deployment_job_states(page.items)
    return ok(paged({"model_versions": [model_version_json(v, states) for v in page.items]}, page))


@mlflow_view
def get_download_uri(request, fields, actor):
    version = _version(fields, actor)
    return ok({"artifact_uri": version.storage_location or version.source})


@mlflow_view(schema=Schema(name=(STRING, REQUIRED), version=(STRING, REQUIRED), key=(STRING, REQUIRED),
                           value=(STRING,)))
def set_model_version_tag(request, fields, actor):
    services.model_version_set_tag(version=_version(fields, actor), key=fields.text("key"),
                                   value=fields.raw("value", ""), actor=actor, entry_point=API)
    return ok()


@mlflow_view(schema=Schema(name=(STRING, REQUIRED), version=(STRING, REQUIRED), key=(STRING, REQUIRED)))
def delete_model_version_tag(request, fields, actor):
    services.model_version_delete_tag(version=_version(fields, actor), key=fields.text("key"),
                                      actor=actor, entry_point=API)
    return ok()
