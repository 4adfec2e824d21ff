"""databricks-sdk's model_registry against a live server: request -> approve -> applied under the same quorum,
separation of duties and gate; comments; permissions; registry webhooks delivered in Databricks' signed shape."""
import hashlib
import hmac
import json

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import DatabricksError
from databricks.sdk.service.ml import (
    RegisteredModelAccessControlRequest,
    RegisteredModelPermissionLevel,
    RegistryWebhookEvent,
)

from approvals.models import ModelPermission
from models_app.choices import EntryPoint
from models_app.services.tokens import api_token_create

pytestmark = [pytest.mark.mlflow_client]


@pytest.fixture
def registry_as(live_server, transactional_db, monkeypatch, tmp_path):
    for name in ("DATABRICKS_HOST", "DATABRICKS_TOKEN", "DATABRICKS_CONFIG_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "no-databrickscfg"))

    def make(user):
        raw, _ = api_token_create(user=user, name="sdk", entry_point=EntryPoint.COMMAND)
        return WorkspaceClient(host=live_server.url, token=raw, auth_type="pat").model_registry

    return make


def test_request_approve_applied_under_the_policys_quorum(registry_as, prod_policy, iris, make_version, owner,
                                                          user_named):
    version = make_version(iris)
    as_owner = registry_as(owner)
    created = as_owner.create_transition_request(name=iris.name, version=str(version.version), stage="Production",
                                                 comment="tests passed in Staging")
    assert created.request.to_stage == "Production" and created.request.user_id == "owner"
    listed = list(as_owner.list_transition_requests(name=iris.name, version=str(version.version)))
    assert [(a.to_stage, a.user_id) for a in listed] == [("Production", "owner")]
    # Separation of duties: the requester cannot approve, nor move it directly past the gate.
    with pytest.raises(DatabricksError, match="(?i)group 'prod-approvers'|own request"):
        as_owner.approve_transition_request(name=iris.name, version=str(version.version), stage="Production",
                                            archive_existing_versions=True)
    with pytest.raises(DatabricksError, match="prod-gate"):
        as_owner.transition_stage(name=iris.name, version=str(version.version), stage="Production",
                                  archive_existing_versions=True)
    first = registry_as(user_named("reviewer")).approve_transition_request(
        name=iris.name, version=str(version.version), stage="Production", archive_existing_versions=True,
        comment="lgtm")
    assert first.activity.activity_type.value == "APPROVED_REQUEST" and "PENDING" in first.activity.system_comment
    version.refresh_from_db()
    assert version.stage == "None"  # one approval of the two the policy needs
    second = registry_as(user_named("reviewer2")).approve_transition_request(
        name=iris.name, version=str(version.version), stage="Production", archive_existing_versions=True)
    assert "APPLIED" in second.activity.system_comment
    version.refresh_from_db()
    assert version.stage == "Production"
    assert list(as_owner.list_transition_requests(name=iris.name, version=str(version.version))) == []


def test_reject_and_delete_a_request(registry_as, prod_policy, iris, make_version, owner, user_named):
    version = make_version(iris)
    as_owner = registry_as(owner)
    as_owner.create_transition_request(name=iris.name, version=str(version.version), stage="Production")
    rejected = registry_as(user_named("reviewer")).reject_transition_request(
        name=iris.name, version=str(version.version), stage="Production", comment="metrics too low")
    assert rejected.activity.activity_type.value == "REJECTED_REQUEST"
    as_owner.create_transition_request(name=iris.name, version=str(version.version), stage="Production")
    deleted = as_owner.delete_transition_request(name=iris.name, version=str(version.version), stage="Production",
                                                 creator="owner")
    assert deleted.activity.activity_type.value == "CANCELLED_REQUEST"


def test_direct_transitions_and_the_model(registry_as, iris, make_version, owner):
    version = make_version(iris)
    moved = registry_as(owner).transition_stage(name=iris.name, version=str(version.version), stage="Staging",
                                                archive_existing_versions=False)
    assert moved.model_version_databricks.current_stage == "Staging"
    model = registry_as(owner).get_model(name=iris.name).registered_model_databricks
    assert model.name == iris.name and model.permission_level.value == "CAN_MANAGE"
    assert [(v.version, v.current_stage) for v in model.latest_versions] == [(str(version.version), "Staging")]


def test_comments_are_the_authors_to_change(registry_as, iris, make_version, owner, outsider):
    version = make_version(iris)
    comment = registry_as(owner).create_comment(name=iris.name, version=str(version.version), comment="first").comment
    assert comment.comment == "first" and comment.user_id == "owner"
    assert registry_as(owner).update_comment(id=comment.id, comment="edited").comment.comment == "edited"
    with pytest.raises(DatabricksError, match="not yours"):
        registry_as(outsider).update_comment(id=comment.id, comment="defaced")
    with pytest.raises(DatabricksError, match="not yours"):
        registry_as(outsider).delete_comment(id=comment.id)
    registry_as(owner).delete_comment(id=comment.id)


def test_permissions_with_the_can_levels(registry_as, iris, owner, outsider, reviewer):
    as_owner = registry_as(owner)
    model_id = as_owner.get_model(name=iris.name).registered_model_databricks.id
    as_owner.update_permissions(registered_model_id=model_id, access_control_list=[
        RegisteredModelAccessControlRequest(user_name="reviewer",
                                            permission_level=RegisteredModelPermissionLevel.CAN_MANAGE_STAGING_VERSIONS)])
    acl = as_owner.get_permissions(registered_model_id=model_id).access_control_list
    levels = {entry.user_name: entry.all_permissions[0].permission_level.value for entry in acl if entry.user_name}
    assert levels == {"owner": "CAN_MANAGE", "reviewer": "CAN_MANAGE_STAGING_VERSIONS"}
    with pytest.raises(DatabricksError, match="needs CAN_MANAGE"):
        registry_as(outsider).update_permissions(registered_model_id=model_id, access_control_list=[
            RegisteredModelAccessControlRequest(user_name="outsider",
                                                permission_level=RegisteredModelPermissionLevel.CAN_MANAGE)])
    assert not ModelPermission.objects.filter(user=outsider).exists()


def test_registry_webhook_hears_staging_only_signed(registry_as, iris, make_version, owner, receiver):
    as_owner = registry_as(owner)
    from databricks.sdk.service.ml import HttpUrlSpec

    created = as_owner.create_webhook(events=[RegistryWebhookEvent.MODEL_VERSION_TRANSITIONED_TO_STAGING],
                                      model_name=iris.name, http_url_spec=HttpUrlSpec(url=receiver.url, secret="dbx"))
    assert [e.value for e in created.webhook.events] == ["MODEL_VERSION_TRANSITIONED_TO_STAGING"]
    version = make_version(iris)
    as_owner.transition_stage(name=iris.name, version=str(version.version), stage="Staging",
                              archive_existing_versions=False)
    as_owner.transition_stage(name=iris.name, version=str(version.version), stage="Archived",
                              archive_existing_versions=False)
    received = receiver.wait_for(1)
    assert len(received) == 1  # the move to Archived is not a Staging event
    expected = hmac.new(b"dbx", received[0].body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(received[0].headers["X-Databricks-Signature"], expected)
    body = json.loads(received[0].body)
    assert (body["event"], body["to_stage"], body["model_name"]) == ("MODEL_VERSION_TRANSITIONED_STAGE", "Staging",
                                                                     iris.name)
    assert [w.id for w in as_owner.list_webhooks(model_name=iris.name)] == [created.webhook.id]
    tested = as_owner.test_registry_webhook(id=created.webhook.id)
    assert tested.status_code == 200 and tested.body == "status 200"
    as_owner.delete_webhook(id=created.webhook.id)
    assert list(as_owner.list_webhooks()) == []
