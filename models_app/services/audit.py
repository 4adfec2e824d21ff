"""The audit chain: appending events, verifying the chain against the key and the checkpoint, re-keying it."""
import hmac
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ..choices import AuditAction, EntryPoint
from ..governance import current_governance
from ..models import AuditChainHead, AuditEvent
from .audit_checkpoint import (
    Checkpoint,
    CheckpointInvalid,
    audit_checkpoint_after_commit,
    audit_checkpoint_read,
    audit_checkpoint_write,
    audit_hmac_key,
    checkpoint_reading_keys,
    checkpoint_store,
)


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
    predecessor and the chain never forks. Once the caller's transaction commits, the head is
    checkpointed outside the database.
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
        event.hash = event.compute_hash(audit_hmac_key())
        event.save()
        head.last_hash = event.hash
        head.length += 1
        head.save(update_fields=["last_hash", "length"])
        transaction.on_commit(audit_checkpoint_after_commit, robust=True)
        # Events out (webhooks, notifications) are written in this same transaction: they exist iff the change does.
        current_governance().on_audit_recorded(event)
    return event


def _events_in_order(batch: int = 2000) -> Iterator[AuditEvent]:
    """Every event by id, in keyset batches (safe to update rows between batches, on SQLite too)."""
    last_pk = 0
    while True:
        events = list(AuditEvent.objects.filter(pk__gt=last_pk).order_by("id")[:batch])
        yield from events
        if len(events) < batch:
            return
        last_pk = events[-1].pk


def _label(event: AuditEvent) -> str:
    return f"event #{event.pk} ({event.action})"


def _hash_mismatch(event: AuditEvent) -> str:
    what = "its hash does not match its fields under the audit key: a field was edited, or the chain was " \
           "recomputed without the key"
    if hmac.compare_digest(event.compute_legacy_hash(), event.hash):
        what += ("; it carries an unkeyed hash of the earlier scheme: after an upgrade from it, re-key the chain "
                 "once with `manage.py verify_audit --rechain` (docs/governance.md)")
    return what


def _walk(hash_matches: Callable[[AuditEvent], bool], checkpoint: Checkpoint | None) -> tuple[str | None, int, str]:
    """Check every link and hash, and the checkpoint's head on the way: (first problem, events, last hash)."""
    expected_prev, count, previous = AuditChainHead.GENESIS_HASH, 0, None
    for event in _events_in_order():
        if event.prev_hash != expected_prev:
            before = f"event #{previous.pk}" if previous else "none: it is the first"
            return (f"{_label(event)}: its prev_hash does not match the hash of the event before it ({before}): "
                    f"an event between them was deleted, or prev_hash was edited"), count, expected_prev
        if not hash_matches(event):
            return f"{_label(event)}: {_hash_mismatch(event)}", count, expected_prev
        count += 1
        if checkpoint and checkpoint.count and event.pk >= checkpoint.last_event_id:
            if event.pk != checkpoint.last_event_id or event.hash != checkpoint.last_hash or count != checkpoint.count:
                return (f"{_label(event)}: the chain differs from the checkpoint ({checkpoint.describe()}, last hash "
                        f"{checkpoint.last_hash}): here it has {count} events and hash {event.hash}"), count, event.hash
            checkpoint = None
        expected_prev, previous = event.hash, event
    if checkpoint and checkpoint.count:
        end = f"ends at {_label(previous)}" if previous else "is empty"
        return (f"the chain {end} after {count} events, but the checkpoint records {checkpoint.describe()}: "
                f"events at the end were deleted"), count, expected_prev
    return None, count, expected_prev


def _head_problem(count: int, last_hash: str) -> str | None:
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.length != count or head.last_hash != last_hash):
        return f"the chain ends at {count} events, but {head.length} were recorded: events at the end were deleted"
    return None


