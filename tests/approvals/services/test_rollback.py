import pytest

from approvals.choices import ReviewRequestStatus as Status
from approvals.services import review_request_approve, rollback
from models_app.exceptions import InvalidParameter, InvalidState, PermissionDenied
from models_app.services.stages import model_version_transition_stage, registered_model_alias_set
from tests.approvals.conftest import API

pytestmark = pytest.mark.django_db


def _promote(version, actor, **extra):
    model_version_transition_stage(version=version, to_stage="Production", actor=actor, entry_point=API, **extra)


def _stage_of(version) -> str:
    version.refresh_from_db()
    return version.stage


def test_it_puts_the_previous_production_version_back_directly_without_a_policy(iris, make_version, owner):
    first, second = make_version(iris), make_version(iris)
    _promote(first, owner)
    _promote(second, owner)

    result = rollback(registered_model=iris, stage="production", actor=owner, entry_point=API, comment="bad AUC")

    assert result.review_request is None and result.version.pk == first.pk
    assert (_stage_of(first), _stage_of(second)) == ("Production", "Archived")
    assert iris.versions.get(pk=first.pk).stage == "Production"


def test_it_opens_a_review_request_when_a_policy_protects_the_stage(prod_policy, iris, make_version, owner,
                                                                   admin_user, user_named):
    first, second = make_version(iris), make_version(iris)
    _promote(first, admin_user, force_reason="release 1")
    _promote(second, admin_user, force_reason="release 2")

    result = rollback(registered_model=iris, stage="Production", actor=owner, entry_point=API, comment="bad AUC")

    request = result.review_request
    assert (request.model_version, request.target_stage, request.comment) == (first, "Production", "rollback: bad AUC")
    assert _stage_of(first) == "Archived"
    for name in ("reviewer", "reviewer2"):
        request = review_request_approve(request=request, actor=user_named(name), entry_point=API)
    assert request.status == Status.APPLIED
    assert (_stage_of(first), _stage_of(second)) == ("Production", "Archived")


def test_it_moves_an_alias_back(iris, make_version, owner):
    first, second = make_version(iris), make_version(iris)
    for version in (first, second):
        registered_model_alias_set(registered_model=iris, alias="champion", version_number=version.version,
                                   actor=owner, entry_point=API)
    result = rollback(registered_model=iris, alias="champion", actor=owner, entry_point=API)
    assert result.version.pk == first.pk and iris.aliases.get().model_version == first


def test_it_asks_for_review_to_move_a_protected_alias_back(prod_policy, iris, make_version, owner, admin_user):
    first, second = make_version(iris), make_version(iris)
    for version in (first, second):
        registered_model_alias_set(registered_model=iris, alias="champion", version_number=version.version,
                                   actor=admin_user, entry_point=API, force_reason="release")
    result = rollback(registered_model=iris, alias="champion", actor=owner, entry_point=API)
    assert (result.review_request.target_alias, result.review_request.model_version) == ("champion", first)
    assert iris.aliases.get().model_version == second


def test_it_says_when_there_is_nothing_to_roll_back_to(iris, make_version, owner):
    _promote(make_version(iris), owner)
    with pytest.raises(InvalidState, match="No earlier version of model 'iris_classifier' was in Production"):
        rollback(registered_model=iris, stage="Production", actor=owner, entry_point=API)
    with pytest.raises(InvalidState, match="Alias @champion of model 'iris_classifier' is not set"):
        rollback(registered_model=iris, alias="champion", actor=owner, entry_point=API)
    with pytest.raises(InvalidParameter, match="exactly one of 'stage' or 'alias'"):
        rollback(registered_model=iris, actor=owner, entry_point=API)


def test_it_skips_a_previous_occupant_that_was_deleted(iris, make_version, owner):
    from models_app.services.registry import model_version_delete

    first, second, third = make_version(iris), make_version(iris), make_version(iris)
    for version in (first, second, third):
        _promote(version, owner)
    model_version_delete(version=iris.versions.get(pk=second.pk), actor=owner, entry_point=API)
    assert rollback(registered_model=iris, stage="Production", actor=owner, entry_point=API).version.pk == first.pk


def test_it_needs_the_permission_to_move_the_version(settings, iris, make_version, owner, outsider):
    settings.REGISTRY_DEFAULT_PERMISSION = "CAN_EDIT"
    first, second = make_version(iris), make_version(iris)
    _promote(first, owner)
    _promote(second, owner)
    with pytest.raises(PermissionDenied, match="has CAN_EDIT .* needs CAN_MANAGE_PRODUCTION_VERSIONS"):
        rollback(registered_model=iris, stage="Production", actor=outsider, entry_point=API)
