"""Policies are governed: only governance admins write them, every change is audited with before and after, and
they match models by name or pattern, so no owner, deletion or look-alike name produces an ungoverned model."""
import pytest
from django.contrib.auth.models import Group

from approvals.models import ApprovalPolicy, ModelPermission
from approvals.selectors import policy_effective, policy_for_name, policy_protecting_stage
from approvals.services import policy_create, policy_delete, policy_update
from models_app.choices import AuditAction
from models_app.exceptions import AlreadyExists, InvalidParameter, PermissionDenied
from models_app.governance import PermissionLevel as Level
from models_app.models import AuditEvent
from models_app.services.registry import registered_model_create, registered_model_delete
from tests.approvals.conftest import API

pytestmark = pytest.mark.django_db


@pytest.fixture
def governance_admin(django_user_model, settings):
    """A member of the governance-admin group who is neither staff nor superuser."""
    user = django_user_model.objects.create_user("gov", "gov@example.com", "gov-pass")
    user.groups.add(Group.objects.create(name=settings.REGISTRY_GOVERNANCE_ADMIN_GROUP))
    return user


def _policy(actor, pattern="iris_classifier", **overrides):
    settings = {"name": "gate", "protected_stages": ["Production"], **overrides}
    return policy_create(model_pattern=pattern, actor=actor, entry_point=API, **settings)


def test_it_stores_stage_names_canonically_and_audits_creation_with_the_after_state(governance_admin):
    policy = _policy(governance_admin, protected_stages=["production", "STAGING", "Production"])
    assert policy.protected_stages == ["Production", "Staging"]
    event = AuditEvent.objects.get(action=AuditAction.POLICY_CREATED)
    assert event.actor == governance_admin
    assert event.details["before"] is None
    assert event.details["after"]["protected_stages"] == ["Production", "Staging"]
    assert event.details["after"]["model_pattern"] == "iris_classifier"


def test_it_has_no_policy_by_default(iris):
    assert ApprovalPolicy.objects.count() == 0
    assert policy_effective(registered_model=iris) is None


def test_the_models_owner_cannot_create_weaken_or_delete_its_policy(iris, owner, governance_admin):
    assert ModelPermission.objects.get(registered_model=iris, user=owner).level == Level.CAN_MANAGE
    with pytest.raises(PermissionDenied, match="User 'owner' is not a governance admin"):
        _policy(owner)
    policy = _policy(governance_admin, required_approvals=2)
    for weakening in ({"required_approvals": 1}, {"protected_stages": ["Staging"]}, {"model_pattern": "nothing-*"},
                      {"require_validation": False}, {"allow_self_approval": True}):
        with pytest.raises(PermissionDenied, match="not a governance admin"):
            policy_update(policy=policy, actor=owner, entry_point=API, **weakening)
    with pytest.raises(PermissionDenied, match="not a governance admin"):
        policy_delete(policy=policy, actor=owner, entry_point=API)
    policy.refresh_from_db()
    assert (policy.required_approvals, policy.protected_stages, policy.model_pattern) == (2, ["Production"],
                                                                                          "iris_classifier")
    assert policy_protecting_stage(registered_model=iris, stage="Production") == policy


def test_a_superuser_who_is_not_staff_is_no_governance_admin(django_user_model):
    half_admin = django_user_model.objects.create_user("half", "half@example.com", "pass", is_superuser=True)
    with pytest.raises(PermissionDenied, match="not a governance admin"):
        _policy(half_admin)


def test_a_governance_admin_changes_and_deletes_with_before_and_after_audited(governance_admin, approvers):
    policy = _policy(governance_admin)
    policy_update(policy=policy, actor=governance_admin, entry_point=API, required_approvals=2,
                  approver_group=approvers, protected_aliases=["champion"])
    policy.refresh_from_db()
    assert (policy.required_approvals, policy.approver_group, policy.protected_aliases) == (2, approvers, ["champion"])
    policy_delete(policy=policy, actor=governance_admin, entry_point=API)
    assert not ApprovalPolicy.objects.exists()
    created, updated, deleted = AuditEvent.objects.filter(object_type="approval_policy").order_by("id")
    assert [created.action, updated.action, deleted.action] == [
        AuditAction.POLICY_CREATED, AuditAction.POLICY_UPDATED, AuditAction.POLICY_DELETED]
    assert updated.details["before"]["required_approvals"] == 1
    assert updated.details["after"]["required_approvals"] == 2
    assert updated.details["changed"] == ["approver_group", "approver_group_id", "protected_aliases",
                                          "required_approvals"]
    assert deleted.details["before"]["approver_group"] == "prod-approvers"
    assert deleted.details["after"] is None


