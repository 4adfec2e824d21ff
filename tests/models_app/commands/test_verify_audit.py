"""verify_audit against an operator with database access (psql) but not the audit key nor the checkpoint store.

Each attack edits PostgreSQL with raw SQL, as psql would, and the command must name the first event that differs
and exit non-zero.
"""
import hashlib
import hmac
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from models_app.models import AuditChainHead, AuditEvent
from models_app.models.audit import canonical_json
from models_app.services.audit_checkpoint import Checkpoint, CheckpointRefused, audit_checkpoint_read
from models_app.services.tokens import api_token_create
from models_app.tasks import audit_checkpoint_write_task

from ..services.concurrency import postgres_only

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, postgres_only]


def _verify() -> str:
    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def _broken_at(event: AuditEvent, what: str = "") -> str:
    return rf"Audit chain broken: event #{event.pk} \([^)]*\): {what}"


def _sql(statement: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _events() -> list[AuditEvent]:
    return list(AuditEvent.objects.order_by("id"))


def test_it_reports_an_intact_chain_anchored_by_its_checkpoint(audited_history, settings):
    events = _events()

    report = _verify().strip()

    assert len(events) == 6
    assert report.startswith(f"Audit chain intact: 6 events (checkpoint at {settings.AUDIT_CHECKPOINT_PATH}: "
                             f"6 events up to #{events[-1].pk}, written ")


def test_it_reports_an_empty_chain_as_intact():
    assert _verify().strip() == "Audit chain intact: 0 events (no checkpoint)"


EDITS = {
    "actor_id": "UPDATE models_app_auditevent SET actor_id = %s WHERE id = %s",
    "actor_name": "UPDATE models_app_auditevent SET actor_name = 'mallory' WHERE id = %s",
    "entry_point": "UPDATE models_app_auditevent SET entry_point = 'admin' WHERE id = %s",
    "object_type": "UPDATE models_app_auditevent SET object_type = 'experiment' WHERE id = %s",
    "object_id": "UPDATE models_app_auditevent SET object_id = object_id || '0' WHERE id = %s",
    "action": "UPDATE models_app_auditevent SET action = 'token.created' WHERE id = %s",
    "details": "UPDATE models_app_auditevent SET details = '{\"key\": \"team\", \"value\": \"forged\"}' WHERE id = %s",
    "created_at": "UPDATE models_app_auditevent SET created_at = created_at - interval '1 day' WHERE id = %s",
    "registered_model_name": "UPDATE models_app_auditevent SET registered_model_name = 'other' WHERE id = %s",
    "hash": "UPDATE models_app_auditevent SET hash = md5(hash) || md5(hash) WHERE id = %s",
}


@pytest.mark.parametrize("field", sorted(EDITS))
def test_it_names_the_event_whose_field_was_edited(audited_history, django_user_model, field):
    edited = _events()[2]
    if field == "actor_id":
        _sql(EDITS[field], django_user_model.objects.create_user("mallory").pk, edited.pk)
    else:
        _sql(EDITS[field], edited.pk)

    expected = _broken_at(edited, "its hash does not match its fields under the audit key")
    with pytest.raises(CommandError, match=expected):
        _verify()


def test_it_names_the_event_whose_prev_hash_was_edited(audited_history):
    events = _events()
    _sql("UPDATE models_app_auditevent SET prev_hash = %s WHERE id = %s", events[0].hash, events[3].pk)

    with pytest.raises(CommandError, match=_broken_at(events[3], rf"its prev_hash does not match the hash of the "
                                                                 rf"event before it \(event #{events[2].pk}\)")):
        _verify()


def _forge(edited_pk: int, digest) -> None:
    """Edit one event, then recompute every hash and link, and the head row, with `digest(event)`."""
    _sql("UPDATE models_app_auditevent SET actor_name = 'mallory' WHERE id = %s", edited_pk)
    prev = AuditChainHead.GENESIS_HASH
    for event in _events():
        event.prev_hash = prev
        prev = digest(event)
        _sql("UPDATE models_app_auditevent SET prev_hash = %s, hash = %s WHERE id = %s", event.prev_hash, prev,
             event.pk)
    _sql("UPDATE models_app_auditchainhead SET last_hash = %s", prev)


def _plain_sha256(event):
    return hashlib.sha256(canonical_json(event.hash_payload()).encode()).hexdigest()


def _guessed_key(key: bytes):
    return lambda event: event.compute_hash(key)


EMBEDDED_DEFAULT_KEY = hmac.new(b"insecure-local-registry-key-change-me-in-deployments", b"registry audit chain",
                                hashlib.sha256).hexdigest().encode()


@pytest.mark.parametrize("digest", [_plain_sha256, AuditEvent.compute_legacy_hash, _guessed_key(b"secret"),
                                    _guessed_key(EMBEDDED_DEFAULT_KEY)],
                         ids=["plain-sha256", "legacy-sha256", "key-secret", "key-embedded-default"])
def test_it_detects_a_chain_recomputed_without_the_key(audited_history, digest):
    events = _events()
    _forge(events[2].pk, digest)

    with pytest.raises(CommandError, match=_broken_at(events[0], "its hash does not match")):
        _verify()


def test_it_refuses_to_rekey_a_chain_recomputed_in_the_legacy_scheme(audited_history):
    """The hint for upgraded deployments must not launder a forged chain: the checkpoint still disagrees."""
    events = _events()
    _forge(events[2].pk, AuditEvent.compute_legacy_hash)

    with pytest.raises(CommandError, match="Not re-chained: .*the chain differs from the checkpoint"):
        call_command("verify_audit", "--rechain", "--from", "legacy", stdout=StringIO())
    assert not AuditEvent.objects.filter(action="audit.rechained").exists()


@pytest.mark.parametrize("deleted", [1, 3])
def test_it_detects_a_deleted_tail_through_the_checkpoint(audited_history, deleted):
    """The operator deletes the last events and makes the head row match: only the checkpoint still knows."""
    events = _events()
    kept = events[:-deleted]
    AuditEvent.objects.filter(pk__in=[event.pk for event in events[-deleted:]]).delete()
    _sql("UPDATE models_app_auditchainhead SET length = %s, last_hash = %s", len(kept), kept[-1].hash)

    with pytest.raises(CommandError, match=rf"the chain ends at event #{kept[-1].pk} \(.*\) after {len(kept)} "
                                           rf"events, but the checkpoint records 6 events up to #{events[-1].pk}"):
        _verify()


def test_the_beat_task_never_overwrites_the_checkpoint_of_a_truncated_chain(audited_history, settings):
    before = settings.AUDIT_CHECKPOINT_PATH.read_bytes()
    events = _events()
    events[-1].delete()
    _sql("UPDATE models_app_auditchainhead SET length = 5, last_hash = %s", events[-2].hash)

    with pytest.raises(CheckpointRefused, match=r"the chain has 5 events, fewer than the checkpoint's 6 events"):
        audit_checkpoint_write_task.apply(throw=True)

    assert settings.AUDIT_CHECKPOINT_PATH.read_bytes() == before
    with pytest.raises(CommandError, match="events at the end were deleted"):
        _verify()


def test_it_detects_a_deleted_tail_that_later_writes_refilled(audited_history, settings, owner,
                                                             django_capture_on_commit_callbacks, caplog):
    """Deleting the last event, then letting the registry append: the count matches the checkpoint again."""
    before = settings.AUDIT_CHECKPOINT_PATH.read_bytes()
    events = _events()
    deleted_pk = events[-1].pk
    events[-1].delete()
    _sql("UPDATE models_app_auditchainhead SET length = 5, last_hash = %s", events[-2].hash)
    with django_capture_on_commit_callbacks(execute=True):
        api_token_create(user=owner, entry_point="page")

    assert settings.AUDIT_CHECKPOINT_PATH.read_bytes() == before
    assert f"event #{deleted_pk}, the checkpoint's last" in caplog.text
    appended = _events()[-1]
    with pytest.raises(CommandError, match=rf"event #{appended.pk} \(token.created\): the chain differs from the "
                                           rf"checkpoint \(6 events up to #{deleted_pk}"):
        _verify()


def test_it_names_the_event_after_a_deleted_middle_event(audited_history):
    events = _events()
    _sql("DELETE FROM models_app_auditevent WHERE id = %s", events[1].pk)
    _sql("UPDATE models_app_auditchainhead SET length = 5")

    with pytest.raises(CommandError, match=_broken_at(events[2], rf"its prev_hash does not match the hash of the "
                                                                 rf"event before it \(event #{events[0].pk}\)")):
        _verify()


def _tamper(path, **changes) -> None:
    document = json.loads(path.read_text())
    document.update(changes)
    path.write_text(json.dumps(document))


def test_it_detects_a_checkpoint_edited_to_hide_a_deleted_tail(audited_history, settings):
    events = _events()
    events[-1].delete()
    _sql("UPDATE models_app_auditchainhead SET length = 5, last_hash = %s", events[-2].hash)
    _tamper(settings.AUDIT_CHECKPOINT_PATH, count=5, last_event_id=events[-2].pk, last_hash=events[-2].hash)

    with pytest.raises(CommandError, match=rf"the checkpoint at {settings.AUDIT_CHECKPOINT_PATH} cannot be trusted: "
                                           rf"its signature does not match"):
        _verify()


def test_it_detects_a_checkpoint_signed_with_a_guessed_key(audited_history, settings):
    events = _events()
    forged = Checkpoint(last_event_id=events[-2].pk, last_hash=events[-2].hash, count=5, written_at="2026-01-01")
    settings.AUDIT_CHECKPOINT_PATH.write_bytes(forged.signed(EMBEDDED_DEFAULT_KEY))

    with pytest.raises(CommandError, match="cannot be trusted: its signature does not match"):
        _verify()


@pytest.mark.parametrize("content", [b"", b"not json", b"[]", b'{"count": "6"}'])
def test_it_detects_a_garbled_checkpoint(audited_history, settings, content):
    settings.AUDIT_CHECKPOINT_PATH.write_bytes(content)

    with pytest.raises(CommandError, match="cannot be trusted: "):
        _verify()


def test_it_fails_when_the_checkpoint_of_a_non_empty_chain_is_missing(audited_history, settings):
    settings.AUDIT_CHECKPOINT_PATH.unlink()

    with pytest.raises(CommandError, match=rf"there is no checkpoint at {settings.AUDIT_CHECKPOINT_PATH}"):
        _verify()


def test_the_beat_task_writes_a_signed_checkpoint_of_the_head(owner, settings):
    api_token_create(user=owner, entry_point="page")  # no commit inside the test: no after-write checkpoint
    assert not settings.AUDIT_CHECKPOINT_PATH.exists()

    result = audit_checkpoint_write_task.apply(throw=True).get()

    last = AuditEvent.objects.order_by("id").last()
    assert result == {"count": 1, "last_event_id": last.pk}
    checkpoint = audit_checkpoint_read()
    assert (checkpoint.last_event_id, checkpoint.last_hash, checkpoint.count) == (last.pk, last.hash, 1)
    assert settings.CELERY_BEAT_SCHEDULE["checkpoint-audit-chain"] == {
        "task": "models_app.audit_checkpoint_write", "schedule": float(settings.AUDIT_CHECKPOINT_INTERVAL_SECONDS)}


def test_it_fails_with_a_non_zero_exit_code(audited_history):
    first = _events()[0]
    _sql("UPDATE models_app_auditevent SET entry_point = 'page' WHERE id = %s", first.pk)

    with pytest.raises(CommandError) as error:
        _verify()
    # manage.py turns a CommandError into this exit code, with the message on stderr.
    assert error.value.returncode != 0
    assert f"event #{first.pk}" in str(error.value)
