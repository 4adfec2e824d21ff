"""MLflow 3's webhook messages: /api/2.0/mlflow/webhooks[/{id}[/test]] (and under /ajax-api/).

Field names, statuses (ACTIVE/DISABLED), events as `{"entity": "MODEL_VERSION", "action": "CREATED"}` and errors
are MLflow's, so `MlflowClient().create_webhook(...)` and `test_webhook(...)` work. Extensions, ignored by the
client: `registered_model_name` or `model_name_pattern` (the scope; MLflow's own webhooks are registry-wide, which
is for governance admins here), `payload_format` (`mlflow` or `databricks`), and, in answers, `registry_events`
with every subscribed event including the governance events MLflow's enums cannot express (they are left out of
`events`, which the client parses into its enums), and the failure count.
"""
import base64
import json

from django.urls import path

from models_app.exceptions import InvalidParameter
from models_app.mlflow_api.base import by_method, mlflow_view, ok
from models_app.selectors.registry import registered_model_get

from .services.webhook_delivery import webhook_delivery_send
from .services.webhooks import (
    webhook_create,
    webhook_delete,
    webhook_get,
    webhook_test_delivery,
    webhook_update,
    webhooks_manageable,
)
from .webhook_events import MLFLOW_EVENTS
from .webhook_models import DeliveryStatus, Webhook


def _event_name(item) -> str:
    if isinstance(item, str):
        return item
    if not isinstance(item, dict) or not isinstance(item.get("entity"), str) or not isinstance(item.get("action"), str):
        raise InvalidParameter(f"Each webhook event must be {{'entity': ..., 'action': ...}}, got {item!r}.")
    return f"{item['entity'].lower()}.{item['action'].lower()}"


def _events(fields, *, required: bool):
    value = fields.raw("events")
    if value is None and not required:
        return None
    if not isinstance(value, list) or not value:
        raise InvalidParameter(f"Webhook events must be a non-empty list of WebhookEvent objects: {value}.")
    return [_event_name(item) for item in value]


def _millis(moment) -> int:
    return int(moment.timestamp() * 1000)


def webhook_json(webhook: Webhook) -> dict:
    def event(name):
        entity, _, action = name.partition(".")
        return {"entity": entity.upper(), "action": action.upper()}

    payload = {
        "webhook_id": webhook.webhook_id, "name": webhook.name, "url": webhook.url,
        "events": [event(name) for name in webhook.events if name in MLFLOW_EVENTS],
        "status": webhook.status, "creation_timestamp": _millis(webhook.created_at),
        "last_updated_timestamp": _millis(webhook.updated_at),
        "registry_events": list(webhook.events), "payload_format": webhook.payload_format,
        "registered_model_name": webhook.registered_model.name if webhook.registered_model_id else "",
        "model_name_pattern": webhook.model_pattern, "consecutive_failures": webhook.consecutive_failures,
    }
    if webhook.description:
        payload["description"] = webhook.description
    if webhook.disabled_reason:
        payload["disabled_reason"] = webhook.disabled_reason
    return payload


@mlflow_view
def create_webhook(request, fields, actor):
    model_name = fields.text("registered_model_name", required=False)
    webhook = webhook_create(
        actor=actor, name=fields.text("name"), url=fields.text("url"), events=_events(fields, required=True),
        description=fields.text("description", required=False), secret=fields.text("secret", required=False),
        status=fields.text("status", required=False), payload_format=fields.text("payload_format", required=False),
        registered_model=registered_model_get(name=model_name, actor=actor) if model_name else None,
        model_pattern=fields.text("model_name_pattern", required=False))
    return ok({"webhook": webhook_json(webhook)})


def _offset(token: str) -> int:
    if not token:
        return 0
    try:
        offset = json.loads(base64.b64decode(token, validate=True))["offset"]
    except (ValueError, KeyError, TypeError):
        raise InvalidParameter(f"Invalid page token: {token!r}.") from None
    if not isinstance(offset, int) or offset < 0:
        raise InvalidParameter(f"Invalid page token: {token!r}.")
    return offset


@mlflow_view
def list_webhooks(request, fields, actor):
    max_results = fields.integer("max_results", default=100)
    if not 1 <= max_results <= 1000:
        raise InvalidParameter("max_results must be between 1 and 1000.")
    offset = _offset(fields.text("page_token", required=False))
    page = list(webhooks_manageable(actor)[offset:offset + max_results + 1])
    payload = {"webhooks": [webhook_json(webhook) for webhook in page[:max_results]]}
    if len(page) > max_results:
        payload["next_page_token"] = base64.b64encode(json.dumps({"offset": offset + max_results}).encode()).decode()
    return ok(payload)


@mlflow_view
def get_webhook(request, fields, actor, webhook_id):
    return ok({"webhook": webhook_json(webhook_get(actor=actor, webhook_id=webhook_id))})


@mlflow_view
def update_webhook(request, fields, actor, webhook_id):
    webhook = webhook_get(actor=actor, webhook_id=webhook_id)
    webhook = webhook_update(
        webhook=webhook, actor=actor, name=fields.raw("name") or None, url=fields.raw("url") or None,
        events=_events(fields, required=False), description=fields.raw("description"), secret=fields.raw("secret"),
        status=fields.raw("status") or None, payload_format=fields.raw("payload_format") or None)
    return ok({"webhook": webhook_json(webhook)})


@mlflow_view
def delete_webhook(request, fields, actor, webhook_id):
    webhook_delete(webhook=webhook_get(actor=actor, webhook_id=webhook_id), actor=actor)
    return ok()


@mlflow_view
def test_webhook(request, fields, actor, webhook_id):
    """Send example data for the event (default: the webhook's first) now, once, and say what came back."""
    webhook = webhook_get(actor=actor, webhook_id=webhook_id)
    event = fields.raw("event")
    delivery = webhook_test_delivery(webhook=webhook, event=_event_name(event) if event else None)
    delivery = webhook_delivery_send(delivery.pk, max_attempts=1)
    attempt = delivery.attempt_log.order_by("-attempt").first()
    result = {"success": delivery.status == DeliveryStatus.DELIVERED}
    if attempt is not None and attempt.response_status is not None:
        result.update(response_status=attempt.response_status, response_body=attempt.response_body)
    if not result["success"]:
        result["error_message"] = f"Failed to test webhook: {delivery.last_error}"
    return ok({"result": result})


# Served under /api/2.0/mlflow/ and /ajax-api/2.0/mlflow/ (registry_site/urls.py), ahead of models_app's routes.
urlpatterns = [
    path("webhooks", by_method(POST=create_webhook, GET=list_webhooks)),
    path("webhooks/<str:webhook_id>", by_method(GET=get_webhook, PATCH=update_webhook, DELETE=delete_webhook)),
    path("webhooks/<str:webhook_id>/test", by_method(POST=test_webhook)),
]
