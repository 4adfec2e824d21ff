"""The Databricks workspace registry's messages, in the shapes `databricks-sdk`'s `model_registry` sends.

/api/2.0/mlflow/transition-requests/*, databricks/model-versions/transition-stage, comments/*,
registry-webhooks/*, databricks/registered-models/get and /api/2.0/permissions/registered-models/{id}.
Each maps onto this registry's services: a transition request is a review request, an approval is a review
decision (the policy's quorum, approver group, separation of duties and validation gate all hold; an approve
that is not the last one needed leaves the request pending), a direct transition goes through the gate.
"""
from django.db import transaction
from django.urls import path

from models_app.choices import EntryPoint
from models_app.exceptions import InvalidParameter, NotFound
from models_app.mlflow_api.base import by_method, mlflow_view, ok
from models_app.selectors.registry import model_version_get, registered_model_get, registered_models_visible
from models_app.services.stages import model_version_transition_stage, stage_parse

from .choices import OPEN_REVIEW_STATUSES, ReviewAction
from .databricks_shapes import (
    activity_json,
    model_databricks_json,
    permissions_json,
    registry_webhook_json,
    version_databricks_json,
)
from .databricks_webhooks import registry_webhook_create, registry_webhook_test, registry_webhook_update
from .models import ReviewRequest
from .services import review_request_approve, review_request_cancel, review_request_create, review_request_reject
from .services.comments import (
    version_comment_create,
    version_comment_delete,
    version_comment_own,
    version_comment_update,
)
from .services.permissions import permission_remove, permission_set
from .services.webhooks import webhook_delete, webhook_get, webhooks_manageable

API = EntryPoint.MLFLOW_API  # the Databricks messages are part of the MLflow-compatible wire API


def _version(fields, actor):
    return model_version_get(name=fields.text("name"), version=fields.text("version"), actor=actor)


def _open_request(fields, actor, *, requester=None) -> ReviewRequest:
    version = _version(fields, actor)
    stage = stage_parse(fields.text("stage"))
    requests = ReviewRequest.objects.filter(model_version=version, action=ReviewAction.MOVE, target_stage=stage,
                                            status__in=OPEN_REVIEW_STATUSES)
    if requester is not None:
        requests = requests.filter(requester_name=requester)
    request = requests.select_related("registered_model").order_by("-id").first()
    if request is None:
        raise NotFound(f"No open transition request for version {version.version} of model "
                       f"'{version.registered_model.name}' to {stage}.")
    return request


@mlflow_view
def create_transition_request(request, fields, actor):
    created = review_request_create(version=_version(fields, actor), stage=fields.text("stage"), actor=actor,
                                    entry_point=API, comment=fields.text("comment", required=False))
    return ok({"request": activity_json(created, "REQUESTED_TRANSITION", request_shape=True)})


@mlflow_view
def approve_transition_request(request, fields, actor):
    decided = review_request_approve(request=_open_request(fields, actor), actor=actor, entry_point=API,
                                     comment=fields.text("comment", required=False))
    return ok({"activity": activity_json(decided, "APPROVED_REQUEST", actor=actor)})


@mlflow_view
def reject_transition_request(request, fields, actor):
    decided = review_request_reject(request=_open_request(fields, actor), actor=actor, entry_point=API,
                                    comment=fields.text("comment", required=False))
    return ok({"activity": activity_json(decided, "REJECTED_REQUEST", actor=actor)})


@mlflow_view(json_body=False)  # databricks-sdk sends a DELETE's fields in the query
def delete_transition_request(request, fields, actor):
    found = _open_request(fields, actor, requester=fields.text("creator"))
    cancelled = review_request_cancel(request=found, actor=actor, entry_point=API,
                                      comment=fields.text("comment", required=False))
    return ok({"activity": activity_json(cancelled, "CANCELLED_REQUEST", actor=actor)})


