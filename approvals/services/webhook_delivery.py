"""Sending webhook deliveries: claim, sign, post, log, retry with backoff, disable after repeated failure.

Steps of one send (webhook_delivery_send):
1. claim the PENDING delivery with a lease (a second message for it, or the dispatcher, finds it taken);
2. build the body in the webhook's format and sign it (MLflow: v1,base64 HMAC of "id.timestamp.body";
   Databricks: hex HMAC of the body);
3. post once to the checked, pinned address (webhook_http.post), outside any transaction;
4. log the attempt; on 2xx the delivery is DELIVERED; on 429, 5xx, a timeout or a connection error it is
   retried after base * 2^(attempt-1) seconds (capped) until REGISTRY_WEBHOOK_MAX_ATTEMPTS; anything else
   (other 4xx, a refused URL) fails it at once. A failed delivery counts against its webhook, which is
   disabled after REGISTRY_WEBHOOK_DISABLE_AFTER_FAILURES failed deliveries in a row.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .. import webhook_http
from ..webhook_crypto import WebhookSecretUnreadable
from ..webhook_events import databricks_payload
from ..webhook_models import (
    DeliveryStatus,
    Webhook,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookPayloadFormat,
    WebhookStatus,
)

logger = logging.getLogger(__name__)

SEND_WEBHOOK_DELIVERY_TASK = "approvals.webhook_delivery_send"
MLFLOW_HEADERS = ("X-MLflow-Delivery-Id", "X-MLflow-Timestamp", "X-MLflow-Signature")
DATABRICKS_SIGNATURE_HEADER = "X-Databricks-Signature"


def webhook_delivery_dispatch(delivery_id: int) -> bool:
    """Hand the delivery to a worker; a broker that is down leaves it PENDING for the beat dispatcher."""
    try:
        current_app.signature(SEND_WEBHOOK_DELIVERY_TASK, args=[delivery_id]).apply_async(retry=False)
    except Exception as error:  # kombu/redis raise many connection error types
        if current_app.conf.task_always_eager:
            raise
        logger.warning("Webhook delivery #%s stays PENDING: the broker did not take it (%s).", delivery_id, error)
        return False
    return True


def webhook_deliveries_dispatch_pending(*, limit: int = 500) -> int:
    """Beat: send every PENDING delivery that is due and that no sender holds (its dispatch was lost)."""
    now = timezone.now()
    due = (WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
           .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now)).order_by("next_attempt_at")
           .values_list("pk", flat=True)[:limit])
    sent = 0
    for pk in list(due):
        sent += webhook_delivery_dispatch(pk)
    return sent


def _claim(delivery_id: int) -> WebhookDelivery | None:
    now = timezone.now()
    lease = now + timedelta(seconds=settings.REGISTRY_WEBHOOK_LEASE_SECONDS)
    claimed = (WebhookDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
               .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
               .update(lease_until=lease, attempts=F("attempts") + 1))
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)


def mlflow_signature(secret: str, delivery_id: str, timestamp: str, body: str) -> str:
    digest = hmac.new(secret.encode(), f"{delivery_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return f"v1,{base64.b64encode(digest).decode()}"


def databricks_signature(secret: str, body: str) -> str:
    return hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()


def request_build(delivery: WebhookDelivery, secret: str) -> tuple[str, dict]:
    """The body and headers of one attempt, in the webhook's format, signed when it has a secret."""
    webhook = delivery.webhook
    headers = {"Content-Type": "application/json", "User-Agent": "model-governance-registry-webhooks"}
    if webhook.payload_format == WebhookPayloadFormat.DATABRICKS:
        body = json.dumps(databricks_payload(event=delivery.event, webhook_id=webhook.webhook_id,
                                             timestamp_ms=int(delivery.occurred_at.timestamp() * 1000),
                                             data=delivery.data))
        if secret:
            headers[DATABRICKS_SIGNATURE_HEADER] = databricks_signature(secret, body)
        return body, headers
    entity, _, action = delivery.event.partition(".")
    body = json.dumps({"entity": entity, "action": action, "timestamp": delivery.occurred_at.isoformat(),
                       "data": delivery.data})
    delivery_id, timestamp = str(delivery.delivery_id), str(int(time.time()))
    headers.update({"X-MLflow-Delivery-Id": delivery_id, "X-MLflow-Timestamp": timestamp})
    if secret:
        headers["X-MLflow-Signature"] = mlflow_signature(secret, delivery_id, timestamp, body)
    return body, headers


