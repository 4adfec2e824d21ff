"""Leaving a protected stage or alias, and deleting or renaming what a policy governs, from every entry point a
client reaches over HTTP: refused without an approved request (the user holds CAN_MANAGE on the model), done
once one is approved."""
import html

import pytest
from django.contrib.auth.models import Permission

from approvals.models import ReviewRequest
from approvals.services import permission_set
from models_app.choices import EntryPoint
from models_app.governance import PermissionLevel
from models_app.models import ModelVersion, RegisteredModel, RegisteredModelAlias
from models_app.services.stages import model_version_transition_stage, registered_model_alias_set
from models_app.services.tokens import api_token_create
from tests.approvals.conftest import API

pytestmark = pytest.mark.django_db
MODEL = "iris_classifier"


def _bearer(user) -> dict:
    raw, _token = api_token_create(user=user, name="exit-test", entry_point=EntryPoint.COMMAND)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _json_message(response) -> str:
    body = response.json()
    return f"{body['error_code']}: {body.get('message') or body.get('detail')}"


def _mlflow(method, path, data):
    def attempt(client, user, version):
        response = getattr(client, method)(f"/api/2.0/mlflow/{path}", content_type="application/json",
                                           data={key: value.format(v=version.version) for key, value in data.items()},
                                           **_bearer(user))
        return response.status_code, _json_message(response)
    return attempt


def _native(method, path, data=None):
    def attempt(client, user, version):
        response = getattr(client, method)(f"/api/v1/models/{MODEL}/{path.format(v=version.version)}",
                                           content_type="application/json", data=data or {}, **_bearer(user))
        return response.status_code, _json_message(response)
    return attempt


