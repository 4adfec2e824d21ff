"""MLflow 3's webhook endpoints over HTTP: field names, statuses, errors, scopes and who may see what."""
import json

import pytest

from approvals.webhook_models import Webhook
from models_app.choices import EntryPoint
from models_app.services.tokens import api_token_create
from tests.models_app.mlflow_api.conftest import MlflowApi, assert_error

pytestmark = pytest.mark.django_db
CREATED = [{"entity": "MODEL_VERSION", "action": "CREATED"}]


def _api(client, user, prefix="/api/2.0/mlflow/"):
    raw, _ = api_token_create(user=user, name="t", entry_point=EntryPoint.COMMAND)
    return MlflowApi(client, raw, prefix=prefix)


@pytest.fixture
def owner_api(client, owner, iris):
    return _api(client, owner)


def _create(api, receiver, **extra):
    return api.post("webhooks", {"name": "ci-hook", "url": receiver.url, "events": CREATED, "secret": "x",
                                 "registered_model_name": "iris_classifier", **extra})


def test_create_get_update_delete_in_mlflow_shape(owner_api, receiver):
    response = _create(owner_api, receiver, description="CI")
    assert response.status_code == 200, response.json()
    webhook = response.json()["webhook"]
    assert set(webhook) >= {"webhook_id", "name", "url", "events", "status", "creation_timestamp",
                            "last_updated_timestamp", "description"}
    assert webhook["events"] == CREATED and webhook["status"] == "ACTIVE" and "secret" not in webhook
    path = f"webhooks/{webhook['webhook_id']}"
    assert owner_api.get(path).json()["webhook"] == webhook
    patched = owner_api.patch(path, {"status": "DISABLED", "events": [
        {"entity": "MODEL_VERSION_ALIAS", "action": "CREATED"},
        {"entity": "REVIEW_REQUEST", "action": "APPROVED"}]}).json()["webhook"]
    assert patched["status"] == "DISABLED"
    # The client parses `events` into its enums: governance events are listed in registry_events only.
    assert patched["events"] == [{"entity": "MODEL_VERSION_ALIAS", "action": "CREATED"}]
    assert patched["registry_events"] == ["model_version_alias.created", "review_request.approved"]
    assert owner_api.delete(path).status_code == 200
    assert_error(owner_api.get(path), 404, "RESOURCE_DOES_NOT_EXIST", f"Webhook with ID {webhook['webhook_id']}")


def test_the_ajax_prefix_serves_the_same_messages(client, owner, iris, receiver):
    api = _api(client, owner, prefix="/ajax-api/2.0/mlflow/")
    assert _create(api, receiver).status_code == 200
    assert len(api.get("webhooks").json()["webhooks"]) == 1


@pytest.mark.parametrize(("body", "message"), [
    ({"url": "https://example.com", "events": CREATED}, "name"),
    ({"name": "bad name!", "url": "https://example.com", "events": CREATED}, "is invalid"),
    ({"name": "a", "url": "ftp://example.com", "events": CREATED}, "Invalid webhook URL scheme"),
    ({"name": "a", "url": "https://example.com", "events": []}, "non-empty list"),
    ({"name": "a", "url": "https://example.com", "events": [{"entity": "RUN", "action": "CREATED"}]},
     "Unknown webhook event"),
    ({"name": "a", "url": "https://example.com", "events": "model_version.created"}, "non-empty list"),
    ({"name": "a", "url": "https://example.com", "events": CREATED, "status": "PAUSED"}, "Must be one of"),
])
def test_bad_input_is_a_400_saying_what_is_wrong(owner_api, body, message):
    assert_error(owner_api.post("webhooks", {"registered_model_name": "iris_classifier", **body}), 400,
                 "INVALID_PARAMETER_VALUE", message)


def test_registry_wide_webhooks_need_a_governance_admin(owner_api, client, admin_user, receiver):
    body = {"name": "all", "url": receiver.url, "events": CREATED}
    assert_error(owner_api.post("webhooks", body), 403, "PERMISSION_DENIED", "governance admins only")
    assert_error(owner_api.post("webhooks", {**body, "model_name_pattern": "*"}), 403, "PERMISSION_DENIED")
    assert _api(client, admin_user).post("webhooks", body).status_code == 200


def test_an_outsider_can_neither_see_nor_touch_a_models_webhook(owner_api, client, outsider, receiver):
    webhook_id = _create(owner_api, receiver).json()["webhook"]["webhook_id"]
    spy = _api(client, outsider)
    assert spy.get("webhooks").json() == {"webhooks": []}
    for response in (spy.get(f"webhooks/{webhook_id}"), spy.patch(f"webhooks/{webhook_id}", {"url": "https://e.com"}),
                     spy.delete(f"webhooks/{webhook_id}"), spy.post(f"webhooks/{webhook_id}/test")):
        assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST")
    assert_error(spy.post("webhooks", {"name": "spy", "url": receiver.url, "events": CREATED,
                                       "registered_model_name": "iris_classifier"}), 403, "PERMISSION_DENIED")
    assert Webhook.objects.get().url == receiver.url


def test_list_pages_with_a_token(owner_api, receiver, django_assert_max_num_queries):
    for number in range(5):
        _create(owner_api, receiver, name=f"hook-{number}")
    with django_assert_max_num_queries(8):
        first = owner_api.get("webhooks", max_results=3).json()
    second = owner_api.get("webhooks", max_results=3, page_token=first["next_page_token"]).json()
    assert len(first["webhooks"]) == 3 and len(second["webhooks"]) == 2 and "next_page_token" not in second
    assert_error(owner_api.get("webhooks", max_results=0), 400, "INVALID_PARAMETER_VALUE", "between 1 and 1000")
    assert_error(owner_api.get("webhooks", page_token="garbage"), 400, "INVALID_PARAMETER_VALUE", "page token")


def test_test_sends_a_signed_example_and_reports_the_answer(owner_api, receiver):
    webhook_id = _create(owner_api, receiver).json()["webhook"]["webhook_id"]
    result = owner_api.post(f"webhooks/{webhook_id}/test").json()["result"]
    assert result == {"success": True, "response_status": 200, "response_body": "status 200"}
    body = json.loads(receiver.requests[0].body)
    assert (body["entity"], body["action"]) == ("model_version", "created") and body["data"]["name"]
    assert receiver.requests[0].headers["X-MLflow-Signature"].startswith("v1,")
    receiver.default_status = 500
    result = owner_api.post(f"webhooks/{webhook_id}/test",
                            {"event": {"entity": "MODEL_VERSION_TAG", "action": "SET"}}).json()["result"]
    assert result["success"] is False and result["response_status"] == 500 and "HTTP 500" in result["error_message"]
    assert json.loads(receiver.requests[1].body)["entity"] == "model_version_tag"
