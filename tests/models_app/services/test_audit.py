import threading

import pytest

from models_app.choices import AuditAction, EntryPoint
from models_app.models import AuditChainHead, AuditEvent
from models_app.services import registry, stages
from models_app.services.audit import audit_chain_verify, audit_record
from models_app.services.audit_checkpoint import audit_checkpoint_read, audit_checkpoint_write
from models_app.services.tokens import api_token_create

from .concurrency import postgres_only, run_concurrently

SYSTEM = {"actor": None, "entry_point": EntryPoint.SYSTEM}


def _registry_writes(owner):
    """Each registry write, paired with the audit action it must append."""
    state = {}

    def create_version():
        state["version"] = registry.model_version_create(name="fraud", source="mlflow-artifacts:/0/fraud", **SYSTEM)

    return [
        (lambda: state.setdefault("model", registry.registered_model_create(name="fraud", **SYSTEM)),
         AuditAction.REGISTERED_MODEL_CREATED),
        (lambda: registry.registered_model_update(registered_model=state["model"], description="d", **SYSTEM),
         AuditAction.REGISTERED_MODEL_DESCRIPTION_CHANGED),
        (lambda: registry.registered_model_set_tag(registered_model=state["model"], key="k", value="v", **SYSTEM),
         AuditAction.REGISTERED_MODEL_TAG_SET),
        (lambda: registry.registered_model_delete_tag(registered_model=state["model"], key="k", **SYSTEM),
         AuditAction.REGISTERED_MODEL_TAG_DELETED),
        (create_version, AuditAction.MODEL_VERSION_CREATED),
        (lambda: registry.model_version_update(version=state["version"], description="d", **SYSTEM),
         AuditAction.MODEL_VERSION_DESCRIPTION_CHANGED),
        (lambda: registry.model_version_set_tag(version=state["version"], key="k", value="v", **SYSTEM),
         AuditAction.MODEL_VERSION_TAG_SET),
        (lambda: registry.model_version_delete_tag(version=state["version"], key="k", **SYSTEM),
         AuditAction.MODEL_VERSION_TAG_DELETED),
        (lambda: stages.model_version_transition_stage(version=state["version"], to_stage="Staging", **SYSTEM),
         AuditAction.MODEL_VERSION_STAGE_CHANGED),
        (lambda: stages.registered_model_alias_set(registered_model=state["model"], alias="champion",
                                                   version_number=1, **SYSTEM), AuditAction.ALIAS_SET),
        (lambda: stages.registered_model_alias_delete(registered_model=state["model"], alias="champion", **SYSTEM),
         AuditAction.ALIAS_DELETED),
        (lambda: registry.model_version_delete(version=state["version"], **SYSTEM), AuditAction.MODEL_VERSION_DELETED),
        (lambda: state.__setitem__("model", registry.registered_model_rename(
            registered_model=state["model"], new_name="fraud-v2", **SYSTEM)), AuditAction.REGISTERED_MODEL_RENAMED),
        (lambda: registry.registered_model_delete(registered_model=state["model"], **SYSTEM),
         AuditAction.REGISTERED_MODEL_DELETED),
        (lambda: api_token_create(user=owner, entry_point=EntryPoint.PAGE), AuditAction.TOKEN_CREATED),
    ]


@pytest.mark.django_db
def test_it_appends_one_linked_event_per_registry_write(owner):
    for write, action in _registry_writes(owner):
        previous = AuditEvent.objects.last()

        write()

        event = AuditEvent.objects.last()
        assert event.action == action
        assert event.prev_hash == (previous.hash if previous else AuditChainHead.GENESIS_HASH)
        assert AuditEvent.objects.filter(pk__gt=previous.pk if previous else 0).count() == 1
    audit_checkpoint_write()
    assert audit_chain_verify() is None
    assert AuditChainHead.objects.get().length == AuditEvent.objects.count()


def _chain(length):
    events = [audit_record(action=AuditAction.TOKEN_CREATED, actor=None, object_type="test", object_id=str(index),
                           details={"index": index}) for index in range(length)]
    audit_checkpoint_write()
    return events


@pytest.mark.django_db
def test_it_verifies_an_intact_chain():
    _chain(5)

    assert audit_chain_verify() is None


@pytest.mark.django_db
def test_it_verifies_an_empty_chain():
    assert audit_chain_verify() is None


@pytest.mark.django_db
def test_it_names_an_event_whose_details_were_edited():
    events = _chain(5)
    AuditEvent.objects.filter(pk=events[2].pk).update(details={"index": 99})

    assert audit_chain_verify().startswith(
        f"event #{events[2].pk} (token.created): its hash does not match its fields under the audit key")


@pytest.mark.django_db
def test_it_names_the_event_after_a_deleted_middle_event():
    events = _chain(5)
    AuditEvent.objects.filter(pk=events[2].pk).delete()

    assert audit_chain_verify().startswith(f"event #{events[3].pk} (token.created): its prev_hash does not match")


@pytest.mark.django_db
def test_it_notices_a_deleted_last_event():
    events = _chain(5)
    AuditEvent.objects.filter(pk=events[-1].pk).delete()

    assert audit_chain_verify().startswith(f"the chain ends at event #{events[-2].pk} (token.created) after 4 "
                                           f"events, but the checkpoint records 5 events up to #{events[-1].pk}")


@pytest.mark.django_db
def test_the_head_row_still_catches_a_careless_deletion_before_any_checkpoint():
    events = [audit_record(action=AuditAction.TOKEN_CREATED, actor=None, object_type="test", object_id=str(index))
              for index in range(3)]
    AuditEvent.objects.filter(pk=events[-1].pk).delete()

    assert audit_chain_verify(require_checkpoint=False) == (
        "the chain ends at 2 events, but 3 were recorded: events at the end were deleted")


@pytest.mark.postgres
@postgres_only
def test_it_keeps_one_unforked_chain_under_concurrent_writers(transactional_db):
    def write_five(thread):
        for index in range(5):
            audit_record(action=AuditAction.TOKEN_CREATED, actor=None, object_type="thread",
                         object_id=f"{thread}-{index}")

    run_concurrently(8, write_five)

    events = list(AuditEvent.objects.order_by("id"))
    assert len(events) == 40
    assert [event.prev_hash for event in events] == [AuditChainHead.GENESIS_HASH] + [e.hash for e in events[:-1]]
    assert AuditChainHead.objects.get().length == 40
    # Each commit checkpointed the head after it (or left it to the writer holding the lock): the last one stands.
    checkpoint = audit_checkpoint_read()
    assert (checkpoint.count, checkpoint.last_event_id, checkpoint.last_hash) == (40, events[-1].pk, events[-1].hash)
    assert audit_chain_verify() is None


@pytest.mark.postgres
@postgres_only
def test_it_verifies_a_chain_that_grows_while_it_is_walked(transactional_db, settings):
    """Appends committing during the walk are outside its snapshot, not a mismatch with the head row."""
    settings.AUDIT_CHECKPOINT_AFTER_WRITE = False  # _chain writes the one checkpoint; the rest is not its concern
    _chain(200)
    stop = threading.Event()

    def append_until_stopped(_):
        count = 0
        while not stop.is_set():
            audit_record(action=AuditAction.TOKEN_CREATED, actor=None, object_type="writer", object_id=str(count))
            count += 1
        return count

    def verify_ten_times(_):
        try:
            return [audit_chain_verify() for _ in range(10)]
        finally:
            stop.set()

    results = run_concurrently(2, lambda index: (verify_ten_times if index else append_until_stopped)(index))

    assert results[0] > 0
    assert results[1] == [None] * 10
