"""Webhook events: their names, which audited change raises which, and the payload each ecosystem expects.

Every change that matters is recorded once, by the audit service; the approvals app hears each recorded event
(Governance.on_audit_recorded) and turns the ones below into webhook events. The names are MLflow 3's for
MLflow's events and the same `{entity}.{action}` style for the governance events MLflow does not have.
"""
from __future__ import annotations

from dataclasses import dataclass

from models_app.choices import AuditAction
from models_app.models import AuditEvent, ModelVersion, RegisteredModel

MLFLOW_EVENTS = (
    "registered_model.created",
    "model_version.created",
    "model_version_tag.set",
    "model_version_tag.deleted",
    "model_version_alias.created",
    "model_version_alias.deleted",
)
GOVERNANCE_EVENTS = (
    "model_version.stage_transitioned",
    "review_request.created",
    "review_request.approved",
    "review_request.rejected",
    "review_request.cancelled",
    "review_request.applied",
    "validation_run.passed",
    "validation_run.failed",
    "policy.changed",
    "model_version_comment.created",
)
WEBHOOK_EVENTS = MLFLOW_EVENTS + GOVERNANCE_EVENTS

_BY_AUDIT_ACTION = {
    AuditAction.REGISTERED_MODEL_CREATED: "registered_model.created",
    AuditAction.MODEL_VERSION_CREATED: "model_version.created",
    AuditAction.MODEL_VERSION_TAG_SET: "model_version_tag.set",
    AuditAction.MODEL_VERSION_TAG_DELETED: "model_version_tag.deleted",
    AuditAction.ALIAS_SET: "model_version_alias.created",
    AuditAction.ALIAS_DELETED: "model_version_alias.deleted",
    AuditAction.MODEL_VERSION_STAGE_CHANGED: "model_version.stage_transitioned",
    AuditAction.REVIEW_REQUESTED: "review_request.created",
    AuditAction.REVIEW_APPROVED: "review_request.approved",
    AuditAction.REVIEW_REJECTED: "review_request.rejected",
    AuditAction.REVIEW_CANCELLED: "review_request.cancelled",
    AuditAction.REVIEW_APPLIED: "review_request.applied",
    AuditAction.POLICY_CREATED: "policy.changed",
    AuditAction.POLICY_UPDATED: "policy.changed",
    AuditAction.POLICY_DELETED: "policy.changed",
    AuditAction.VERSION_COMMENT_CREATED: "model_version_comment.created",
}

# Databricks registry webhook event names for the events it has.
DATABRICKS_EVENT_NAMES = {
    "registered_model.created": "REGISTERED_MODEL_CREATED",
    "model_version.created": "MODEL_VERSION_CREATED",
    "model_version_tag.set": "MODEL_VERSION_TAG_SET",
    "model_version.stage_transitioned": "MODEL_VERSION_TRANSITIONED_STAGE",
    "review_request.created": "TRANSITION_REQUEST_CREATED",
    "model_version_comment.created": "COMMENT_CREATED",
}
DATABRICKS_STAGE_EVENTS = {"Staging": "MODEL_VERSION_TRANSITIONED_TO_STAGING",
                           "Production": "MODEL_VERSION_TRANSITIONED_TO_PRODUCTION",
                           "Archived": "MODEL_VERSION_TRANSITIONED_TO_ARCHIVED"}


@dataclass(frozen=True)
class RaisedEvent:
    """A webhook event raised by one recorded change: its name, model and MLflow-style `data`."""

    name: str
    registered_model_name: str
    data: dict


def event_name_for(audit_event: AuditEvent) -> str | None:
    if audit_event.action == AuditAction.VALIDATION_FINISHED:
        return "validation_run.passed" if audit_event.details.get("status") == "PASSED" else "validation_run.failed"
    return _BY_AUDIT_ACTION.get(audit_event.action)


def event_raised_by(audit_event: AuditEvent) -> RaisedEvent | None:
    """The webhook event of a recorded change, read inside its transaction (None: it raises none)."""
    name = event_name_for(audit_event)
    if name is None:
        return None
    builder = _DATA_BUILDERS[name.split(".")[0]]
    return RaisedEvent(name=name, registered_model_name=audit_event.registered_model_name,
                       data=builder(audit_event))


def _version_of(event: AuditEvent) -> ModelVersion | None:
    name, _, number = event.object_id.rpartition("/")
    return ModelVersion.objects.filter(registered_model__name=name, version=number).first() if number.isdigit() \
        else None


def _registered_model_data(event: AuditEvent) -> dict:
    model = RegisteredModel.objects.filter(name=event.registered_model_name).first()
    tags = {tag.key: tag.value for tag in model.tags.all()} if model else {}
    return {"name": event.registered_model_name, "tags": tags, "description": model.description if model else None}


