"""The policies API: governance admins write, everyone else (model owners included) reads what concerns them."""
import pytest
from django.contrib.auth.models import Group

from approvals.models import ApprovalPolicy
from approvals.services import policy_create
from models_app.choices import AuditAction, EntryPoint
from models_app.models import AuditEvent
from models_app.services.registry import registered_model_create
from tests.approvals.conftest import API

pytestmark = pytest.mark.django_db
URL = "/api/v1/policies/"
PROD_GATE = {"name": "prod-gate", "model_pattern": "iris_classifier", "protected_stages": ["Production"],
             "required_approvals": 2, "approver_group": "prod-approvers"}


@pytest.fixture
def governance_admin(django_user_model, settings):
    user = django_user_model.objects.create_user("gov", "gov@example.com", "gov-pass")
    user.groups.add(Group.objects.create(name=settings.REGISTRY_GOVERNANCE_ADMIN_GROUP))
    return user


def test_a_governance_admin_creates_a_policy_for_a_name_or_a_pattern(client_as, approvers, governance_admin):
    client = client_as(governance_admin)
    response = client.post(URL, PROD_GATE, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["model_pattern"], body["protected_stages"], body["required_approvals"], body["approver_group"]) == (
        "iris_classifier", ["Production"], 2, "prod-approvers")
    pattern = client.post(URL, {**PROD_GATE, "name": "fraud", "model_pattern": "fraud-*"}, format="json")
    assert pattern.status_code == 201
    assert pattern.json()["model_pattern"] == "fraud-*"


def test_the_models_owner_can_neither_create_nor_change_nor_delete_its_policy(client_as, prod_policy, approvers,
                                                                             owner):
    client = client_as(owner)
    created = client.post(URL, {**PROD_GATE, "name": "mine", "model_pattern": "iris_*"}, format="json")
    assert created.status_code == 403
    assert created.json()["detail"] == ("User 'owner' is not a governance admin; only governance admins can create "
                                        "an approval policy.")
    weakened = client.patch(f"{URL}{prod_policy.pk}/", {"required_approvals": 1}, format="json")
    assert weakened.status_code == 403
    moved = client.patch(f"{URL}{prod_policy.pk}/", {"model_pattern": "nothing"}, format="json")
    assert moved.status_code == 403
    deleted = client.delete(f"{URL}{prod_policy.pk}/")
    assert deleted.status_code == 403
    prod_policy.refresh_from_db()
    assert (prod_policy.required_approvals, prod_policy.model_pattern) == (2, "iris_classifier")
    assert not AuditEvent.objects.filter(action__in=[AuditAction.POLICY_UPDATED, AuditAction.POLICY_DELETED]).exists()


def test_the_owner_reads_the_policy_that_governs_its_model(client_as, prod_policy, owner):
    response = client_as(owner).get(f"{URL}{prod_policy.pk}/")
    assert response.status_code == 200
    assert response.json()["model_pattern"] == "iris_classifier"


@pytest.mark.parametrize(("body", "field", "message"), [
    ({**PROD_GATE, "protected_stages": [], "protected_aliases": []}, "detail", "protects nothing"),
    ({**PROD_GATE, "protected_stages": ["Archived"]}, "detail", "not Archived"),
    ({**PROD_GATE, "required_approvals": 0}, "required_approvals", "greater than or equal to 1"),
    ({**PROD_GATE, "approver_group": "nobody"}, "detail", "Group 'nobody' does not exist."),
    ({**PROD_GATE, "protected_stages": "Production"}, "protected_stages", "Expected a list"),
    ({key: value for key, value in PROD_GATE.items() if key != "model_pattern"}, "model_pattern", "required"),
])
def test_it_answers_4xx_naming_the_bad_setting(client_as, approvers, governance_admin, body, field, message):
    response = client_as(governance_admin).post(URL, body, format="json")
    assert response.status_code in (400, 404)
    assert message in str(response.json()[field])


def test_it_refuses_a_second_policy_for_the_same_pattern(client_as, approvers, governance_admin):
    client = client_as(governance_admin)
    assert client.post(URL, PROD_GATE, format="json").status_code == 201
    response = client.post(URL, {**PROD_GATE, "name": "twin", "model_pattern": "Iris_Classifier"}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == ("Policy 'prod-gate' already governs the pattern 'Iris_Classifier'; update it "
                                         "instead.")


def test_a_governance_admin_updates_and_deletes(client_as, prod_policy, governance_admin):
    client = client_as(governance_admin)
    response = client.patch(f"{URL}{prod_policy.pk}/", {"required_approvals": 3, "approver_group": None},
                            format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["required_approvals"], response.json()["approver_group"]) == (3, None)
    assert response.json()["protected_aliases"] == ["champion"]
    assert client.delete(f"{URL}{prod_policy.pk}/").status_code == 204
    assert not ApprovalPolicy.objects.filter(pk=prod_policy.pk).exists()
    deleted = AuditEvent.objects.get(action=AuditAction.POLICY_DELETED)
    assert deleted.actor == governance_admin and deleted.details["before"]["required_approvals"] == 3


@pytest.mark.parametrize("rows", [1, 30])
def test_it_lists_policies_in_bounded_queries(settings, client_as, approvers, admin_user, owner,
                                              django_assert_max_num_queries, rows):
    settings.REGISTRY_DEFAULT_PERMISSION = "CAN_EDIT"
    for n in range(rows):
        model = registered_model_create(name=f"m{n}", actor=owner, entry_point=EntryPoint.NATIVE_API)
        policy_create(name=f"gate-{n}", model_pattern=model.name, protected_stages=["Production"],
                      approver_group=approvers, actor=admin_user, entry_point=API)
    policy_create(name="other-team", model_pattern="other-*", protected_stages=["Production"], actor=admin_user,
                  entry_point=API)
    settings.REGISTRY_DEFAULT_PERMISSION = "NONE"  # the visibility filter is part of the bounded work
    client = client_as(owner)
    with django_assert_max_num_queries(8):
        response = client.get(URL, {"page_size": 50})
    # The owner sees the policies of the models it may read, not the pattern that matches none of them.
    assert [row["name"] for row in response.json()["results"]] == [f"gate-{n}" for n in range(rows)]
