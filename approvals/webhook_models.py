"""Webhooks: subscriptions, the outbox of deliveries written with each change, and the log of every attempt.

A delivery row is the outbox: it is inserted in the transaction that records the change (see
services/webhooks.py), so it exists exactly when the change committed. Celery sends it after commit; the beat
dispatcher sends again whatever is still PENDING once its lease has run out, so a process that died between the
commit and the send loses nothing.
"""
import fnmatch
import uuid

from django.conf import settings
from django.db import models

from models_app.models import RegisteredModel

from .webhook_crypto import secret_decrypt, secret_encrypt


class WebhookStatus(models.TextChoices):
    ACTIVE = "ACTIVE", "Active"
    DISABLED = "DISABLED", "Disabled"


class WebhookPayloadFormat(models.TextChoices):
    MLFLOW = "mlflow", "MLflow 3 ({entity, action, timestamp, data}, X-MLflow-Signature)"
    DATABRICKS = "databricks", "Databricks registry (flat, X-Databricks-Signature)"


class DeliveryStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    DELIVERED = "DELIVERED", "Delivered"
    FAILED = "FAILED", "Failed"


def _webhook_id() -> str:
    return uuid.uuid4().hex


class Webhook(models.Model):
    """A subscription: which events of which models are posted where, signed with which secret.

    Scope: `registered_model` set: that model's events only; `model_pattern` set: models whose normalised
    name matches the shell-style pattern; neither: every event of the registry (policy changes included).
    The secret is stored encrypted (Fernet, REGISTRY_WEBHOOK_SECRET_KEY); only the sender decrypts it.
    """

    webhook_id = models.CharField(max_length=32, unique=True, default=_webhook_id, editable=False)
    name = models.CharField(max_length=63)
    description = models.TextField(blank=True)
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list)  # event names, `{entity}.{action}`
    # Databricks' stage-specific events: {"model_version.stage_transitioned": ["Staging"], ...}; an event not
    # listed here is heard for every stage.
    event_stages = models.JSONField(default=dict, blank=True)
    secret_encrypted = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=WebhookStatus.choices, default=WebhookStatus.ACTIVE)
    payload_format = models.CharField(max_length=12, choices=WebhookPayloadFormat.choices,
                                      default=WebhookPayloadFormat.MLFLOW)
    registered_model = models.ForeignKey(RegisteredModel, null=True, blank=True, on_delete=models.CASCADE,
                                         related_name="webhooks")
    model_pattern = models.CharField(max_length=256, blank=True)  # name_normalize()d
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="webhooks")
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~(models.Q(registered_model__isnull=False) & ~models.Q(model_pattern="")),
                                   name="webhook_one_scope"),
        ]
        # webhooks_matching(): the active subscriptions, read once per recorded event.
        indexes = [models.Index(fields=["status"], name="webhook_status_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.webhook_id})"

    @property
    def secret(self) -> str:
        return secret_decrypt(self.secret_encrypted)

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_encrypted = secret_encrypt(value) if value else ""

    @property
    def scope_label(self) -> str:
        if self.registered_model_id:
            return f"model {self.registered_model.name}"
        return f"models matching {self.model_pattern}" if self.model_pattern else "registry-wide"

    def covers(self, *, event: str, normalized_model_name: str, registered_model_id: int | None,
               stage: str = "") -> bool:
        """Whether an event of that model (none: a registry-level event such as policy.changed) is for this hook."""
        if event not in self.events or (event in self.event_stages and stage not in self.event_stages[event]):
            return False
        if self.registered_model_id:
            return registered_model_id == self.registered_model_id
        if self.model_pattern:
            return bool(normalized_model_name) and fnmatch.fnmatchcase(normalized_model_name, self.model_pattern)
        return True


class WebhookDelivery(models.Model):
    """One event for one webhook: the outbox row, its payload frozen when the change was recorded."""

    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=64)
    registered_model_name = models.CharField(max_length=256, blank=True)
    data = models.JSONField(default=dict)
    occurred_at = models.DateTimeField()
    is_test = models.BooleanField(default=False)
    replay_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replays")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # A sender holds the row until then; a sender that died lets it run out and the dispatcher sends again.
    lease_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # webhook_deliveries_dispatch_pending(): PENDING rows due now.
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.event} -> {self.webhook_id} ({self.status})"


class WebhookDeliveryAttempt(models.Model):
    """The log of one POST: what was sent, what came back, how long it took."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempt = models.PositiveSmallIntegerField()
    url = models.URLField(max_length=2000)
    request_headers = models.JSONField(default=dict)
    request_body = models.TextField()
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["delivery", "attempt"]

    def __str__(self) -> str:
        return f"attempt {self.attempt} of {self.delivery_id}: {self.response_status or self.error}"