@mlflow_view
def list_transition_requests(request, fields, actor):
    version = _version(fields, actor)
    requests = (ReviewRequest.objects.filter(model_version=version, action=ReviewAction.MOVE,
                                             status__in=OPEN_REVIEW_STATUSES)
                .exclude(target_stage="").select_related("registered_model").order_by("id"))
    return ok({"requests": [activity_json(found, "REQUESTED_TRANSITION") for found in requests]})


@mlflow_view
def transition_stage(request, fields, actor):
    version = model_version_transition_stage(
        version=_version(fields, actor), to_stage=fields.text("stage"), actor=actor, entry_point=API,
        archive_existing=fields.boolean("archive_existing_versions"), reason=fields.text("comment", required=False))
    return ok({"model_version_databricks": version_databricks_json(version, actor)})


@mlflow_view
def get_registered_model(request, fields, actor):
    model = registered_model_get(name=fields.text("name"), actor=actor)
    return ok({"registered_model_databricks": model_databricks_json(model, actor)})


@mlflow_view
def create_comment(request, fields, actor):
    comment = version_comment_create(version=_version(fields, actor), comment=fields.raw("comment"), actor=actor,
                                     entry_point=API)
    return ok({"comment": _comment_json(comment)})


@mlflow_view
def update_comment(request, fields, actor):
    comment = version_comment_own(comment_id=fields.text("id"), actor=actor)
    return ok({"comment": _comment_json(version_comment_update(comment=comment, text=fields.raw("comment"),
                                                               actor=actor))})


@mlflow_view(json_body=False)  # databricks-sdk sends a DELETE's fields in the query
def delete_comment(request, fields, actor):
    version_comment_delete(comment=version_comment_own(comment_id=fields.text("id"), actor=actor), actor=actor)
    return ok()


def _comment_json(comment) -> dict:
    return {"id": str(comment.pk), "user_id": comment.user_name, "comment": comment.comment,
            "creation_timestamp": int(comment.created_at.timestamp() * 1000),
            "last_updated_timestamp": int(comment.updated_at.timestamp() * 1000),
            "available_actions": ["EDIT_COMMENT", "DELETE_COMMENT"]}


@mlflow_view
def create_registry_webhook(request, fields, actor):
    return ok({"webhook": registry_webhook_json(registry_webhook_create(fields, actor))})


@mlflow_view
def list_registry_webhooks(request, fields, actor):
    webhooks = webhooks_manageable(actor)
    if fields.text("model_name", required=False):
        webhooks = webhooks.filter(registered_model__name=fields.text("model_name"))
    wanted = set(fields.strings("events"))
    shown = [registry_webhook_json(webhook) for webhook in webhooks[:1000]]
    return ok({"webhooks": [w for w in shown if not wanted or wanted & set(w["events"])]})


@mlflow_view
def update_registry_webhook(request, fields, actor):
    webhook = webhook_get(actor=actor, webhook_id=fields.text("id"))
    return ok({"webhook": registry_webhook_json(registry_webhook_update(webhook, fields, actor))})


@mlflow_view(json_body=False)  # databricks-sdk sends a DELETE's fields in the query
def delete_registry_webhook(request, fields, actor):
    webhook_delete(webhook=webhook_get(actor=actor, webhook_id=fields.text("id")), actor=actor)
    return ok()


@mlflow_view
def test_registry_webhook(request, fields, actor):
    webhook = webhook_get(actor=actor, webhook_id=fields.text("id"))
    result = registry_webhook_test(webhook, fields.text("event", required=False))
    return ok({**result, "webhook": result})  # databricks-sdk reads the top level; the REST reference nests it


def _model_by_id(registered_model_id: str, actor):
    model = registered_models_visible(actor).filter(
        pk=registered_model_id if str(registered_model_id).isdigit() else 0).first()
    if model is None:
        raise NotFound(f"Registered model with id {registered_model_id} not found.")
    return model