def _model_version_data(event: AuditEvent) -> dict:
    details, data = event.details, {"name": event.registered_model_name}
    # The version number from the details, or from the event's object id ("<model>/<version>").
    number = str(details.get("version", event.object_id.rpartition("/")[2]))
    if event.action == AuditAction.MODEL_VERSION_STAGE_CHANGED:
        return {**data, "version": number, "from_stage": details["from_stage"],
                "to_stage": details["to_stage"], "review_request_id": details.get("review_request_id"),
                "actor": event.actor_name}
    version = _version_of(event)
    return {**data, "version": number, "source": details.get("source", ""),
            "run_id": details.get("run_id"),
            "tags": {tag.key: tag.value for tag in version.tags.all()} if version else {},
            "description": (version.description or None) if version else None}


def _tag_data(event: AuditEvent) -> dict:
    data = {"name": event.registered_model_name, "version": event.object_id.rpartition("/")[2],
            "key": event.details["key"]}
    if event.action == AuditAction.MODEL_VERSION_TAG_SET:
        data["value"] = event.details["value"]
    return data


def _alias_data(event: AuditEvent) -> dict:
    data = {"name": event.registered_model_name, "alias": event.details["alias"]}
    if event.action == AuditAction.ALIAS_SET:
        data["version"] = str(event.details["to_version"])
    return data


def _review_request_data(event: AuditEvent) -> dict:
    from .models import ReviewRequest

    request = ReviewRequest.objects.filter(pk=event.object_id).first()
    data = {"id": int(event.object_id), "name": event.registered_model_name, "actor": event.actor_name,
            "comment": event.details.get("comment", "")}
    if request is not None:
        data.update(version=str(request.version_number) if request.version_number else None,
                    action=request.action, target_stage=request.target_stage, target_alias=request.target_alias,
                    from_stage=request.version_stage_at_request, status=request.status,
                    requester=request.requester_name)
    return data


def _validation_run_data(event: AuditEvent) -> dict:
    details = event.details
    return {"id": int(event.object_id), "name": event.registered_model_name, "version": str(details["version"]),
            "target": details.get("target", ""), "status": details["status"],
            "review_request_id": details.get("review_request"), "summary": details.get("summary", "")}


def _policy_data(event: AuditEvent) -> dict:
    details = event.details
    return {"id": int(event.object_id), "name": details.get("name", ""), "model_pattern": details.get("model_pattern"),
            "change": event.action.rpartition(".")[2], "actor": event.actor_name,
            "before": details.get("before"), "after": details.get("after")}


def _comment_data(event: AuditEvent) -> dict:
    return {"name": event.registered_model_name, "version": str(event.details["version"]),
            "id": event.object_id, "comment": event.details["comment"], "actor": event.actor_name}


_DATA_BUILDERS = {
    "model_version_comment": _comment_data,
    "registered_model": _registered_model_data,
    "model_version": _model_version_data,
    "model_version_tag": _tag_data,
    "model_version_alias": _alias_data,
    "review_request": _review_request_data,
    "validation_run": _validation_run_data,
    "policy": _policy_data,
}


def example_data(event: str) -> dict:
    """The data of a test delivery: the shape of the event, with placeholder values (MLflow's test_webhook)."""
    entity = event.split(".")[0]
    examples = {
        "registered_model": {"name": "example_model", "tags": {"example_key": "example_value"},
                             "description": "An example registered model"},
        "model_version": {"name": "example_model", "version": "1", "source": "models:/123", "run_id": "abcd1234",
                          "tags": {"example_key": "example_value"}, "description": "An example model version",
                          "from_stage": "Staging", "to_stage": "Production"},
        "model_version_tag": {"name": "example_model", "version": "1", "key": "example_key",
                              "value": "example_value"},
        "model_version_alias": {"name": "example_model", "alias": "example_alias", "version": "1"},
    }
    return examples.get(entity, {"name": "example_model", "version": "1", "id": 1})


def databricks_payload(*, event: str, webhook_id: str, timestamp_ms: int, data: dict) -> dict:
    """The Databricks registry's flat payload for one event."""
    from_stage, to_stage = data.get("from_stage", ""), data.get("to_stage") or data.get("target_stage", "")
    name = DATABRICKS_EVENT_NAMES.get(event, event.upper().replace(".", "_"))
    payload = {"event": name, "webhook_id": webhook_id, "event_timestamp": timestamp_ms,
               "model_name": data.get("name", ""), "version": data.get("version") or "",
               "from_stage": from_stage, "to_stage": to_stage, "text": _text(event, data)}
    if event == "model_version.stage_transitioned":
        payload["specific_event"] = DATABRICKS_STAGE_EVENTS.get(to_stage, "")
    return payload


def _text(event: str, data: dict) -> str:
    model, version = data.get("name", ""), data.get("version")
    subject = f"Registered model '{model}'" + (f" version {version}" if version else "")
    if event == "model_version.stage_transitioned":
        return f"{subject} transitioned from {data.get('from_stage')} to {data.get('to_stage')}."
    return f"{subject}: {event}."
