"""Databricks registry webhooks (registry-webhooks/*) onto this registry's webhooks, in the Databricks format.

Databricks' event names are translated to the registry's (the stage-specific ones become the stage event limited
to that stage); `http_url_spec.secret` signs the body (X-Databricks-Signature). Job triggers, a custom
Authorization header and switching TLS verification off are refused rather than silently ignored. TEST_MODE is
stored as DISABLED: such a webhook gets test deliveries only, as in Databricks.
"""
from models_app.exceptions import InvalidParameter
from models_app.selectors.registry import registered_model_get

from .databricks_shapes import DATABRICKS_EVENTS
from .services.webhook_delivery import webhook_delivery_send
from .services.webhooks import webhook_create, webhook_test_delivery, webhook_update
from .webhook_models import WebhookPayloadFormat, WebhookStatus


def _events(names) -> tuple[list[str], dict]:
    if not isinstance(names, list) or not names:
        raise InvalidParameter("Registry webhook events must be a non-empty list such as ['MODEL_VERSION_CREATED'].")
    unknown = [name for name in names if name not in DATABRICKS_EVENTS]
    if unknown:
        raise InvalidParameter(f"Unknown registry webhook event(s): {', '.join(map(str, unknown))}. Known: "
                               f"{', '.join(DATABRICKS_EVENTS)}.")
    events, stages, everywhere = [], {}, set()
    for name in names:
        event, stage = DATABRICKS_EVENTS[name]
        events.append(event)
        (stages.setdefault(event, []).append(stage) if stage else everywhere.add(event))
    return list(dict.fromkeys(events)), {e: s for e, s in stages.items() if e not in everywhere}


def _status(value) -> str | None:
    if value in (None, ""):
        return None
    if value not in ("ACTIVE", "DISABLED", "TEST_MODE"):
        raise InvalidParameter(f"Registry webhook status must be ACTIVE, TEST_MODE or DISABLED, got {value!r}.")
    return WebhookStatus.ACTIVE if value == "ACTIVE" else WebhookStatus.DISABLED


def _http_spec(fields) -> dict:
    if fields.raw("job_spec") is not None:
        raise InvalidParameter("job_spec is not supported by this registry; use http_url_spec.")
    spec = fields.raw("http_url_spec")
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise InvalidParameter("http_url_spec must be an object with a url.")
    if spec.get("authorization"):
        raise InvalidParameter("http_url_spec.authorization is not supported; use secret (X-Databricks-Signature).")
    if spec.get("enable_ssl_verification") is False:
        raise InvalidParameter("TLS verification cannot be switched off for webhooks.")
    return spec


def registry_webhook_create(fields, actor):
    spec = _http_spec(fields)
    if not spec.get("url"):
        raise InvalidParameter("Missing value for required parameter 'http_url_spec.url'.")
    events, stages = _events(fields.raw("events"))
    model_name = fields.text("model_name", required=False)
    return webhook_create(
        actor=actor, name="databricks-registry-webhook", url=spec["url"], events=events, event_stages=stages,
        secret=spec.get("secret") or "", description=fields.text("description", required=False),
        status=_status(fields.raw("status")) or WebhookStatus.ACTIVE, payload_format=WebhookPayloadFormat.DATABRICKS,
        registered_model=registered_model_get(name=model_name, actor=actor) if model_name else None)


def registry_webhook_update(webhook, fields, actor):
    spec = _http_spec(fields)
    events, stages = _events(fields.raw("events")) if fields.raw("events") is not None else (None, None)
    return webhook_update(webhook=webhook, actor=actor, url=spec.get("url"), secret=spec.get("secret"),
                          events=events, event_stages=stages if events else None,
                          description=fields.raw("description"), status=_status(fields.raw("status")))


def registry_webhook_test(webhook, event_name: str) -> dict:
    """Send example data now; Databricks answers {body, status_code} of the receiver."""
    event = DATABRICKS_EVENTS[event_name][0] if event_name in DATABRICKS_EVENTS else None
    if event_name and event is None:
        raise InvalidParameter(f"Unknown registry webhook event: {event_name}.")
    delivery = webhook_delivery_send(webhook_test_delivery(webhook=webhook, event=event).pk, max_attempts=1)
    attempt = delivery.attempt_log.order_by("-attempt").first()
    if attempt is None or attempt.response_status is None:
        raise InvalidParameter(f"The test delivery failed: {delivery.last_error}")
    return {"status_code": attempt.response_status, "body": attempt.response_body}