def test_deleting_and_recreating_a_governed_model_keeps_it_governed(iris, owner, admin_user, governance_admin):
    policy = _policy(governance_admin)
    registered_model_delete(registered_model=iris, actor=admin_user, entry_point=API, force_reason="cleanup")
    assert ApprovalPolicy.objects.filter(pk=policy.pk).exists()
    again = registered_model_create(name="iris_classifier", actor=owner, entry_point=API)
    assert policy_effective(registered_model=again) == policy


@pytest.mark.parametrize("look_alike", [
    "Iris_classifier", "IRIS_CLASSIFIER", "iris_classifier ", " iris_classifier", "iris\u200b_classifier",
    "iris_classifier\u200d", "ｉｒｉｓ_classifier", "iris\ufeff_classifier",
])
def test_a_look_alike_of_an_existing_name_is_refused_naming_the_existing_model(iris, outsider, look_alike):
    with pytest.raises(AlreadyExists, match="too close to the existing model 'iris_classifier'"):
        registered_model_create(name=look_alike, actor=outsider, entry_point=API)


@pytest.mark.parametrize("look_alike", ["Fraud-Scorer", "fraud-scorer ", "ｆｒａｕｄ-scorer", "fraud\u200b-scorer"])
def test_a_look_alike_of_a_governed_name_is_governed_before_any_model_exists(governance_admin, look_alike):
    policy = _policy(governance_admin, pattern="fraud-scorer")
    assert policy_for_name(look_alike) == policy


def test_patterns_govern_every_matching_model_and_the_most_specific_policy_wins(owner, governance_admin):
    everything = _policy(governance_admin, pattern="*", name="registry-wide")
    fraud = _policy(governance_admin, pattern="fraud-*", name="fraud", protected_stages=["Staging", "Production"])
    scorer = _policy(governance_admin, pattern="fraud-scorer", name="scorer", protected_aliases=["champion"])
    assert policy_for_name("fraud-detector") == fraud
    assert policy_for_name("FRAUD-detector") == fraud
    assert policy_for_name("fraud-scorer") == scorer
    assert policy_for_name("fraud-scorer-2") == fraud
    assert policy_for_name("churn") == everything
    model = registered_model_create(name="fraud-new", actor=owner, entry_point=API)
    assert policy_protecting_stage(registered_model=model, stage="Staging") == fraud


def test_a_pattern_is_one_policy_however_it_is_spelled(governance_admin):
    _policy(governance_admin, pattern="fraud-*")
    with pytest.raises(AlreadyExists, match="Policy 'gate' already governs the pattern 'FRAUD-\\*'"):
        _policy(governance_admin, pattern="FRAUD-*", name="twin")


@pytest.mark.parametrize(("overrides", "problem"), [
    ({"protected_stages": [], "protected_aliases": []}, "protects nothing"),
    ({"protected_stages": ["Archived"]}, "can protect Staging and Production, not Archived"),
    ({"protected_stages": ["Prod"]}, "Invalid Model Version stage: Prod"),
    ({"protected_stages": "Production"}, "'protected_stages' must be a list"),
    ({"protected_aliases": ["latest"]}, "'latest' alias name .case insensitive. is reserved"),
    ({"required_approvals": 0}, "'required_approvals' must be an integer of at least 1"),
    ({"name": " "}, "Missing value for required parameter 'name'"),
    ({"pattern": " "}, "Missing value for required parameter 'model_pattern'"),
    ({"pattern": "\u200b"}, "matches no name"),
])
def test_it_refuses_bad_settings_with_a_clear_message(governance_admin, overrides, problem):
    pattern = overrides.pop("pattern", "iris_classifier")
    with pytest.raises(InvalidParameter, match=problem):
        _policy(governance_admin, pattern, **overrides)
    assert not ApprovalPolicy.objects.exists()


def test_it_refuses_unknown_fields(governance_admin):
    policy = _policy(governance_admin)
    with pytest.raises(InvalidParameter, match="Unknown policy field\\(s\\): colour"):
        policy_update(policy=policy, actor=governance_admin, entry_point=API, colour="red")