@mlflow_view
def registered_model_permissions(request, fields, actor, registered_model_id):
    model = _model_by_id(registered_model_id, actor)
    if request.method in ("PUT", "PATCH"):
        _permissions_apply(model, fields, actor, replace=request.method == "PUT")
    return ok(permissions_json(model))


@mlflow_view
def registered_model_permission_levels(request, fields, actor, registered_model_id):
    _model_by_id(registered_model_id, actor)
    levels = ["CAN_READ", "CAN_EDIT", "CAN_MANAGE_STAGING_VERSIONS", "CAN_MANAGE_PRODUCTION_VERSIONS", "CAN_MANAGE"]
    return ok({"permission_levels": [{"permission_level": level, "description": level} for level in levels]})


def _permissions_apply(model, fields, actor, *, replace: bool) -> None:
    """PATCH adds or changes the listed grants; PUT makes the list the model's grants (others are removed)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    entries = fields.objects("access_control_list")
    principals = []
    for entry in entries:
        if entry.get("user_name"):
            user = get_user_model().objects.filter(username=entry["user_name"]).first()
            principal = {"user": user} if user else None
        elif entry.get("group_name"):
            group = Group.objects.filter(name=entry["group_name"]).first()
            principal = {"group": group} if group else None
        else:
            raise InvalidParameter("Each access control entry needs user_name or group_name.")
        if principal is None:
            raise InvalidParameter(f"No such user or group: {entry.get('user_name') or entry.get('group_name')}.")
        principals.append((principal, entry.get("permission_level")))
    with transaction.atomic():
        _grants_write(model, principals, actor, replace=replace)


def _grants_write(model, principals: list, actor, *, replace: bool) -> None:
    from .models import ModelPermission

    for principal, level in principals:
        permission_set(registered_model=model, level=level, actor=actor, entry_point=API, **principal)
    if replace:
        kept = {(p.get("user") and p["user"].pk, p.get("group") and p["group"].pk) for p, _ in principals}
        for grant in ModelPermission.objects.filter(registered_model=model).select_related("user", "group"):
            if (grant.user_id, grant.group_id) not in kept and grant.user_id != actor.pk:
                permission_remove(registered_model=model, actor=actor, entry_point=API,
                                  **({"user": grant.user} if grant.user_id else {"group": grant.group}))


# Served under /api/2.0/mlflow/ (and /ajax-api/2.0/mlflow/) ahead of models_app's routes; permissions apart.
urlpatterns = [
    path("transition-requests/create", by_method(POST=create_transition_request)),
    path("transition-requests/approve", by_method(POST=approve_transition_request)),
    path("transition-requests/reject", by_method(POST=reject_transition_request)),
    path("transition-requests/delete", by_method(DELETE=delete_transition_request)),
    path("transition-requests/list", by_method(GET=list_transition_requests)),
    path("databricks/model-versions/transition-stage", by_method(POST=transition_stage)),
    path("databricks/registered-models/get", by_method(GET=get_registered_model)),
    path("comments/create", by_method(POST=create_comment)),
    path("comments/update", by_method(PATCH=update_comment)),
    path("comments/delete", by_method(DELETE=delete_comment)),
    path("registry-webhooks/create", by_method(POST=create_registry_webhook)),
    path("registry-webhooks/list", by_method(GET=list_registry_webhooks)),
    path("registry-webhooks/update", by_method(PATCH=update_registry_webhook)),
    path("registry-webhooks/delete", by_method(DELETE=delete_registry_webhook)),
    path("registry-webhooks/test", by_method(POST=test_registry_webhook)),
]
permission_urlpatterns = [
    path("registered-models/<str:registered_model_id>", by_method(
        GET=registered_model_permissions, PUT=registered_model_permissions, PATCH=registered_model_permissions)),
    path("registered-models/<str:registered_model_id>/permissionLevels",
         by_method(GET=registered_model_permission_levels)),
]
