from datetime import timedelta

import pytest
from django.utils import timezone

from models_app.choices import AuditAction, EntryPoint, Stage
from models_app.exceptions import InvalidParameter, NotFound
from models_app.models import AliasTransition, AuditEvent, RegisteredModelAlias, StageTransition
from models_app.selectors.registry import alias_target_at, model_version_by_alias, stage_occupants_at
from models_app.services.registry import model_version_delete
from models_app.services.stages import (
    model_version_transition_stage,
    registered_model_alias_delete,
    registered_model_alias_set,
)
from tests.models_app.factories import ModelVersionFactory, RegisteredModelFactory

pytestmark = pytest.mark.django_db


def _set(model, alias, number, actor=None):
    return registered_model_alias_set(registered_model=model, alias=alias, version_number=number, actor=actor,
                                      entry_point=EntryPoint.NATIVE_API)


def _delete(model, alias, actor=None):
    registered_model_alias_delete(registered_model=model, alias=alias, actor=actor, entry_point=EntryPoint.NATIVE_API)


def _model_with_versions(count):
    model = RegisteredModelFactory()
    for _ in range(count):
        ModelVersionFactory(registered_model=model)
    return model


def _history(model, alias="champion"):
    return list(AliasTransition.objects.filter(registered_model=model, alias=alias)
                .values_list("from_version", "to_version"))


def test_it_sets_an_alias_with_history_and_audit(owner, grant_model):
    model = _model_with_versions(1)
    grant_model(model, owner, "CAN_EDIT")

    record = _set(model, "champion", "1", actor=owner)

    assert record.model_version.version == 1
    assert _history(model) == [(None, 1)]
    transition = AliasTransition.objects.get()
    assert (transition.actor, transition.entry_point) == (owner, "native_api")
    event = AuditEvent.objects.get(action=AuditAction.ALIAS_SET)
    assert (event.object_id, event.actor) == (f"{model.name}@champion", owner)
    assert event.details["to_version"] == 1


def test_it_moves_an_alias_to_another_version():
    model = _model_with_versions(2)
    _set(model, "champion", 1)

    _set(model, "champion", 2)

    assert RegisteredModelAlias.objects.get(registered_model=model).model_version.version == 2
    assert _history(model) == [(None, 1), (1, 2)]


def test_it_deletes_an_alias_with_history_and_audit():
    model = _model_with_versions(1)
    _set(model, "champion", 1)

    _delete(model, "champion")

    assert not RegisteredModelAlias.objects.exists()
    assert _history(model) == [(None, 1), (1, None)]
    assert AuditEvent.objects.filter(action=AuditAction.ALIAS_DELETED, object_id=f"{model.name}@champion").exists()


def test_it_treats_deleting_a_missing_alias_as_a_no_op():
    model = _model_with_versions(1)

    _delete(model, "champion")

    assert not AliasTransition.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.ALIAS_DELETED).exists()


@pytest.mark.parametrize("alias", ["latest", "v3", "LATEST", "V12"])
def test_it_refuses_reserved_aliases(alias):
    model = _model_with_versions(1)

    # MLflow's words: "'latest' alias name (case insensitive) is reserved.", "Version alias name 'v3' is reserved."
    with pytest.raises(InvalidParameter, match="alias name.* is reserved"):
        _set(model, alias, 1)
    assert not RegisteredModelAlias.objects.exists()


def test_it_refuses_an_alias_to_an_unknown_version():
    model = _model_with_versions(1)

    with pytest.raises(NotFound, match=rf"Model Version \(name={model.name}, version=7\) not found"):
        _set(model, "champion", 7)


def test_it_removes_the_aliases_of_a_deleted_version_with_history():
    model = _model_with_versions(2)
    _set(model, "champion", 1)
    _set(model, "challenger", 2)

    model_version_delete(version=model.versions.get(version=1), actor=None, entry_point=EntryPoint.SYSTEM)

    assert list(RegisteredModelAlias.objects.values_list("alias", flat=True)) == ["challenger"]
    deletion = AliasTransition.objects.get(alias="champion", to_version=None)
    assert (deletion.from_version, deletion.reason) == (1, "version 1 deleted")


def test_it_reads_a_version_by_alias():
    model = _model_with_versions(2)
    _set(model, "champion", 2)

    assert model_version_by_alias(name=model.name, alias="champion").version == 2


def test_it_answers_an_unknown_alias_with_invalid_parameter():
    model = _model_with_versions(1)

    with pytest.raises(InvalidParameter, match="Registered model alias champion not found."):
        model_version_by_alias(name=model.name, alias="champion")


def _place_in_time(queryset, times):
    """Give the rows of `queryset`, in creation order, the given created_at values."""
    for row, at in zip(queryset.order_by("id"), times, strict=True):
        type(row).objects.filter(pk=row.pk).update(created_at=at)


def test_it_answers_where_an_alias_pointed_at_a_past_time():
    model = _model_with_versions(2)
    _set(model, "champion", 1)
    _set(model, "champion", 2)
    _delete(model, "champion")
    start = timezone.now() - timedelta(days=10)
    day = timedelta(days=1)
    _place_in_time(AliasTransition.objects.all(), [start + day, start + 2 * day, start + 3 * day])

    answers = [alias_target_at(registered_model=model, alias="champion", at=start + offset * day)
               for offset in (0, 1, 1.5, 2.5, 4)]

    assert answers == [None, 1, 1, 2, None]
    assert alias_target_at(registered_model=model, alias="challenger", at=start + 2 * day) is None


def test_it_answers_which_versions_were_in_a_stage_at_a_past_time():
    model = _model_with_versions(2)
    first, second = model.versions.order_by("version")
    _move = model_version_transition_stage
    _move(version=first, to_stage="Production", actor=None, entry_point=EntryPoint.SYSTEM)
    _move(version=second, to_stage="Production", actor=None, entry_point=EntryPoint.SYSTEM)  # archives v1
    _move(version=second, to_stage="Archived", actor=None, entry_point=EntryPoint.SYSTEM)
    start = timezone.now() - timedelta(days=10)
    day = timedelta(days=1)
    _place_in_time(StageTransition.objects.all(), [start + day, start + 2 * day, start + 2 * day, start + 3 * day])

    def occupants(stage, offset):
        return stage_occupants_at(registered_model=model, stage=stage, at=start + offset * day)

    assert [occupants(Stage.PRODUCTION, offset) for offset in (0, 1, 2, 3)] == [[], [1], [2], []]
    assert [occupants("archived", offset) for offset in (1, 2, 3)] == [[], [1], [1, 2]]
