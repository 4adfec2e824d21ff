"""verify_audit --rechain: re-keying once after the upgrade from unkeyed hashes, or after a key rotation."""
import datetime
import json
import secrets
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from models_app.choices import AuditAction, EntryPoint
from models_app.models import AuditChainHead, AuditEvent
from models_app.services.audit import audit_record
from models_app.services.audit_checkpoint import audit_checkpoint_read

# The command commits as it does in production, so that its checkpoint is written before it verifies.
pytestmark = pytest.mark.django_db(transaction=True)


def _command(*args) -> str:
    out = StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue()


def _rewrite(digest) -> None:
    """Give every event the hash `digest(event)` would have given it when it was appended."""
    prev = AuditChainHead.GENESIS_HASH
    for event in AuditEvent.objects.order_by("id"):
        event.prev_hash = prev
        event.hash = prev = digest(event)
        event.save(update_fields=["prev_hash", "hash"])
    AuditChainHead.objects.update(last_hash=prev)


@pytest.fixture
def legacy_history(audited_history, settings):
    """The chain as a release before keyed hashing left it: unkeyed SHA-256 hashes and no checkpoint."""
    _rewrite(AuditEvent.compute_legacy_hash)
    settings.AUDIT_CHECKPOINT_PATH.unlink()
    return list(AuditEvent.objects.order_by("id"))


def test_the_legacy_hash_is_the_one_earlier_releases_wrote():
    event = AuditEvent(created_at=datetime.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.UTC),
                       actor_name="alice", action="alias.set", entry_point="page", object_type="registered_model",
                       object_id="wine", registered_model_name="wine", details={"alias": "champion", "note": "é"},
                       prev_hash="0" * 64)

    assert event.compute_legacy_hash() == "b7dbe657039c4338ec7caad33fb3f39c06d31aa44b7d7419be2f98a5bd862b3e"


def test_an_upgraded_chain_fails_verification_with_the_way_out(legacy_history):
    with pytest.raises(CommandError, match=rf"event #{legacy_history[0].pk} .*unkeyed hash of the earlier scheme.*"
                                           r"verify_audit --rechain"):
        _command()


def test_it_rekeys_a_legacy_chain_once_and_records_it(legacy_history):
    output = _command("--rechain")

    rechained = AuditEvent.objects.order_by("id").last()
    assert output.startswith(f"Re-keyed 6 events from legacy (event #{rechained.pk})\nAudit chain intact: 7 events")
    assert rechained.action == AuditAction.AUDIT_RECHAINED
    assert rechained.entry_point == EntryPoint.COMMAND
    assert rechained.details == {"from": "legacy", "events": 6, "previous_head_hash": legacy_history[-1].hash,
                                 "forced_over": None}
    assert audit_checkpoint_read().count == 7
    assert _command().startswith("Audit chain intact: 7 events")


def test_it_rekeys_events_appended_under_the_key_after_the_upgrade(legacy_history):
    """Writes between the deploy and the re-chain are keyed already, and checkpointed over the legacy chain."""
    audit_record(action=AuditAction.TOKEN_CREATED, actor=None, object_type="token", object_id="1")
    assert audit_checkpoint_read().count == 7

    output = _command("--rechain")

    assert "Re-keyed 7 events from legacy" in output
    assert "Audit chain intact: 8 events" in output


def test_it_refuses_to_rekey_a_legacy_chain_that_was_edited(legacy_history):
    edited = legacy_history[3]
    AuditEvent.objects.filter(pk=edited.pk).update(object_id="forged")

    with pytest.raises(CommandError, match=rf"Not re-chained: event #{edited.pk} .*its hash does not match"):
        _command("--rechain")
    assert AuditEvent.objects.filter(action=AuditAction.AUDIT_RECHAINED).count() == 0


def test_force_rekeys_an_edited_chain_and_records_what_it_went_over(legacy_history):
    edited = legacy_history[3]
    AuditEvent.objects.filter(pk=edited.pk).update(object_id="forged")

    output = _command("--rechain", "--force")

    assert "Audit chain intact: 7 events" in output
    forced_over = AuditEvent.objects.get(action=AuditAction.AUDIT_RECHAINED).details["forced_over"]
    assert forced_over.startswith(f"event #{edited.pk} ")


def test_it_rekeys_after_a_key_rotation(audited_history, settings):
    old_key = settings.AUDIT_HMAC_KEY
    settings.AUDIT_HMAC_KEY, settings.AUDIT_HMAC_PREVIOUS_KEY = secrets.token_hex(32), old_key
    with pytest.raises(CommandError, match="cannot be trusted: its signature does not match"):
        _command()

    output = _command("--rechain")

    assert "Re-keyed 6 events from previous-key" in output
    assert "Audit chain intact: 7 events" in output
    settings.AUDIT_HMAC_PREVIOUS_KEY = ""
    assert _command().startswith("Audit chain intact: 7 events")


def test_a_rotation_refuses_events_keyed_with_neither_key(audited_history, settings):
    settings.AUDIT_HMAC_KEY, settings.AUDIT_HMAC_PREVIOUS_KEY = secrets.token_hex(32), secrets.token_hex(32)

    with pytest.raises(CommandError, match="Not re-chained: the checkpoint at .* cannot be trusted"):
        _command("--rechain")


def test_a_legacy_rechain_still_refuses_a_checkpoint_it_contradicts(audited_history, settings):
    """An edit recomputed in the legacy scheme after a checkpoint was written: the checkpoint disagrees."""
    first = AuditEvent.objects.order_by("id").first()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE models_app_auditevent SET actor_name = 'mallory' WHERE id = %s", [first.pk])
    _rewrite(AuditEvent.compute_legacy_hash)
    checkpoint = json.loads(settings.AUDIT_CHECKPOINT_PATH.read_text())

    with pytest.raises(CommandError, match=rf"Not re-chained: .*differs from the checkpoint \(6 events up to "
                                           rf"#{checkpoint['last_event_id']}"):
        _command("--rechain", "--from", "legacy")


def test_a_rotation_rechain_needs_the_previous_key(audited_history):
    with pytest.raises(CommandError, match="Not re-chained: re-chaining from the previous key needs "
                                           "AUDIT_HMAC_PREVIOUS_KEY"):
        _command("--rechain", "--from", "previous-key")


def test_from_and_force_only_apply_to_a_rechain():
    with pytest.raises(CommandError, match="--from and --force only apply to --rechain"):
        _command("--force")
