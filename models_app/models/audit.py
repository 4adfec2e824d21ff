"""Append-only audit events, chained by hash so that editing or deleting history is detectable."""
import hashlib
import json

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One governance-relevant write. `hash` covers this event's fields and the previous event's hash."""

    created_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_name = models.CharField(max_length=256, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    entry_point = models.CharField(max_length=32, blank=True)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=600)
    # Denormalised so the audit log filters by model without joins, and survives the model's deletion.
    registered_model_name = models.CharField(max_length=256, blank=True, db_index=True)
    details = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"

    def compute_hash(self) -> str:
        payload = {
            "created_at": self.created_at.isoformat(),
            "actor_name": self.actor_name,
            "action": self.action,
            "entry_point": self.entry_point,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "registered_model_name": self.registered_model_name,
            "details": self.details,
            "prev_hash": self.prev_hash,
        }
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


class AuditChainHead(models.Model):
    """A single row holding the chain's last hash and length.

    Appending locks it, which serialises writers; it also lets verify_audit notice deleted tail events.
    """

    GENESIS_HASH = "0" * 64

    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    length = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"audit chain ({self.length} events)"
