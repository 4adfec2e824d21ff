"""The audit chain's head, checkpointed outside the database.

Whoever can edit the database can delete the last events and fix the head row to match; the chain alone cannot
show that. The checkpoint (last event id, its hash, the number of events, when) is signed with the audit key and
kept where the database's users cannot write: a file by default, an S3-compatible object in deployments.
`verify_audit` compares the chain with it.

A store is anything with a `location` (for messages) and `read() -> bytes | None` / `write(data)`; the
settings pick the file or the S3 store (`checkpoint_store`).
"""
import datetime
import hashlib
import hmac
import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import AuditChainHead, AuditEvent
from ..models.audit import canonical_json

logger = logging.getLogger(__name__)

CHECKPOINT_FORMAT = "registry-audit-checkpoint/1"


class CheckpointStore(Protocol):
    location: str

    def read(self) -> bytes | None: ...

    def write(self, data: bytes) -> None: ...


class FileCheckpointStore:
    """A local file, replaced atomically (a reader never sees half a checkpoint)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.location = str(self.path)

    def read(self) -> bytes | None:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return None

    def write(self, data: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


class S3CheckpointStore:
    """One object in an S3-compatible bucket (boto3 reads the credentials from its usual environment)."""

    def __init__(self, *, bucket: str, key: str, endpoint_url: str = "", client=None):
        import boto3

        self.bucket, self.key = bucket, key
        self.location = f"s3://{bucket}/{key}"
        self.client = client or boto3.client("s3", endpoint_url=endpoint_url or None)

    def read(self) -> bytes | None:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.key)["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None

    def write(self, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.key, Body=data, ContentType="application/json")


def checkpoint_store() -> CheckpointStore:
    if settings.AUDIT_CHECKPOINT_S3_BUCKET:
        return S3CheckpointStore(bucket=settings.AUDIT_CHECKPOINT_S3_BUCKET, key=settings.AUDIT_CHECKPOINT_S3_KEY,
                                 endpoint_url=settings.AUDIT_CHECKPOINT_S3_ENDPOINT_URL)
    return FileCheckpointStore(settings.AUDIT_CHECKPOINT_PATH)


def audit_hmac_key() -> bytes:
    return settings.AUDIT_HMAC_KEY.encode()


class CheckpointInvalid(Exception):
    """The stored checkpoint cannot be trusted: unreadable, malformed, or its signature does not match."""


class CheckpointRefused(Exception):
    """Writing a checkpoint would hide a difference between the chain and the checkpoint already stored."""


@dataclass(frozen=True)
class Checkpoint:
    last_event_id: int
    last_hash: str
    count: int
    written_at: str

    def _body(self) -> dict:
        return {"format": CHECKPOINT_FORMAT, **asdict(self)}

    def signed(self, key: bytes) -> bytes:
        body = self._body()
        signature = hmac.new(key, canonical_json(body).encode(), hashlib.sha256).hexdigest()
        return (json.dumps({**body, "signature": signature}, indent=2, sort_keys=True) + "\n").encode()

    @classmethod
    def parse(cls, data: bytes, *, keys: list[bytes]) -> "Checkpoint":
        """The checkpoint in `data` if it is well formed and signed with one of `keys`."""
        try:
            document = json.loads(data)
            checkpoint = cls(last_event_id=document["last_event_id"], last_hash=document["last_hash"],
                             count=document["count"], written_at=document["written_at"])
            signature = document["signature"]
        except (ValueError, TypeError, KeyError) as error:
            raise CheckpointInvalid(f"it is not a checkpoint ({error.__class__.__name__}: {error})") from None
        if (document.get("format") != CHECKPOINT_FORMAT or not isinstance(signature, str)
                or not all(isinstance(value, int) for value in (checkpoint.last_event_id, checkpoint.count))
                or not isinstance(checkpoint.last_hash, str) or not isinstance(checkpoint.written_at, str)):
            raise CheckpointInvalid("its fields are not those of a checkpoint")
        body = canonical_json(checkpoint._body()).encode()
        if not any(hmac.compare_digest(hmac.new(key, body, hashlib.sha256).hexdigest(), signature) for key in keys):
            raise CheckpointInvalid("its signature does not match: it was altered, or signed with another key")
        return checkpoint

    def describe(self) -> str:
        return f"{self.count} events up to #{self.last_event_id}, written {self.written_at}"


def audit_checkpoint_read(*, store: CheckpointStore | None = None, keys: list[bytes] | None = None
                          ) -> Checkpoint | None:
    """The stored checkpoint, None if there is none; CheckpointInvalid if it cannot be trusted."""
    store = store or checkpoint_store()
    data = store.read()
    if data is None:
        return None
    try:
        return Checkpoint.parse(data, keys=keys or [audit_hmac_key()])
    except CheckpointInvalid as error:
        raise CheckpointInvalid(f"the checkpoint at {store.location} cannot be trusted: {error}") from None


def _continuity_problem(previous: Checkpoint, head: AuditChainHead) -> str | None:
    """Why the chain does not extend the stored checkpoint, or None if it does."""
    if head.length < previous.count:
        return f"the chain has {head.length} events, fewer than the checkpoint's {previous.describe()}"
    if previous.count == 0:
        return None
    recorded = AuditEvent.objects.filter(pk=previous.last_event_id).values_list("hash", flat=True).first()
    if recorded != previous.last_hash:
        state = "is missing" if recorded is None else "has another hash"
        return f"event #{previous.last_event_id}, the checkpoint's last ({previous.describe()}), {state}"
    return None


# The last head this process wrote, per store: after-write checkpoints skip unchanged heads without locking.
_last_written: dict[str, str] = {}


def audit_checkpoint_write(*, wait: bool = True, force: bool = False) -> Checkpoint | None:
    """Write the chain's committed head to the checkpoint store; return it, or None if nothing was written.

    Steps: lock the head row (appends wait; with wait=False a locked head is left to its holder, who writes
    the checkpoint after it commits); read the stored checkpoint; unless `force` (a re-chain), refuse with
    CheckpointRefused if the chain does not extend it, so that a truncated or rewritten chain never overwrites
    the evidence; write the new one while still holding the lock, so checkpoints never go backwards.
    """
    store = checkpoint_store()
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update(skip_locked=not wait).filter(pk=1).first()
        if head is None:
            return None
        last = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
        if last is None or last[1] != head.last_hash:
            raise CheckpointRefused(f"the head row ({head.length} events, last hash {head.last_hash}) does not "
                                    f"match the last event ({last}): not writing a checkpoint")
        if not force:
            try:
                previous = audit_checkpoint_read(store=store, keys=checkpoint_reading_keys())
            except CheckpointInvalid as error:
                raise CheckpointRefused(f"{error}; not overwriting it") from None
            problem = previous and _continuity_problem(previous, head)
            if problem:
                raise CheckpointRefused(f"{problem}: not overwriting the checkpoint at {store.location}")
        checkpoint = Checkpoint(last_event_id=last[0], last_hash=head.last_hash, count=head.length,
                                written_at=timezone.now().astimezone(datetime.UTC).isoformat())
        store.write(checkpoint.signed(audit_hmac_key()))
        _last_written[store.location] = head.last_hash
    return checkpoint


def checkpoint_reading_keys() -> list[bytes]:
    """During a key rotation the stored checkpoint may still carry the previous key's signature."""
    keys = [audit_hmac_key()]
    if settings.AUDIT_HMAC_PREVIOUS_KEY:
        keys.append(settings.AUDIT_HMAC_PREVIOUS_KEY.encode())
    return keys


def audit_checkpoint_after_commit() -> None:
    """The after-write checkpoint (an on_commit callback): cheap when the head is unchanged, never raises."""
    if not settings.AUDIT_CHECKPOINT_AFTER_WRITE:
        return
    try:
        head_hash = AuditChainHead.objects.filter(pk=1).values_list("last_hash", flat=True).first()
        if head_hash is not None and _last_written.get(checkpoint_store().location) == head_hash:
            return
        audit_checkpoint_write(wait=False)
    except Exception:
        # The write it follows has committed; the beat task writes the checkpoint later, or keeps failing loudly.
        logger.exception("audit checkpoint not written after an audited write")
