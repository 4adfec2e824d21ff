import pytest

from approvals.models import ApprovalPolicy
from approvals.services import permission_set, policy_create
from models_app.choices import EntryPoint
from models_app.governance import PermissionLevel
from models_app.services.registry import registered_model_create
from tests.approvals.conftest import API

pytestmark = pytest.mark.django_db
URL = "/api/v1/policies/"
PROD_GATE = {"name": "prod-gate", "model": "iris_classifier", "protected_stages": ["Production"],
             "required_approvals": 2, "approver_group": "prod-approvers"}


def test_it_creates_a_model_policy_as_its_manager(client_as, approvers, owner):
    response = client_as(owner).post(URL, PROD_GATE, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["model"], body["protected_stages"], body["required_approvals"], body["approver_group"]) == (
        "iris_classifier", ["Production"], 2, "prod-approvers")


def test_it_refuses_creating_a_policy_without_rights_saying_why(client_as, approvers, outsider):
    response = client_as(outsider).post(URL, PROD_GATE, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "User 'outsider' has CAN_READ on model 'iris_classifier'; changing its approval policy needs CAN_MANAGE.")
    assert not ApprovalPolicy.objects.exists()


def test_it_refuses_creating_a_policy_with_partial_rights(client_as, iris, approvers, owner, outsider):
    permission_set(registered_model=iris, user=outsider, level=PermissionLevel.CAN_MANAGE_PRODUCTION_VERSIONS,
                   actor=owner, entry_point=API)
    response = client_as(outsider).post(URL, PROD_GATE, format="json")
    assert response.status_code == 403
    assert "has CAN_MANAGE_PRODUCTION_VERSIONS" in response.json()["detail"]


def test_it_leaves_the_global_policy_to_staff_superusers(client_as, owner, admin_user):
    body = {"name": "global", "protected_stages": ["Production"]}
    refused = client_as(owner).post(URL, body, format="json")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Only staff superusers can change the global approval policy."
    created = client_as(admin_user).post(URL, body, format="json")
    assert created.status_code == 201
    assert created.json()["model"] is None


@pytest.mark.parametrize(("body", "field", "message"), [
    ({**PROD_GATE, "protected_stages": [], "protected_aliases": []}, "detail", "protects nothing"),
    ({**PROD_GATE, "protected_stages": ["Archived"]}, "detail", "not Archived"),
    ({**PROD_GATE, "required_approvals": 0}, "required_approvals", "greater than or equal to 1"),
    ({**PROD_GATE, "approver_group": "nobody"}, "detail", "Group 'nobody' does not exist."),
    ({**PROD_GATE, "protected_stages": "Production"}, "protected_stages", "Expected a list"),
])
def test_it_answers_4xx_naming_the_bad_setting(client_as, approvers, owner, body, field, message):
    response = client_as(owner).post(URL, body, format="json")
    assert response.status_code in (400, 404)
    assert message in str(response.json()[field])


def test_it_refuses_a_second_policy_for_the_same_model(client_as, approvers, owner):
    client = client_as(owner)
    assert client.post(URL, PROD_GATE, format="json").status_code == 201
    response = client.post(URL, PROD_GATE, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == "Model 'iris_classifier' already has an approval policy; update it instead."


def test_it_updates_some_settings_as_the_manager(client_as, prod_policy, owner):
    response = client_as(owner).patch(f"{URL}{prod_policy.pk}/", {"required_approvals": 3,
                                                                 "approver_group": None}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["required_approvals"], response.json()["approver_group"]) == (3, None)
    assert response.json()["protected_aliases"] == ["champion"]


def test_it_refuses_updates_without_and_with_partial_rights(client_as, prod_policy, iris, owner, outsider):
    client = client_as(outsider)
    refused = client.patch(f"{URL}{prod_policy.pk}/", {"required_approvals": 1}, format="json")
    assert refused.status_code == 403
    assert "changing its approval policy needs CAN_MANAGE" in refused.json()["detail"]
    permission_set(registered_model=iris, user=outsider, level=PermissionLevel.CAN_EDIT, actor=owner,
                   entry_point=API)
    partial = client.patch(f"{URL}{prod_policy.pk}/", {"required_approvals": 1}, format="json")
    assert partial.status_code == 403
    assert "has CAN_EDIT" in partial.json()["detail"]
    prod_policy.refresh_from_db()
    assert prod_policy.required_approvals == 2


def test_it_refuses_moving_a_policy_to_another_model(client_as, prod_policy, owner):
    response = client_as(owner).patch(f"{URL}{prod_policy.pk}/", {"model": "other"}, format="json")
    assert response.status_code == 400
    assert response.json()["model"] == ["A policy's model cannot change; delete it and create another."]


def test_it_deletes_as_the_manager_only(client_as, prod_policy, outsider, owner):
    refused = client_as(outsider).delete(f"{URL}{prod_policy.pk}/")
    assert refused.status_code == 403
    assert client_as(owner).delete(f"{URL}{prod_policy.pk}/").status_code == 204
    assert not ApprovalPolicy.objects.filter(pk=prod_policy.pk).exists()


@pytest.mark.parametrize("rows", [1, 30])
def test_it_lists_policies_in_bounded_queries(settings, client_as, approvers, admin_user, owner,
                                              django_assert_max_num_queries, rows):
    settings.REGISTRY_DEFAULT_PERMISSION = "CAN_EDIT"
    for n in range(rows):
        model = registered_model_create(name=f"m{n}", actor=owner, entry_point=EntryPoint.NATIVE_API)
        policy_create(name=f"gate-{n}", registered_model=model, protected_stages=["Production"],
                      approver_group=approvers, actor=admin_user, entry_point=API)
    settings.REGISTRY_DEFAULT_PERMISSION = "NONE"  # the visibility filter is part of the bounded work
    client = client_as(owner)
    with django_assert_max_num_queries(6):
        response = client.get(URL, {"page_size": 50})
    assert [row["name"] for row in response.json()["results"]] == [f"gate-{n}" for n in range(rows)]
