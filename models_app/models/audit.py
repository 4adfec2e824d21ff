"""Append-only audit events, chained by keyed hash so that editing or deleting history is detectable.

Each event's `hash` is an HMAC-SHA256, under `settings.AUDIT_HMAC_KEY` (a secret the database does not hold),
of every field of the event and the previous event's hash. Someone who can edit the table but not read the key
cannot produce a valid hash for an edited, inserted or recomputed event; a deleted tail is caught by the head
checkpoint kept outside the database (`models_app.services.audit_checkpoint`).
"""
import datetime
import hashlib
import hmac
import json

from django.conf import settings
from django.db import models

HASH_SCHEME = 2


def canonical_json(payload: dict, *, ascii_only: bool = True) -> str:
    """One spelling per value: sorted keys, no spaces; ASCII escapes so any string encodes."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=ascii_only)


class AuditEvent(models.Model):
    """One governance-relevant write. `hash` covers every field of this event and the previous event's hash."""

    created_at = models.DateTimeField(db_index=True)
    # PROTECT: a user who appears in the record cannot be deleted (deactivate them instead); SET_NULL would
    # rewrite the recorded actor id, which the hash covers.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
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

    def _text_fields(self) -> dict:
        return {
            "actor_name": self.actor_name,
            "action": self.action,
            "entry_point": self.entry_point,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "registered_model_name": self.registered_model_name,
            "details": self.details,
            "prev_hash": self.prev_hash,
        }

    def hash_payload(self) -> dict:
        """Every recorded field, as the keyed hash sees it (the id is covered by the links and the checkpoint)."""
        return {
            "scheme": HASH_SCHEME,
            "created_at": self.created_at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            **self._text_fields(),
        }

    def compute_hash(self, key: bytes) -> str:
        return hmac.new(key, canonical_json(self.hash_payload()).encode(), hashlib.sha256).hexdigest()

    def compute_legacy_hash(self) -> str:
        """The unkeyed SHA-256 of the first releases, without the actor id.

        Only `verify_audit --rechain` relies on it, to check a chain written before keyed hashing once before it
        is re-keyed; verification never accepts it, or an attacker could recompute a chain in this scheme.
        """
        payload = {"created_at": self.created_at.isoformat(), **self._text_fields()}
        return hashlib.sha256(canonical_json(payload, ascii_only=False).encode()).hexdigest()


class AuditChainHead(models.Model):
    """A single row holding the chain's last hash and length.

    Appending locks it, which serialises writers. The row is in the database, so it only catches careless
    deletions; the signed checkpoint outside the database is what a deleted tail is compared against.
    """

    GENESIS_HASH = "0" * 64

    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    length = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"audit chain ({self.length} events)"
