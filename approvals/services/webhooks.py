"""Webhooks: managing subscriptions, and writing the outbox row of each event in the transaction of its change.

Who manages what: a model's webhook needs CAN_MANAGE on that model; webhooks over a name pattern or the whole
registry see every model's events and are for governance admins only. A user who may not manage a webhook cannot
tell it exists (it is answered as not found).
"""
from __future__ import annotations

import re

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from models_app.exceptions import InvalidParameter, NotFound, PermissionDenied
from models_app.governance import PermissionLevel
from models_app.models import AuditEvent, RegisteredModel
from models_app.naming import name_normalize
from models_app.services.common import user_or_none

from ..models import ModelPermission
from ..selectors import default_permission_level, is_governance_admin, permission_level_of
from ..webhook_events import WEBHOOK_EVENTS, event_raised_by
from ..webhook_http import WebhookUrlRefused, url_resolve
from ..webhook_models import DeliveryStatus, Webhook, WebhookDelivery, WebhookPayloadFormat, WebhookStatus
from .webhook_delivery import webhook_delivery_dispatch

_NAME = re.compile(r"^(?=.{1,63}$)[a-z0-9]([a-z0-9._-]*[a-z0-9])?$", re.IGNORECASE)
_UNSET = object()


def webhooks_manageable(actor) -> QuerySet[Webhook]:
    """The webhooks `actor` may see and change: all for governance admins, else those of models they manage."""
    webhooks = Webhook.objects.select_related("registered_model")
    if is_governance_admin(actor):
        return webhooks
    if not getattr(actor, "is_authenticated", False):
        return webhooks.none()
    if default_permission_level() >= PermissionLevel.CAN_MANAGE:
        return webhooks.filter(registered_model__isnull=False)
    managed = ModelPermission.objects.filter(Q(user=actor) | Q(group__in=actor.groups.all()),
                                             level__gte=PermissionLevel.CAN_MANAGE)
    return webhooks.filter(registered_model__in=managed.values("registered_model_id"))


def webhook_get(*, actor, webhook_id: str) -> Webhook:
    webhook = webhooks_manageable(actor).filter(webhook_id=str(webhook_id)).first()
    if webhook is None:
        raise NotFound(f"Webhook with ID {webhook_id} not found.")
    return webhook


def _require_scope_rights(actor, registered_model: RegisteredModel | None, model_pattern: str) -> None:
    if registered_model is not None:
        if permission_level_of(user=actor, registered_model=registered_model) < PermissionLevel.CAN_MANAGE:
            raise PermissionDenied(f"A webhook on model '{registered_model.name}' needs CAN_MANAGE on it.")
    elif not is_governance_admin(actor):
        what = f"over models matching '{model_pattern}'" if model_pattern else "over the whole registry"
        raise PermissionDenied(f"A webhook {what} sees every matching model's events: governance admins only. "
                               f"Give a registered model to subscribe to one model's events.")


def _clean_events(events) -> list[str]:
    if not isinstance(events, list | tuple) or not events:
        raise InvalidParameter("Webhook events must be a non-empty list of event names such as "
                               "'model_version.created'.")
    unknown = [event for event in events if event not in WEBHOOK_EVENTS]
    if unknown:
        raise InvalidParameter(f"Unknown webhook event(s): {', '.join(map(str, unknown))}. Known events: "
                               f"{', '.join(WEBHOOK_EVENTS)}.")
    return list(dict.fromkeys(events))


def _clean(field: str, value, check) -> str:
    if not isinstance(value, str):
        raise InvalidParameter(f"Webhook {field} must be a string, got {type(value).__name__}.")
    return check(value)


def _check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise InvalidParameter(f"Webhook name {name!r} is invalid. It must start and end with a letter or digit, be "
                               f"less than 63 characters long, and contain only letters, digits, dots (.), "
                               f"underscores (_), and hyphens (-).")
    return name


def _check_url(url: str) -> str:
    try:
        url_resolve(url)
    except WebhookUrlRefused as refusal:
        raise InvalidParameter(str(refusal)) from None
    return url.strip()


def _check_choice(choices):
    def check(value: str) -> str:
        if value not in choices.values:
            raise InvalidParameter(f"Must be one of {', '.join(choices.values)}, got {value!r}.")
        return value
    return check


