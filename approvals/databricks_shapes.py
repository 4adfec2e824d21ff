"""The JSON shapes of the Databricks registry (what databricks-sdk's `ml` dataclasses read)."""
from models_app.governance import PermissionLevel
from models_app.models import ModelVersion, RegisteredModel

from .models import ModelPermission, ReviewRequest
from .selectors import default_permission_level, permission_level_of
from .webhook_events import DATABRICKS_EVENT_NAMES, DATABRICKS_STAGE_EVENTS

_STAGE_REQUEST_EVENTS = {"Staging": "TRANSITION_REQUEST_TO_STAGING_CREATED",
                         "Production": "TRANSITION_REQUEST_TO_PRODUCTION_CREATED",
                         "Archived": "TRANSITION_REQUEST_TO_ARCHIVED_CREATED"}
# Databricks event -> (our event, the stage it is limited to, or "")
DATABRICKS_EVENTS = {
    **{name: (event, "") for event, name in DATABRICKS_EVENT_NAMES.items()},
    **{name: ("model_version.stage_transitioned", stage) for stage, name in DATABRICKS_STAGE_EVENTS.items()},
    **{name: ("review_request.created", stage) for stage, name in _STAGE_REQUEST_EVENTS.items()},
}


def _millis(moment) -> int | None:
    return int(moment.timestamp() * 1000) if moment else None


def activity_json(request: ReviewRequest, activity_type: str, *, request_shape: bool = False, actor=None) -> dict:
    """A transition request as Databricks' TransitionRequest (request_shape) or Activity."""
    if request_shape or activity_type == "REQUESTED_TRANSITION":
        data = {"to_stage": request.target_stage, "comment": request.comment, "user_id": request.requester_name,
                "creation_timestamp": _millis(request.created_at),
                "available_actions": ["APPROVE_TRANSITION_REQUEST", "REJECT_TRANSITION_REQUEST",
                                      "CANCEL_TRANSITION_REQUEST"]}
        if not request_shape:
            data.update(id=str(request.pk), activity_type=activity_type, from_stage=request.version_stage_at_request,
                        last_updated_timestamp=_millis(request.decided_at or request.created_at))
        return data
    review = request.reviews.filter(reviewer=actor).order_by("-id").first() if actor is not None else None
    comment = review.comment if review else ""
    return {"id": str(request.pk), "activity_type": activity_type, "from_stage": request.version_stage_at_request,
            "to_stage": request.target_stage, "user_id": actor.get_username() if actor else "", "comment": comment,
            "system_comment": f"Request #{request.pk} is {request.status}"
                              + (f": {request.status_message}" if request.status_message else "."),
            "creation_timestamp": _millis(review.created_at if review else request.created_at),
            "last_updated_timestamp": _millis(request.decided_at or request.created_at)}


def _level_name(actor, model) -> str:
    level = permission_level_of(user=actor, registered_model=model)
    return level.name if level > PermissionLevel.NONE else "CAN_READ"


def version_databricks_json(version: ModelVersion, actor) -> dict:
    return {"name": version.registered_model.name, "version": str(version.version),
            "creation_timestamp": version.creation_timestamp, "last_updated_timestamp": version.last_updated_timestamp,
            "user_id": version.user_id, "current_stage": version.stage, "description": version.description,
            "source": version.source, "run_id": version.run_id or "", "status": version.status,
            "permission_level": _level_name(actor, version.registered_model),
            "tags": [{"key": t.key, "value": t.value} for t in version.tags.all()]}


def model_databricks_json(model: RegisteredModel, actor) -> dict:
    latest = {}
    for version in model.versions.order_by("version"):
        latest[version.stage] = version
    return {"id": str(model.pk), "name": model.name, "description": model.description,
            "creation_timestamp": model.creation_timestamp, "last_updated_timestamp": model.last_updated_timestamp,
            "user_id": model.created_by.get_username() if model.created_by_id else "",
            "permission_level": _level_name(actor, model),
            "tags": [{"key": t.key, "value": t.value} for t in model.tags.all()],
            "latest_versions": [{"name": model.name, "version": str(v.version), "current_stage": v.stage}
                                for v in latest.values()]}


def permissions_json(model: RegisteredModel) -> dict:
    grants = ModelPermission.objects.filter(registered_model=model).select_related("user", "group")
    acl = [{"user_name": g.user.get_username()} if g.user_id else {"group_name": g.group.name} for g in grants]
    for entry, grant in zip(acl, grants, strict=True):
        entry["all_permissions"] = [{"permission_level": PermissionLevel(grant.level).name, "inherited": False}]
    default = default_permission_level()
    if default > PermissionLevel.NONE:
        acl.append({"group_name": "users", "all_permissions": [
            {"permission_level": default.name, "inherited": True, "inherited_from_object": ["/registered-models/"]}]})
    return {"object_id": f"/registered-models/{model.pk}", "object_type": "registered-model",
            "access_control_list": acl}


def registry_webhook_json(webhook) -> dict:
    names = []
    for event in webhook.events:
        stages = webhook.event_stages.get(event)
        if stages:
            table = DATABRICKS_STAGE_EVENTS if event == "model_version.stage_transitioned" else _STAGE_REQUEST_EVENTS
            names += [table[stage] for stage in stages if stage in table]
        else:
            names.append(DATABRICKS_EVENT_NAMES.get(event, event.upper().replace(".", "_")))
    return {"id": webhook.webhook_id, "events": names, "description": webhook.description,
            "status": webhook.status,
            "model_name": webhook.registered_model.name if webhook.registered_model_id else "",
            "http_url_spec": {"url": webhook.url, "enable_ssl_verification": True},
            "creation_timestamp": _millis(webhook.created_at), "last_updated_timestamp": _millis(webhook.updated_at)}

