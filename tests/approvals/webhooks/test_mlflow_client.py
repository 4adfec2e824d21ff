"""The stock mlflow client against a live server: create_webhook, test_webhook and friends, and a real event."""
import json

import pytest
from mlflow import MlflowClient
from mlflow.entities.webhook import WebhookStatus
from mlflow.exceptions import MlflowException

from approvals.webhook_models import DeliveryStatus, WebhookDelivery
from models_app.choices import EntryPoint
from models_app.services.registry import model_version_set_tag
from models_app.services.tokens import api_token_create
from tests.approvals.webhooks.test_delivery import _mlflow_verify

pytestmark = [pytest.mark.mlflow_client]


@pytest.fixture
def client_as(live_server, transactional_db, monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")

    def make(user) -> MlflowClient:
        raw, _ = api_token_create(user=user, name="client", entry_point=EntryPoint.COMMAND)
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", raw)
        return MlflowClient(tracking_uri=live_server.url, registry_uri=live_server.url)

    return make


def test_create_test_list_update_delete_with_the_mlflow_client(client_as, admin_user, receiver):
    client = client_as(admin_user)
    webhook = client.create_webhook(name="ci", url=receiver.url, events=["model_version.created",
                                                                         "model_version_tag.set"],
                                    description="CI trigger", secret="client-secret")
    assert webhook.status == WebhookStatus.ACTIVE and [str(e) for e in webhook.events] == [
        "model_version.created", "model_version_tag.set"]
    result = client.test_webhook(webhook.webhook_id)
    assert result.success and result.response_status == 200
    assert _mlflow_verify(receiver.wait_for(1)[0], "client-secret")["entity"] == "model_version"
    assert [w.webhook_id for w in client.list_webhooks()] == [webhook.webhook_id]
    updated = client.update_webhook(webhook.webhook_id, status=WebhookStatus.DISABLED)
    assert updated.status == WebhookStatus.DISABLED and client.get_webhook(webhook.webhook_id).name == "ci"
    client.delete_webhook(webhook.webhook_id)
    with pytest.raises(MlflowException, match="not found"):
        client.get_webhook(webhook.webhook_id)


def test_a_model_owner_is_told_why_a_registry_wide_webhook_is_refused(client_as, owner, receiver):
    with pytest.raises(MlflowException, match="governance admins only"):
        client_as(owner).create_webhook(name="all", url=receiver.url, events=["registered_model.created"])


def test_a_real_change_arrives_signed(client_as, admin_user, owner, iris, make_version, receiver):
    client = client_as(admin_user)
    client.create_webhook(name="tags", url=receiver.url, events=["model_version_tag.set"], secret="k")
    version = make_version(iris)
    model_version_set_tag(version=version, key="ci", value="passed", actor=owner, entry_point=EntryPoint.NATIVE_API)
    body = _mlflow_verify(receiver.wait_for(1)[0], "k")
    assert body["data"] == {"name": "iris_classifier", "version": str(version.version), "key": "ci", "value": "passed"}
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED
    assert json.loads(receiver.requests[0].body)["action"] == "set"