def webhook_create(*, actor, name: str, url: str, events, secret: str = "", description: str = "",
                   status: str = WebhookStatus.ACTIVE, payload_format: str = WebhookPayloadFormat.MLFLOW,
                   registered_model: RegisteredModel | None = None, model_pattern: str = "",
                   event_stages: dict | None = None) -> Webhook:
    """Subscribe `url` to `events` of one model, of models matching a pattern, or of the registry."""
    if registered_model is not None and model_pattern:
        raise InvalidParameter("Give a registered model or a model name pattern, not both.")
    _require_scope_rights(actor, registered_model, model_pattern)
    # The URL is checked last: it needs a DNS lookup, which the other fields' mistakes should not wait for.
    webhook = Webhook(name=_clean("name", name, _check_name), events=_clean_events(events),
                      description=_clean("description", description or "", str),
                      status=_clean("status", status or WebhookStatus.ACTIVE, _check_choice(WebhookStatus)),
                      payload_format=_clean("payload_format", payload_format or WebhookPayloadFormat.MLFLOW,
                                            _check_choice(WebhookPayloadFormat)),
                      registered_model=registered_model, model_pattern=name_normalize(model_pattern or ""),
                      event_stages=event_stages or {}, created_by=user_or_none(actor))
    webhook.url = _clean("url", url, _check_url)
    webhook.secret = _clean("secret", secret or "", str)
    webhook.save()
    return webhook


def webhook_update(*, webhook: Webhook, actor, name=_UNSET, url=_UNSET, events=_UNSET, secret=_UNSET,
                   description=_UNSET, status=_UNSET, payload_format=_UNSET, event_stages=_UNSET) -> Webhook:
    """Change the given fields; re-activating a webhook clears its failure count."""
    changes = {"name": (name, _check_name), "url": (url, _check_url), "description": (description, str),
               "status": (status, _check_choice(WebhookStatus)),
               "payload_format": (payload_format, _check_choice(WebhookPayloadFormat))}
    for field, (value, check) in changes.items():
        if value is not _UNSET and value is not None:
            setattr(webhook, field, _clean(field, value, check))
    if events is not _UNSET and events:
        webhook.events = _clean_events(events)
        if event_stages is not _UNSET:
            webhook.event_stages = event_stages or {}
    if secret is not _UNSET and secret is not None:
        webhook.secret = _clean("secret", secret, str)
    if status == WebhookStatus.ACTIVE:
        webhook.consecutive_failures, webhook.disabled_reason = 0, ""
    webhook.save()
    return webhook


def webhook_delete(*, webhook: Webhook, actor) -> None:
    webhook.delete()


def webhook_events_record(audit_event: AuditEvent) -> list[WebhookDelivery]:
    """Write one PENDING delivery per active webhook the event is for, in the caller's transaction.

    Runs inside the transaction that records the change: the rows commit with it or not at all. They are
    dispatched once it commits; the beat dispatcher sends any whose dispatch never happened.
    """
    raised = event_raised_by(audit_event)
    if raised is None:
        return []
    normalized = name_normalize(raised.registered_model_name) if raised.registered_model_name else ""
    model_id = (RegisteredModel.objects.filter(name=raised.registered_model_name).values_list("pk", flat=True)
                .first() if raised.registered_model_name else None)
    candidates = Webhook.objects.filter(status=WebhookStatus.ACTIVE).filter(
        Q(registered_model__isnull=True) | Q(registered_model_id=model_id))
    now = timezone.now()
    deliveries = [
        WebhookDelivery(webhook=webhook, event=raised.name, registered_model_name=raised.registered_model_name,
                        data=raised.data, occurred_at=audit_event.created_at, next_attempt_at=now)
        for webhook in candidates
        if webhook.covers(event=raised.name, normalized_model_name=normalized, registered_model_id=model_id,
                          stage=raised.data.get("to_stage") or raised.data.get("target_stage") or "")
    ]
    if deliveries:
        WebhookDelivery.objects.bulk_create(deliveries)
        ids = [delivery.pk for delivery in deliveries]
        transaction.on_commit(lambda: [webhook_delivery_dispatch(pk) for pk in ids], robust=True)
    return deliveries


def webhook_delivery_replay(*, delivery: WebhookDelivery, actor) -> WebhookDelivery:
    """Send a delivery's event again, as a new delivery with its own id and log."""
    webhook_get(actor=actor, webhook_id=delivery.webhook.webhook_id)
    with transaction.atomic():
        replay = WebhookDelivery.objects.create(
            webhook=delivery.webhook, event=delivery.event, registered_model_name=delivery.registered_model_name,
            data=delivery.data, occurred_at=delivery.occurred_at, next_attempt_at=timezone.now(),
            is_test=delivery.is_test, replay_of=delivery)
        transaction.on_commit(lambda: webhook_delivery_dispatch(replay.pk), robust=True)
    return replay


def webhook_test_delivery(*, webhook: Webhook, event: str | None = None) -> WebhookDelivery:
    """A delivery of example data for `event` (default: the webhook's first), logged like any other."""
    from ..webhook_events import example_data

    event = event or webhook.events[0]
    if event not in WEBHOOK_EVENTS:
        raise InvalidParameter(f"Unknown webhook event: {event}.")
    return WebhookDelivery.objects.create(webhook=webhook, event=event, data=example_data(event),
                                          occurred_at=timezone.now(), next_attempt_at=timezone.now(), is_test=True,
                                          status=DeliveryStatus.PENDING)
