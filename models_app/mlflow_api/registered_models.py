"""MLflow registered-model messages: /api/2.0/mlflow/registered-models/*."""
from ..choices import EntryPoint
from ..models import RegisteredModel
from ..selectors import search
from ..selectors.registry import (
    deployment_job_ids,
    deployment_job_states,
    latest_versions_per_stage,
    model_version_by_alias,
    registered_model_get,
    registered_model_with_details,
)
from ..services import registry as services
from ..services.stages import (
    alias_name_validate,
    alias_validate,
    registered_model_alias_delete,
    registered_model_alias_set,
    version_number_parse,
)
from .base import mlflow_view, ok, paged
from .model_versions import with_job_state
from .representations import model_version_json, registered_model_json, registered_model_latest_versions
from .schema import ARRAY, INT, REQUIRED, STRING, STRING_ITEMS, Schema, at_most

API = EntryPoint.MLFLOW_API


def _detailed(model: RegisteredModel) -> RegisteredModel:
    return registered_model_with_details(RegisteredModel.objects.filter(pk=model.pk)).get()


def models_json(models: list[RegisteredModel]) -> list[dict]:
    """Registered-model messages with governance's deployment fields, in a fixed number of queries for the list."""
    states = deployment_job_states([v for model in models for v in registered_model_latest_versions(model)])
    job_ids = deployment_job_ids(models)
    return [registered_model_json(model, states, job_ids) for model in models]


def _model_json(model: RegisteredModel) -> dict:
    return {"registered_model": models_json([_detailed(model)])[0]}


def _model(fields, actor) -> RegisteredModel:
    return registered_model_get(name=fields.text("name"), actor=actor)


@mlflow_view(schema=Schema(name=(STRING, REQUIRED), tags=(ARRAY,), description=(STRING,)))
def create_registered_model(request, fields, actor):
    model = services.registered_model_create(
        name=fields.text("name"), actor=actor, entry_point=API,
        description=fields.text("description", required=False), tags=fields.key_values("tags"),
    )
    return ok(_model_json(model))


@mlflow_view(schema=Schema(name=(STRING, REQUIRED)))
def get_registered_model(request, fields, actor):
    return ok(_model_json(_model(fields, actor)))


@mlflow_view(schema=Schema(name=(STRING, REQUIRED), new_name=(STRING, REQUIRED)))
def rename_registered_model(request, fields, actor):
    model = services.registered_model_rename(registered_model=_model(fields, actor),
                                             new_name=fields.text("new_name"), actor=actor, entry_point=API)
    return ok(_model_json(model))


@mlflow_view(schema=Schema(name=(STRING, REQUIRED), description=(STRING,)))
def update_registered_model(request, fields, actor):
    model = services.registered_model_update(registered_model=_model(fields, actor),
                                             description=fields.text("description", required=False),
                                             actor=actor, entry_point=API)
    return ok(_model_json(model))


@mlflow_view(schema=Schema(name=(STRING, REQUIRED)))
def delete_registered_model(request, fields, actor):
    services.registered_model_delete(registered_model=_model(fields, actor), actor=actor, entry_point=API)
    return ok()


@mlflow_view(schema=Schema(filter=(STRING,), max_results=(INT, at_most(1000)),
                           order_by=(ARRAY, STRING_ITEMS), page_token=(STRING,)))
def search_registered_models(request, fields, actor):
    page = search.registered_model_search(
        filter_string=fields.text("filter", required=False),
        max_results=fields.integer("max_results", default=100),
        order_by=fields.strings("order_by"),
        page_token=fields.text("page_token", required=False) or None,
        actor=actor,
    )
    return ok(paged({"registered_models": models_json(page.items)}, page))


@mlflow_view(schema=Schema(name=(STRING, REQUIRED), key=(STRING, REQUIRED), value=(STRING,)))
def set_registered_model_tag(request, fields, actor):
    services.registered_model_set_tag(registered_model=_model(fields, actor), key=fields.text("key"),
                                      value=fields.raw("value", ""), actor=actor, entry_point=API)
    return ok()


@mlflow_view(schema=Schema(name=(STRING, REQUIRED), key=(STRING, REQUIRED)))
def delete_registered_model_tag(request, fields, actor):
    services.registered_model_delete_tag(registered_model=_model(fields, actor), key=fields.text("key"),
                                         actor=actor, entry_point=API)
    return ok()


@mlflow_view(schema=Schema(name=(STRING, REQUIRED), stages=(ARRAY, STRING_ITEMS)))
def get_latest_versions(request, fields, actor):
    model = _detailed(_model(fields, actor))
    versions = latest_versions_per_stage(model.all_versions, fields.strings("stages") or None)
    states = deployment_job_states(versions)
    return ok({"model_versions": [model_version_json(v, states) for v in versions]})


@mlflow_view(schema=Schema(name=(STRING, REQUIRED), alias=(STRING, REQUIRED), version=(STRING, REQUIRED)).then(
    alias=alias_validate, version=version_number_parse))
def set_alias(request, fields, actor):
    registered_model_alias_set(registered_model=_model(fields, actor), alias=fields.text("alias"),
                               version_number=fields.text("version"), actor=actor, entry_point=API)
    return ok()


@mlflow_view(schema=Schema(name=(STRING, REQUIRED), alias=(STRING, REQUIRED)).then(alias=alias_name_validate))
def get_alias(request, fields, actor):
    version = model_version_by_alias(name=fields.text("name"), alias=fields.text("alias"), actor=actor)
    return ok({"model_version": with_job_state(version)})


@mlflow_view(schema=Schema(name=(STRING, REQUIRED), alias=(STRING, REQUIRED)).then(alias=alias_name_validate))
def delete_alias(request, fields, actor):
    registered_model_alias_delete(registered_model=_model(fields, actor), alias=fields.text("alias"),
                                  actor=actor, entry_point=API)
    return ok()
