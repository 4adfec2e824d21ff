import pytest

from approvals.services import permission_set
from models_app.choices import EntryPoint
from models_app.governance import PermissionLevel
from models_app.models import ModelVersion
from models_app.services.stages import model_version_transition_stage, registered_model_alias_set
from tests.approvals.conftest import API

pytestmark = pytest.mark.django_db
URL = "/api/v1/models/iris_classifier/rollback/"


@pytest.fixture
def two_productions(iris, make_version):
    """Version 1 went to Production, then version 2 replaced it (1 is Archived); @champion 1 then 2."""
    first, second = make_version(iris), make_version(iris)
    for version in (first, second):
        model_version_transition_stage(version=version, to_stage="Production", actor=None,
                                       entry_point=EntryPoint.SYSTEM, archive_existing=True)
        registered_model_alias_set(registered_model=iris, alias="champion", version_number=version.version,
                                   actor=None, entry_point=EntryPoint.SYSTEM)
    return first, second


def test_it_moves_the_previous_version_back_when_no_policy_protects_the_stage(client_as, two_productions, owner):
    first, second = two_productions
    response = client_as(owner).post(URL, {"stage": "Production", "comment": "bad metrics"}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["version"]["version"], response.json()["version"]["stage"]) == (1, "Production")
    second.refresh_from_db()
    assert second.stage == "Archived"


def test_it_moves_an_alias_back(client_as, two_productions, owner):
    response = client_as(owner).post(URL, {"alias": "champion"}, format="json")
    assert response.status_code == 200
    assert "champion" in response.json()["version"]["aliases"]
    assert response.json()["version"]["version"] == 1


def test_it_opens_a_review_request_when_a_policy_protects_the_stage(client_as, two_productions, prod_policy, owner):
    response = client_as(owner).post(URL, {"stage": "Production", "comment": "bad metrics"}, format="json")
    assert response.status_code == 202
    request = response.json()["review_request"]
    assert (request["version"], request["target_stage"], request["status"], request["comment"]) == (
        1, "Production", "PENDING", "rollback: bad metrics")
    assert ModelVersion.objects.get(registered_model__name="iris_classifier", version=1).stage == "Archived"


def test_it_refuses_rollback_without_rights_saying_why(client_as, two_productions, outsider):
    response = client_as(outsider).post(URL, {"stage": "Production"}, format="json")
    assert response.status_code == 403
    assert "User 'outsider' has CAN_READ on model 'iris_classifier'" in response.json()["detail"]
    assert "CAN_MANAGE_PRODUCTION_VERSIONS" in response.json()["detail"]


def test_it_refuses_rollback_with_partial_rights(client_as, two_productions, iris, owner, outsider):
    permission_set(registered_model=iris, user=outsider, level=PermissionLevel.CAN_MANAGE_STAGING_VERSIONS,
                   actor=owner, entry_point=API)
    response = client_as(outsider).post(URL, {"stage": "Production"}, format="json")
    assert response.status_code == 403
    assert "has CAN_MANAGE_STAGING_VERSIONS" in response.json()["detail"]
    assert ModelVersion.objects.get(registered_model__name="iris_classifier", version=2).stage == "Production"


@pytest.mark.parametrize(("body", "message"), [
    ({}, "Give exactly one of 'stage' or 'alias'."),
    ({"stage": "Production", "alias": "champion"}, "Give exactly one of 'stage' or 'alias'."),
    ({"stage": "Staging"}, "No earlier version of model 'iris_classifier' was in Staging"),
    ({"stage": "Lunar"}, "Lunar"),
])
def test_it_answers_400_naming_the_problem(client_as, two_productions, owner, body, message):
    response = client_as(owner).post(URL, body, format="json")
    assert response.status_code == 400
    assert message in str(response.json())
