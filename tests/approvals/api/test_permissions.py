import pytest

from approvals.models import ModelPermission
from approvals.services import permission_set
from models_app.governance import PermissionLevel
from tests.approvals.conftest import API

pytestmark = pytest.mark.django_db
URL = "/api/v1/models/iris_classifier/permissions/"


def test_it_lists_the_grants_of_a_model(client_as, owner, outsider):
    response = client_as(outsider).get(URL)
    assert response.status_code == 200
    assert [(row["user"], row["group"], row["level"]) for row in response.json()] == [
        ("owner", None, "CAN_MANAGE")]


def test_it_sets_a_users_level_and_a_groups_level_as_manager(client_as, approvers, owner, outsider):
    client = client_as(owner)
    assert client.put(URL, {"user": "outsider", "level": "CAN_EDIT"}, format="json").status_code == 200
    response = client.put(URL, {"group": "prod-approvers", "level": "CAN_MANAGE_PRODUCTION_VERSIONS"},
                          format="json")
    assert response.status_code == 200
    assert {(row["user"], row["group"], row["level"]) for row in response.json()} == {
        ("owner", None, "CAN_MANAGE"), ("outsider", None, "CAN_EDIT"),
        (None, "prod-approvers", "CAN_MANAGE_PRODUCTION_VERSIONS")}


@pytest.mark.parametrize("level", ["NONE", None])
def test_it_removes_a_grant_with_level_none_or_null(client_as, iris, owner, outsider, level):
    permission_set(registered_model=iris, user=outsider, level=PermissionLevel.CAN_EDIT, actor=owner,
                   entry_point=API)
    response = client_as(owner).put(URL, {"user": "outsider", "level": level}, format="json")
    assert response.status_code == 200
    assert not ModelPermission.objects.filter(user=outsider).exists()


def test_it_refuses_changing_permissions_without_rights_saying_why(client_as, outsider):
    response = client_as(outsider).put(URL, {"user": "outsider", "level": "CAN_MANAGE"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "User 'outsider' has CAN_READ on model 'iris_classifier'; changing its permissions needs CAN_MANAGE.")
    assert not ModelPermission.objects.filter(user=outsider).exists()


def test_it_refuses_changing_permissions_with_partial_rights(client_as, iris, owner, outsider):
    permission_set(registered_model=iris, user=outsider, level=PermissionLevel.CAN_MANAGE_PRODUCTION_VERSIONS,
                   actor=owner, entry_point=API)
    response = client_as(outsider).put(URL, {"user": "outsider", "level": "CAN_MANAGE"}, format="json")
    assert response.status_code == 403
    assert "has CAN_MANAGE_PRODUCTION_VERSIONS" in response.json()["detail"]


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"user": "outsider", "level": "CAN_FLY"}, 400, "Invalid permission level: 'CAN_FLY'"),
    ({"level": "CAN_EDIT"}, 400, "Give exactly one of 'user' or 'group'."),
    ({"user": "outsider", "group": "prod-approvers", "level": "CAN_EDIT"}, 400,
     "Give exactly one of 'user' or 'group'."),
    ({"user": "ghost", "level": "CAN_EDIT"}, 404, "User 'ghost' does not exist."),
    ({"group": "ghosts", "level": "CAN_EDIT"}, 404, "Group 'ghosts' does not exist."),
    ({"user": "outsider"}, 400, "This field is required."),
])
def test_it_answers_4xx_naming_the_problem(client_as, approvers, owner, outsider, body, status, message):
    response = client_as(owner).put(URL, body, format="json")
    assert response.status_code == status
    assert message in str(response.json())


def test_it_answers_404_for_an_unknown_model(client_as, owner):
    response = client_as(owner).get("/api/v1/models/nope/permissions/")
    assert response.status_code == 404
    assert "nope" in response.json()["detail"]