def _staff(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(*Permission.objects.filter(codename__in=[
        "view_modelversion", "change_modelversion", "delete_modelversion", "view_registeredmodel",
        "delete_registeredmodel"]))


def _admin_action(client, user, version):
    _staff(user)
    client.force_login(user)
    response = client.post("/admin/models_app/modelversion/", {"action": "move_to_archived",
                                                               "_selected_action": [version.pk]}, follow=True)
    return response.status_code, html.unescape(response.content.decode())


def _admin_delete_version(client, user, version):
    _staff(user)
    client.force_login(user)
    response = client.post(f"/admin/models_app/modelversion/{version.pk}/delete/", {"post": "yes"}, follow=True)
    return response.status_code, html.unescape(response.content.decode())


def _admin_delete_model(client, user, version):
    _staff(user)
    client.force_login(user)
    response = client.post(f"/admin/models_app/registeredmodel/{version.registered_model_id}/delete/",
                           {"post": "yes"}, follow=True)
    return response.status_code, html.unescape(response.content.decode())


EXITS = {
    "mlflow demote": (_mlflow("post", "model-versions/transition-stage",
                              {"name": MODEL, "version": "{v}", "stage": "None"}), 403),
    "mlflow archive": (_mlflow("post", "model-versions/transition-stage",
                               {"name": MODEL, "version": "{v}", "stage": "Archived"}), 403),
    "mlflow delete version": (_mlflow("delete", "model-versions/delete", {"name": MODEL, "version": "{v}"}), 403),
    "mlflow delete model": (_mlflow("delete", "registered-models/delete", {"name": MODEL}), 403),
    "mlflow rename model": (_mlflow("post", "registered-models/rename", {"name": MODEL, "new_name": "other"}), 403),
    "mlflow delete alias": (_mlflow("delete", "registered-models/alias", {"name": MODEL, "alias": "champion"}), 403),
    "native demote": (_native("post", "versions/{v}/transition/", {"stage": "None"}), 403),
    "native delete alias": (_native("delete", "aliases/champion/"), 403),
    "native delete version": (_native("delete", "versions/{v}/"), 403),
    "native delete model": (_native("delete", ""), 403),
    "native rename model": (_native("post", "rename/", {"new_name": "other"}), 403),
    "admin archive action": (_admin_action, 200),
    "admin delete version": (_admin_delete_version, 200),
    "admin delete model": (_admin_delete_model, 200),
}


@pytest.fixture
def champion(prod_policy, iris, make_version, owner, admin_user):
    permission_set(registered_model=iris, user=owner, level=PermissionLevel.CAN_MANAGE, actor=None, entry_point=API)
    version = make_version(iris)
    model_version_transition_stage(version=version, to_stage="Production", actor=admin_user, entry_point=API,
                                   force_reason="initial release")
    registered_model_alias_set(registered_model=iris, alias="champion", version_number=version.version,
                               actor=admin_user, entry_point=API, force_reason="initial release")
    return version


@pytest.mark.parametrize("exit_name", EXITS)
def test_every_exit_is_refused_from_every_entry_point(client, champion, owner, exit_name):
    attempt, status = EXITS[exit_name]
    answered, message = attempt(client, owner, champion)
    assert answered == status
    assert "Policy 'prod-gate' protects" in message
    assert RegisteredModel.objects.filter(name=MODEL).exists()
    champion.refresh_from_db()
    assert champion.stage == "Production"
    assert RegisteredModelAlias.objects.get(alias="champion").model_version_id == champion.pk


@pytest.mark.parametrize(("body", "done"), [
    ({"version": 1, "stage": "Archived"},
     lambda: ModelVersion.objects.get(version=1).stage == "Archived"),
    ({"action": "remove_alias", "alias": "champion"},
     lambda: not RegisteredModelAlias.objects.filter(alias="champion").exists()),
    ({"action": "delete_version", "version": 1},
     lambda: not ModelVersion.objects.filter(version=1).exists()),
    ({"action": "rename_model", "new_name": "iris_retired"},
     lambda: RegisteredModel.objects.filter(name="iris_retired").exists()),
    ({"action": "delete_model"},
     lambda: not RegisteredModel.objects.exists()),
])
def test_an_approved_request_makes_the_exit(champion, client_as, owner, iris, approvers, user_named, body, done):
    permission_set(registered_model=iris, group=approvers, level=PermissionLevel.CAN_MANAGE, actor=None,
                   entry_point=API)
    opened = client_as(owner).post("/api/v1/review-requests/", {"model": MODEL, **body}, format="json")
    assert opened.status_code == 201, opened.json()
    request_id = opened.json()["id"]
    assert opened.json()["action"] == body.get("action", "move")
    for name in ("reviewer", "reviewer2"):
        decided = client_as(user_named(name)).post(f"/api/v1/review-requests/{request_id}/approve/", {},
                                                   format="json")
        assert decided.status_code == 200, decided.json()
    assert decided.json()["status"] == "APPLIED"
    assert done()


def test_a_governance_admin_breaks_glass_through_the_native_api(client, champion, admin_user):
    response = client.delete(f"/api/v1/models/{MODEL}/aliases/champion/?force_reason=incident%207",
                             **_bearer(admin_user))
    assert response.status_code == 204
    response = client.delete(f"/api/v1/models/{MODEL}/?force_reason=incident%207", **_bearer(admin_user))
    assert response.status_code == 204
    assert not RegisteredModel.objects.exists()


@pytest.mark.parametrize(("form", "asked"), [
    ({"stage": "None"}, {"action": "move", "target_stage": "None"}),
    ({"stage": "Archived"}, {"action": "move", "target_stage": "Archived"}),
    ({"remove_alias": "champion"}, {"action": "remove_alias", "target_alias": "champion"}),
])
def test_the_page_panel_confirmed_at_once_asks_for_removal_instead_of_leaving(client, champion, owner, form, asked):
    client.force_login(owner)
    response = client.post(f"/models/{MODEL}/versions/{champion.version}/stage/", {"step": "confirm", **form},
                           follow=True)
    assert response.status_code == 200
    assert "Review request #" in html.unescape(response.content.decode())
    champion.refresh_from_db()
    assert champion.stage == "Production"
    assert RegisteredModelAlias.objects.get(alias="champion").model_version_id == champion.pk
    assert ReviewRequest.objects.filter(**asked).count() == 1
