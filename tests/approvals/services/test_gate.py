import pytest

from approvals.services import policy_create, policy_update, review_request_approve, review_request_create
from models_app.choices import AuditAction, EntryPoint
from models_app.exceptions import PermissionDenied
from models_app.models import AuditEvent
from models_app.services.registry import registered_model_create
from models_app.services.stages import (
    model_version_transition_stage,
    registered_model_alias_set,
)
from tests.approvals.conftest import API

pytestmark = pytest.mark.django_db

CLIENT_ENTRY_POINTS = [EntryPoint.MLFLOW_API, EntryPoint.NATIVE_API, EntryPoint.PAGE, EntryPoint.ADMIN]
PROD_REFUSAL = (
    "Policy 'prod-gate' protects stage Production of model 'iris_classifier': moving version {n} into Production needs "
    "2 approval(s) from group 'prod-approvers'. Open a review request: POST /api/v1/review-requests/ with "
    '{{"model": "iris_classifier", "version": {n}, "stage": "Production"}}.'
)


def _promote(version, actor, **extra):
    extra.setdefault("entry_point", API)
    return model_version_transition_stage(version=version, to_stage="Production", actor=actor, **extra)


@pytest.mark.parametrize("entry_point", CLIENT_ENTRY_POINTS)
def test_it_refuses_a_stage_change_into_a_protected_stage_from_every_entry_point(prod_policy, iris, make_version,
                                                                                 owner, entry_point):
    version = make_version(iris)
    with pytest.raises(PermissionDenied) as refusal:
        _promote(version, owner, entry_point=entry_point)
    assert refusal.value.message == PROD_REFUSAL.format(n=version.version)
    version.refresh_from_db()
    assert version.stage == "None"


@pytest.mark.parametrize("entry_point", CLIENT_ENTRY_POINTS)
def test_it_refuses_moving_a_protected_alias_from_every_entry_point(prod_policy, iris, make_version, owner,
                                                                   entry_point):
    version = make_version(iris)
    with pytest.raises(PermissionDenied, match="Policy 'prod-gate' protects alias @champion of model "
                                               f"'iris_classifier': pointing @champion at version {version.version}"):
        registered_model_alias_set(registered_model=iris, alias="champion", version_number=version.version,
                                   actor=owner, entry_point=entry_point)
    assert not iris.aliases.exists()


def test_it_holds_the_gate_for_the_system_too(prod_policy, iris, make_version):
    with pytest.raises(PermissionDenied, match="protects stage Production"):
        _promote(make_version(iris), None, entry_point=EntryPoint.SYSTEM)


def test_it_lets_unprotected_stages_and_aliases_through(prod_policy, iris, make_version, owner):
    version = make_version(iris)
    model_version_transition_stage(version=version, to_stage="Staging", actor=owner, entry_point=API)
    registered_model_alias_set(registered_model=iris, alias="candidate", version_number=version.version,
                               actor=owner, entry_point=API)
    version.refresh_from_db()
    assert version.stage == "Staging" and version.aliases.get().alias == "candidate"


def test_it_lets_a_governance_admin_force_a_change_and_audits_the_bypass(prod_policy, iris, make_version, admin_user):
    version = make_version(iris)
    _promote(version, admin_user, force_reason="incident 42: hotfix")
    version.refresh_from_db()
    assert version.stage == "Production"
    bypass = AuditEvent.objects.get(action=AuditAction.GATE_BYPASSED)
    assert bypass.actor_name == "admin" and bypass.details == {
        "policy": "prod-gate", "version": version.version, "target": "Production",
        "change": f"moving version {version.version} into Production",
        "force_reason": "incident 42: hotfix"}


def test_it_refuses_a_force_reason_from_anyone_else(prod_policy, iris, make_version, owner):
    with pytest.raises(PermissionDenied, match="Only governance admins can break glass on policy 'prod-gate'"):
        _promote(make_version(iris), owner, force_reason="trust me")
    assert not AuditEvent.objects.filter(action=AuditAction.GATE_BYPASSED).exists()


def test_it_ignores_a_blank_force_reason(prod_policy, iris, make_version, admin_user):
    with pytest.raises(PermissionDenied, match="protects stage Production"):
        _promote(make_version(iris), admin_user, force_reason="   ")


def test_it_refuses_a_review_request_that_approves_something_else(prod_policy, iris, make_version, owner,
                                                                  user_named):
    approved_for, other = make_version(iris), make_version(iris)
    policy_update(policy=prod_policy, actor=None, entry_point=API, require_validation=True)
    request = review_request_create(version=approved_for, actor=owner, entry_point=API, stage="Production")
    for name in ("reviewer", "reviewer2"):
        review_request_approve(request=request, actor=user_named(name), entry_point=API)
    with pytest.raises(PermissionDenied, match=f"Review request #{request.pk} does not approve moving version "
                                               f"{other.version} into Production on model 'iris_classifier'"):
        _promote(other, owner, review_request_id=request.pk)
    with pytest.raises(PermissionDenied, match="does not approve pointing @champion at version"):
        registered_model_alias_set(registered_model=iris, alias="champion", version_number=approved_for.version,
                                   actor=owner, entry_point=API, review_request_id=request.pk)
    with pytest.raises(PermissionDenied, match="policy 'prod-gate' requires a passed validation run; validation run "
                                               r"#\d+ is queued"):
        _promote(approved_for, owner, review_request_id=request.pk)


def test_it_refuses_a_review_request_that_is_not_approved(prod_policy, iris, make_version, owner):
    version = make_version(iris)
    request = review_request_create(version=version, actor=owner, entry_point=API, stage="Production")
    with pytest.raises(PermissionDenied, match=f"Review request #{request.pk} is PENDING, not APPROVED"):
        _promote(version, owner, review_request_id=request.pk)


def test_it_applies_the_global_policy_to_every_model_without_its_own(admin_user, owner, make_version):
    policy_create(name="global-gate", model_pattern="*",
                  protected_stages=["Production"], actor=admin_user, entry_point=API)
    model = registered_model_create(name="churn", actor=owner, entry_point=API)
    with pytest.raises(PermissionDenied, match="Policy 'global-gate' protects stage Production of model 'churn': "
                                               ".* needs 1 approval\\(s\\) from users with "
                                               "CAN_MANAGE_PRODUCTION_VERSIONS on the model"):
        _promote(make_version(model), owner)


def test_it_leaves_ungoverned_models_alone(iris, make_version, owner):
    version = _promote(make_version(iris), owner)
    assert version.stage == "Production"
