from django.db import transaction
from django.utils import timezone

from ..models import AuditChainHead, AuditEvent


def actor_display_name(actor) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "system" if actor is None else "anonymous"
    return actor.get_username()


def audit_record(
    *,
    action: str,
    actor,
    object_type: str,
    object_id: str,
    registered_model_name: str = "",
    entry_point: str = "",
    details: dict | None = None,
) -> AuditEvent:
    """Append one event to the hash chain, inside the caller's transaction.

    Locking the chain head serialises concurrent writers, so each event links to exactly one
    predecessor and the chain never forks.
    """
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        event = AuditEvent(
            created_at=timezone.now(),
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            actor_name=actor_display_name(actor),
            action=str(action),
            entry_point=str(entry_point),
            object_type=object_type,
            object_id=str(object_id),
            registered_model_name=registered_model_name,
            details=details or {},
            prev_hash=head.last_hash,
        )
        event.hash = event.compute_hash()
        event.save()
        head.last_hash = event.hash
        head.length += 1
        head.save(update_fields=["last_hash", "length"])
    return event


def audit_chain_verify() -> str | None:
    """Walk the chain in order; return a description of the first bad event, or None if intact."""
    expected_prev = AuditChainHead.GENESIS_HASH
    count = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != expected_prev:
            return f"event #{event.pk} ({event.action}): the event before it was deleted or changed"
        if event.compute_hash() != event.hash:
            return f"event #{event.pk} ({event.action}): its content was edited after it was recorded"
        expected_prev = event.hash
        count += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.length != count or head.last_hash != expected_prev):
        return f"the chain ends at {count} events, but {head.length} were recorded: events at the end were deleted"
    return None
