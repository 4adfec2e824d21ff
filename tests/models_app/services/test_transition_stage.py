import itertools

import pytest

from models_app.choices import AuditAction, EntryPoint, Stage
from models_app.exceptions import InvalidParameter, PermissionDenied
from models_app.governance import Governance
from models_app.models import AuditEvent, ModelVersion, StageTransition
from models_app.services.stages import model_version_transition_stage
from tests.models_app.factories import ModelVersionFactory, RegisteredModelFactory

from .concurrency import postgres_only, run_concurrently


def _move(version, to_stage, actor=None, entry_point=EntryPoint.SYSTEM, **kwargs):
    return model_version_transition_stage(version=version, to_stage=to_stage, actor=actor,
                                          entry_point=entry_point, **kwargs)


def _versions(count):
    model = RegisteredModelFactory()
    return [ModelVersionFactory(registered_model=model) for _ in range(count)]


def _stage_of(version):
    return ModelVersion.objects.get(pk=version.pk).stage


@pytest.mark.django_db
@pytest.mark.parametrize(("from_stage", "to_stage"), list(itertools.permutations([stage.value for stage in Stage], 2)))
def test_it_moves_a_version_between_any_two_stages(from_stage, to_stage):
    [version] = _versions(1)
    if from_stage != Stage.NONE:
        _move(version, from_stage)

    _move(version, to_stage)

    assert _stage_of(version) == to_stage
    last = StageTransition.objects.filter(registered_model=version.registered_model).last()
    assert (last.version, last.from_stage, last.to_stage) == (1, from_stage, to_stage)


@pytest.mark.django_db
@pytest.mark.parametrize(("given", "stored"), [("production", "Production"), ("STAGING", "Staging"),
                                               (" archived ", "Archived"), ("none", "None")])
def test_it_matches_stage_names_case_insensitively_and_stores_them_canonically(given, stored):
    [version] = _versions(1)
    if stored == Stage.NONE:
        _move(version, Stage.STAGING)

    _move(version, given)

    assert _stage_of(version) == stored
    assert StageTransition.objects.last().to_stage == stored


@pytest.mark.django_db
def test_it_refuses_an_unknown_stage_with_mlflows_message():
    [version] = _versions(1)
    expected = "Invalid Model Version stage: Prod. Value must be one of None, Staging, Production, Archived."

    with pytest.raises(InvalidParameter) as raised:
        _move(version, "Prod")

    assert raised.value.message == expected
    assert not StageTransition.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("to_stage", ["Archived", "None"])
def test_it_refuses_archive_existing_versions_into_an_inactive_stage(to_stage):
    [version] = _versions(1)
    _move(version, Stage.STAGING)

    with pytest.raises(InvalidParameter, match=f"archive_existing_versions .* not to {to_stage}"):
        _move(version, to_stage, archive_existing=True)
    assert _stage_of(version) == Stage.STAGING


@pytest.mark.django_db
@pytest.mark.parametrize("stage", [Stage.STAGING, Stage.PRODUCTION])
def test_it_archives_the_previous_occupant_of_a_single_occupancy_stage(stage):
    first, second = _versions(2)
    _move(first, stage)

    _move(second, stage)

    assert (_stage_of(first), _stage_of(second)) == (Stage.ARCHIVED, stage)
    archived = StageTransition.objects.get(version=1, to_stage=Stage.ARCHIVED)
    assert archived.from_stage == stage
    assert archived.reason == f"single-occupancy stage: version 2 replaced it in {stage.value}"
    assert not ModelVersion.objects.get(pk=first.pk).holds_exclusive_stage


@pytest.mark.django_db
def test_it_lets_two_versions_share_production_without_single_occupancy(settings):
    settings.REGISTRY_SINGLE_OCCUPANCY_STAGES = False
    first, second = _versions(2)
    _move(first, Stage.PRODUCTION)

    _move(second, Stage.PRODUCTION)

    assert (_stage_of(first), _stage_of(second)) == (Stage.PRODUCTION, Stage.PRODUCTION)
    assert not StageTransition.objects.filter(to_stage=Stage.ARCHIVED).exists()


@pytest.mark.django_db
def test_it_archives_existing_versions_on_request_without_single_occupancy(settings):
    settings.REGISTRY_SINGLE_OCCUPANCY_STAGES = False
    first, second, third = _versions(3)
    _move(first, Stage.PRODUCTION)
    _move(second, Stage.PRODUCTION)

    _move(third, Stage.PRODUCTION, archive_existing=True)

    assert [_stage_of(v) for v in (first, second, third)] == [Stage.ARCHIVED, Stage.ARCHIVED, Stage.PRODUCTION]
    reasons = set(StageTransition.objects.filter(to_stage=Stage.ARCHIVED).values_list("reason", flat=True))
    assert reasons == {"archive_existing_versions: version 3 moved to Production"}


@pytest.mark.django_db
def test_it_records_history_and_audit_with_actor_and_entry_point(owner, grant_model):
    [version] = _versions(1)
    grant_model(version.registered_model, owner, "CAN_MANAGE_STAGING_VERSIONS")

    _move(version, Stage.STAGING, actor=owner, entry_point=EntryPoint.NATIVE_API, reason="ready for QA")

    transition = StageTransition.objects.get()
    assert (transition.actor, transition.actor_name, transition.entry_point) == (owner, "owner", "native_api")
    assert (transition.from_stage, transition.to_stage, transition.reason) == ("None", "Staging", "ready for QA")
    event = AuditEvent.objects.get(action=AuditAction.MODEL_VERSION_STAGE_CHANGED)
    assert (event.actor, event.actor_name, event.entry_point) == (owner, "owner", "native_api")
    assert event.object_id == f"{version.name}/1"
    assert event.details["from_stage"] == "None" and event.details["to_stage"] == "Staging"


class _RefuseProduction(Governance):
    def check_stage_change(self, change):
        if change.to_stage == Stage.PRODUCTION:
            raise PermissionDenied(f"Version {change.version.version} needs an approved review request.")


@pytest.mark.django_db
def test_it_writes_nothing_when_the_gate_refuses(governance, owner):
    governance(_RefuseProduction())
    [version] = _versions(1)
    events_before = AuditEvent.objects.count()

    with pytest.raises(PermissionDenied, match="needs an approved review request"):
        _move(version, Stage.PRODUCTION, actor=owner)

    assert _stage_of(version) == Stage.NONE
    assert not StageTransition.objects.exists()
    assert AuditEvent.objects.count() == events_before


@pytest.mark.postgres
@postgres_only
def test_it_leaves_one_version_in_production_after_two_concurrent_promotions(transactional_db):
    first, second = _versions(2)

    def promote(index):
        version = ModelVersion.objects.get(pk=(first, second)[index].pk)
        return _move(version, Stage.PRODUCTION).version

    run_concurrently(2, promote)

    stages = dict(ModelVersion.objects.filter(registered_model=first.registered_model).values_list("version", "stage"))
    assert sorted(stages.values()) == [Stage.ARCHIVED, Stage.PRODUCTION]
    archived = next(number for number, stage in stages.items() if stage == Stage.ARCHIVED)
    assert StageTransition.objects.filter(version=archived).values_list("to_stage", flat=True).last() == "Archived"
