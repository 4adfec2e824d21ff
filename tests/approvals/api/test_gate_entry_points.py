"""The promotion gate holds on every entry point a client can reach over HTTP (the MLflow client itself is in
test_governed_promotion_flow.py)."""
import html

import pytest
from django.contrib.auth.models import Permission

from approvals.models import ReviewRequest
from approvals.services import permission_set
from models_app.choices import EntryPoint
from models_app.governance import PermissionLevel
from models_app.models import ModelVersion, RegisteredModelAlias
from models_app.services.tokens import api_token_create
from tests.approvals.conftest import API

pytestmark = pytest.mark.django_db
POLICY_NAMED = "Policy 'prod-gate' protects"
HOW_TO_ASK = "Open a review request: POST /api/v1/review-requests/"
# Browser users (the admin, the pages) are told which button to press, never which endpoint to call.
HOW_TO_ASK_IN_A_BROWSER = "Use “Request promotion” on the version's page to ask for it."


def _bearer(user) -> dict:
    raw, _token = api_token_create(user=user, name="gate-test", entry_point=EntryPoint.COMMAND)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _mlflow_transition(client, user, version):
    response = client.post("/api/2.0/mlflow/model-versions/transition-stage", content_type="application/json",
                           data={"name": "iris_classifier", "version": str(version.version), "stage": "Production",
                                 "archive_existing_versions": True}, **_bearer(user))
    return response.status_code, response.json()["error_code"] + ": " + response.json()["message"]


def _mlflow_alias(client, user, version):
    response = client.post("/api/2.0/mlflow/registered-models/alias", content_type="application/json",
                           data={"name": "iris_classifier", "alias": "champion", "version": str(version.version)},
                           **_bearer(user))
    return response.status_code, response.json()["error_code"] + ": " + response.json()["message"]


def _native_transition(client, user, version):
    response = client.post(f"/api/v1/models/iris_classifier/versions/{version.version}/transition/",
                           content_type="application/json", data={"stage": "Production"}, **_bearer(user))
    return response.status_code, response.json()["error_code"] + ": " + response.json()["detail"]


def _native_alias(client, user, version):
    response = client.put("/api/v1/models/iris_classifier/aliases/champion/", content_type="application/json",
                          data={"version": version.version}, **_bearer(user))
    return response.status_code, response.json()["error_code"] + ": " + response.json()["detail"]


def _admin_action(client, user, version):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_modelversion", "change_modelversion"]))
    client.force_login(user)
    response = client.post("/admin/models_app/modelversion/", {"action": "move_to_production",
                                                               "_selected_action": [version.pk]}, follow=True)
    return response.status_code, html.unescape(response.content.decode())


ENTRY_POINTS = {
    "mlflow transition-stage": (_mlflow_transition, 403, "PERMISSION_DENIED: ", HOW_TO_ASK),
    "mlflow alias set": (_mlflow_alias, 403, "PERMISSION_DENIED: ", HOW_TO_ASK),
    "native transition": (_native_transition, 403, "PERMISSION_DENIED: ", HOW_TO_ASK),
    "native alias": (_native_alias, 403, "PERMISSION_DENIED: ", HOW_TO_ASK),
    "admin action": (_admin_action, 200, "was not moved to Production: ", HOW_TO_ASK_IN_A_BROWSER),
}


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_it_refuses_a_move_into_a_protected_target_from_every_entry_point(client, prod_policy, iris, make_version,
                                                                          owner, entry_point):
    permission_set(registered_model=iris, user=owner, level=PermissionLevel.CAN_MANAGE, actor=None, entry_point=API)
    version = make_version(iris)
    attempt, status, prefix, how_to_ask = ENTRY_POINTS[entry_point]
    answered, message = attempt(client, owner, version)
    assert answered == status
    assert prefix in message
    assert POLICY_NAMED in message
    assert how_to_ask in message
    if how_to_ask == HOW_TO_ASK_IN_A_BROWSER:
        assert "/api/v1/" not in message
    version.refresh_from_db()
    assert version.stage == "None"
    assert not RegisteredModelAlias.objects.filter(alias="champion").exists()
    assert ModelVersion.objects.filter(stage="Production").count() == 0


@pytest.mark.parametrize("target", [{"stage": "Production"}, {"alias": "champion"},
                                    {"stage": "Production", "alias": "champion"}])
def test_the_page_form_confirmed_at_once_opens_a_review_request_instead_of_moving(client, prod_policy, iris,
                                                                                  make_version, owner, target):
    """Skipping the review step (a forged step=confirm) still only asks: the page never moves a protected target."""
    permission_set(registered_model=iris, user=owner, level=PermissionLevel.CAN_MANAGE, actor=None, entry_point=API)
    version = make_version(iris)
    client.force_login(owner)
    response = client.post(f"/models/iris_classifier/versions/{version.version}/stage/", {"step": "confirm", **target},
                           follow=True)
    assert response.status_code == 200
    assert "Review request #" in html.unescape(response.content.decode())
    version.refresh_from_db()
    assert version.stage == "None"
    assert not RegisteredModelAlias.objects.filter(alias="champion").exists()
    request = ReviewRequest.objects.get()
    assert (request.target_stage, request.target_alias) == (target.get("stage", ""), target.get("alias", ""))
