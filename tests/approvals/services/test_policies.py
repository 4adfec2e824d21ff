import pytest

from approvals.models import ApprovalPolicy, ModelPermission
from approvals.selectors import policy_effective, policy_protecting_stage
from approvals.services import policy_create, policy_delete, policy_update
from models_app.choices import AuditAction
from models_app.exceptions import AlreadyExists, InvalidParameter, PermissionDenied
from models_app.governance import PermissionLevel as Level
from models_app.models import AuditEvent
from models_app.services.registry import registered_model_create
from tests.approvals.conftest import API

pytestmark = pytest.mark.django_db


def _policy(actor, model=None, **overrides):
    settings = {"name": "gate", "protected_stages": ["Production"], **overrides}
    return policy_create(registered_model=model, actor=actor, entry_point=API, **settings)


def test_it_stores_stage_names_canonically_and_audits_creation(iris, owner):
    policy = _policy(owner, iris, protected_stages=["production", "STAGING", "Production"])
    assert policy.protected_stages == ["Production", "Staging"]
    event = AuditEvent.objects.get(action=AuditAction.POLICY_CREATED)
    assert event.registered_model_name == "iris_classifier"
    assert event.details["protected_stages"] == policy.protected_stages


def test_it_has_no_policy_by_default(iris):
    assert ApprovalPolicy.objects.count() == 0
    assert policy_effective(registered_model=iris) is None


def test_it_refuses_a_model_policy_to_users_without_can_manage(settings, iris, outsider):
    settings.REGISTRY_DEFAULT_PERMISSION = "CAN_READ"
    with pytest.raises(PermissionDenied, match="has CAN_READ on model 'iris_classifier'; changing its approval policy"):
        _policy(outsider, iris)


def test_it_refuses_a_model_policy_to_users_with_partial_rights(iris, outsider):
    # The default, CAN_MANAGE_PRODUCTION_VERSIONS, moves versions but does not govern them.
    with pytest.raises(PermissionDenied, match="has CAN_MANAGE_PRODUCTION_VERSIONS .* needs CAN_MANAGE"):
        _policy(outsider, iris)


def test_it_lets_a_granted_manager_create_a_model_policy(settings, iris, outsider):
    settings.REGISTRY_DEFAULT_PERMISSION = "CAN_READ"
    ModelPermission.objects.create(registered_model=iris, user=outsider, level=Level.CAN_MANAGE)
    assert _policy(outsider, iris).registered_model == iris


def test_it_keeps_the_global_policy_for_staff_superusers(owner, admin_user):
    with pytest.raises(PermissionDenied, match="Only staff superusers can change the global approval policy"):
        _policy(owner)
    assert _policy(admin_user).is_global


def test_it_allows_one_policy_per_model_and_one_global(iris, owner, admin_user):
    _policy(owner, iris)
    with pytest.raises(AlreadyExists, match="Model 'iris_classifier' already has an approval policy"):
        _policy(owner, iris, name="second")
    _policy(admin_user)
    with pytest.raises(AlreadyExists, match="The registry already has a global approval policy"):
        _policy(admin_user, name="second")


def test_it_lets_a_model_policy_override_the_global_one(iris, owner, admin_user):
    other = registered_model_create(name="other", actor=owner, entry_point=API)
    _policy(admin_user, name="global", protected_stages=["Production"])
    _policy(owner, iris, name="staging-only", protected_stages=["Staging"])
    assert policy_protecting_stage(registered_model=iris, stage="Production") is None
    assert policy_protecting_stage(registered_model=iris, stage="Staging").name == "staging-only"
    assert policy_protecting_stage(registered_model=other, stage="Production").name == "global"


@pytest.mark.parametrize(("overrides", "problem"), [
    ({"protected_stages": [], "protected_aliases": []}, "protects nothing"),
    ({"protected_stages": ["Archived"]}, "can protect Staging and Production, not Archived"),
    ({"protected_stages": ["Prod"]}, "Invalid Model Version stage: Prod"),
    ({"protected_stages": "Production"}, "'protected_stages' must be a list"),
    ({"protected_aliases": ["latest"]}, "reserved by the registry"),
    ({"required_approvals": 0}, "'required_approvals' must be an integer of at least 1"),
    ({"name": " "}, "Missing value for required parameter 'name'"),
])
def test_it_refuses_bad_settings_with_a_clear_message(iris, owner, overrides, problem):
    with pytest.raises(InvalidParameter, match=problem):
        _policy(owner, iris, **overrides)
    assert not ApprovalPolicy.objects.exists()


def test_it_updates_and_deletes_a_policy_with_audit(iris, owner, approvers):
    policy = _policy(owner, iris)
    policy_update(policy=policy, actor=owner, entry_point=API, required_approvals=2, approver_group=approvers,
                  protected_aliases=["champion"])
    policy.refresh_from_db()
    assert (policy.required_approvals, policy.approver_group, policy.protected_aliases) == (2, approvers, ["champion"])
    policy_delete(policy=policy, actor=owner, entry_point=API)
    assert not ApprovalPolicy.objects.exists()
    events = AuditEvent.objects.filter(object_type="approval_policy").order_by("id")
    actions = list(events.values_list("action", flat=True))
    assert actions == [AuditAction.POLICY_CREATED, AuditAction.POLICY_UPDATED, AuditAction.POLICY_DELETED]


def test_it_refuses_unknown_fields_and_outsiders_on_update(iris, owner, outsider):
    policy = _policy(owner, iris)
    with pytest.raises(InvalidParameter, match="Unknown policy field\\(s\\): colour"):
        policy_update(policy=policy, actor=owner, entry_point=API, colour="red")
    with pytest.raises(PermissionDenied):
        policy_update(policy=policy, actor=outsider, entry_point=API, required_approvals=3)
    with pytest.raises(PermissionDenied):
        policy_delete(policy=policy, actor=outsider, entry_point=API)