def _retryable(response: webhook_http.Response) -> bool:
    if response.refused:
        return False
    return response.status is None or response.status == 429 or response.status >= 500


def _backoff(attempt: int) -> float:
    return min(settings.REGISTRY_WEBHOOK_BACKOFF_SECONDS * 2 ** (attempt - 1),
               settings.REGISTRY_WEBHOOK_BACKOFF_MAX_SECONDS)


def webhook_delivery_send(delivery_id: int, *, max_attempts: int | None = None) -> WebhookDelivery | None:
    """Send one attempt of a delivery (see the module's steps); None when another sender holds it or it is done."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    webhook = delivery.webhook
    if webhook.status != WebhookStatus.ACTIVE and not delivery.is_test:
        return _finish(delivery, DeliveryStatus.FAILED, status_code=None, error="the webhook is disabled")
    try:
        secret = webhook.secret
    except WebhookSecretUnreadable as error:
        return _finish(delivery, DeliveryStatus.FAILED, status_code=None, error=str(error))
    body, headers = request_build(delivery, secret)
    sent_at = timezone.now()
    response = webhook_http.post(webhook.url, body=body.encode(), headers=headers)
    WebhookDeliveryAttempt.objects.create(
        delivery=delivery, attempt=delivery.attempts, url=webhook.url,
        request_headers={k: v for k, v in headers.items() if "Signature" not in k} | _signature_note(headers),
        request_body=body, response_status=response.status, response_body=response.body, error=response.error,
        duration_ms=response.duration_ms, sent_at=sent_at)
    if response.status is not None and 200 <= response.status < 300:
        return _finish(delivery, DeliveryStatus.DELIVERED, status_code=response.status, error="")
    error = response.error or f"HTTP {response.status}"
    limit = max_attempts or settings.REGISTRY_WEBHOOK_MAX_ATTEMPTS
    if _retryable(response) and delivery.attempts < limit:
        return _retry_later(delivery, status_code=response.status, error=error)
    return _finish(delivery, DeliveryStatus.FAILED, status_code=response.status, error=error)


def _signature_note(headers: dict) -> dict:
    """The log keeps that a signature was sent, not the signature (it is a MAC over the logged body)."""
    return {k: "(sent)" for k in headers if "Signature" in k}


def _retry_later(delivery: WebhookDelivery, *, status_code, error: str) -> WebhookDelivery:
    delay = _backoff(delivery.attempts)
    delivery.next_attempt_at = timezone.now() + timedelta(seconds=delay)
    delivery.lease_until, delivery.last_status_code, delivery.last_error = None, status_code, error
    delivery.save(update_fields=["next_attempt_at", "lease_until", "last_status_code", "last_error"])
    try:
        current_app.signature(SEND_WEBHOOK_DELIVERY_TASK, args=[delivery.pk]).apply_async(countdown=delay, retry=False)
    except Exception as failure:  # the beat dispatcher sends it when it is due
        if current_app.conf.task_always_eager:
            raise
        logger.warning("Retry of webhook delivery #%s left to the dispatcher (%s).", delivery.pk, failure)
    return delivery


def _finish(delivery: WebhookDelivery, status: str, *, status_code, error: str) -> WebhookDelivery:
    with transaction.atomic():
        delivery.status, delivery.last_status_code, delivery.last_error = status, status_code, error
        delivery.lease_until = None
        delivery.delivered_at = timezone.now() if status == DeliveryStatus.DELIVERED else None
        delivery.save(update_fields=["status", "last_status_code", "last_error", "lease_until", "delivered_at"])
        if not delivery.is_test:
            _count_outcome(delivery.webhook_id, delivered=status == DeliveryStatus.DELIVERED, error=error)
    return delivery


def _count_outcome(webhook_pk: int, *, delivered: bool, error: str) -> None:
    if delivered:
        Webhook.objects.filter(pk=webhook_pk).update(consecutive_failures=0)
        return
    webhook = Webhook.objects.select_for_update().get(pk=webhook_pk)
    webhook.consecutive_failures += 1
    fields = ["consecutive_failures"]
    if (webhook.status == WebhookStatus.ACTIVE
            and webhook.consecutive_failures >= settings.REGISTRY_WEBHOOK_DISABLE_AFTER_FAILURES):
        webhook.status = WebhookStatus.DISABLED
        webhook.disabled_reason = (f"Disabled after {webhook.consecutive_failures} failed deliveries in a row; "
                                   f"last: {error}")
        fields += ["status", "disabled_reason"]
    webhook.save(update_fields=fields)