def audit_chain_verify(*, require_checkpoint: bool = True) -> str | None:
    """Recompute the chain with the key and compare it with the checkpoint; describe the first difference.

    Returns None when every event's links and keyed hash hold, the chain reaches the checkpoint's head (same
    id, hash and count) and the head row agrees. A chain with events but no checkpoint fails unless
    `require_checkpoint` is off (a truncated tail could not be told apart).
    """
    store = checkpoint_store()
    try:
        checkpoint = audit_checkpoint_read(store=store)
    except CheckpointInvalid as error:
        return str(error)
    key, outermost = audit_hmac_key(), not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            # One snapshot for the events and the head row: appends during a long walk must not read as a
            # mismatch between the two. The checkpoint, read before, can only be older than the snapshot.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        problem, count, last_hash = _walk(lambda event: hmac.compare_digest(event.compute_hash(key), event.hash),
                                          checkpoint)
        problem = problem or _head_problem(count, last_hash)
    if problem is None and checkpoint is None and count and require_checkpoint:
        problem = (f"there is no checkpoint at {store.location}: a deleted tail cannot be detected (the beat task "
                   f"models_app.audit_checkpoint_write writes one)")
    return problem


def audit_chain_status() -> str:
    """What an intact chain is anchored by, for verify_audit's report."""
    checkpoint = audit_checkpoint_read()
    anchor = f"checkpoint at {checkpoint_store().location}: {checkpoint.describe()}" if checkpoint else "no checkpoint"
    return f"{AuditEvent.objects.count()} events ({anchor})"


RECHAIN_SOURCES = ("legacy", "previous-key")


def _previous_scheme(source: str) -> Callable[[AuditEvent], bool]:
    if source == "legacy":
        return lambda event: hmac.compare_digest(event.compute_legacy_hash(), event.hash)
    if not settings.AUDIT_HMAC_PREVIOUS_KEY:
        raise ValueError("re-chaining from the previous key needs AUDIT_HMAC_PREVIOUS_KEY")
    previous_key = settings.AUDIT_HMAC_PREVIOUS_KEY.encode()
    return lambda event: hmac.compare_digest(event.compute_hash(previous_key), event.hash)


class AuditChainBroken(Exception):
    """The chain does not verify under the scheme it is re-keyed from; re-keying it would hide that."""


def audit_chain_rechain(*, source: str, actor=None, entry_point: str = EntryPoint.COMMAND,
                        force: bool = False) -> AuditEvent:
    """Re-key every event under AUDIT_HMAC_KEY, once, after the chain verified under its previous scheme.

    `source` is `legacy` (the unkeyed SHA-256 chain of earlier releases) or `previous-key`
    (AUDIT_HMAC_PREVIOUS_KEY, after a key rotation). Steps: lock the head; walk the chain, accepting each event
    under the previous scheme until the first under the current key and only the current key after it (events
    appended since the new key was deployed), links intact, reaching the stored checkpoint if there is one (so
    a chain recomputed in the old scheme after the checkpoint was written is refused); refuse (AuditChainBroken)
    on the first problem unless `force`; rewrite every hash and link; record `audit.rechained` with what was
    done (and the problem when forced); write a fresh checkpoint once it commits.
    """
    previous_matches, key = _previous_scheme(source), audit_hmac_key()
    state = {"current": False}

    def matches(event: AuditEvent) -> bool:
        if hmac.compare_digest(event.compute_hash(key), event.hash):
            state["current"] = True
            return True
        return not state["current"] and previous_matches(event)

    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        try:
            problem, count, _ = _walk(matches, audit_checkpoint_read(keys=checkpoint_reading_keys()))
        except CheckpointInvalid as error:
            problem = str(error)
        if problem and not force:
            raise AuditChainBroken(problem)
        previous_head, count = head.last_hash, _rewrite_hashes(key)
        head.last_hash, head.length = (AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
                                       or AuditChainHead.GENESIS_HASH), count
        head.save(update_fields=["last_hash", "length"])
        # Before audit_record's own callback, which would refuse: the rewritten chain no longer extends the
        # stored checkpoint.
        transaction.on_commit(lambda: audit_checkpoint_write(force=True))
        return audit_record(action=AuditAction.AUDIT_RECHAINED, actor=actor, object_type="audit_chain",
                            object_id="1", entry_point=entry_point,
                            details={"from": source, "events": count, "previous_head_hash": previous_head,
                                     "forced_over": problem})


def _rewrite_hashes(key: bytes) -> int:
    prev, count, changed = AuditChainHead.GENESIS_HASH, 0, []
    for event in _events_in_order():
        event.prev_hash = prev
        event.hash = prev = event.compute_hash(key)
        changed.append(event)
        count += 1
        if len(changed) >= 500:
            AuditEvent.objects.bulk_update(changed, ["prev_hash", "hash"])
            changed = []
    AuditEvent.objects.bulk_update(changed, ["prev_hash", "hash"])
    return count
