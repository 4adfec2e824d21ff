"""The native API: managing webhooks, reading the delivery log, replaying, and the e-mail preference."""
import pytest
from rest_framework.test import APIClient

from approvals.webhook_models import DeliveryStatus, WebhookDelivery

pytestmark = pytest.mark.django_db


def _as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_subscribe_read_the_log_and_replay(owner, iris, make_version, receiver, django_capture_on_commit_callbacks,
                                           django_assert_max_num_queries):
    api = _as(owner)
    created = api.post("/api/v1/webhooks/", {"name": "ci", "url": receiver.url, "events": ["model_version.created"],
                                              "secret": "k", "registered_model": "iris_classifier"}, format="json")
    assert created.status_code == 201, created.json()
    webhook = created.json()
    assert webhook["registered_model"] == "iris_classifier" and "secret" not in webhook
    receiver.statuses = [503]
    with django_capture_on_commit_callbacks(execute=True):
        make_version(iris)
        make_version(iris)
    with django_assert_max_num_queries(12):
        log = api.get(f"/api/v1/webhooks/{webhook['webhook_id']}/deliveries/").json()
    assert len(log) == 2
    failed = next(d for d in log if d["attempt_log"][0]["response_status"] == 503)
    assert failed["status"] == DeliveryStatus.PENDING and failed["attempt_log"][0]["request_body"].startswith("{")
    assert failed["attempt_log"][0]["request_headers"]["X-MLflow-Signature"] == "(sent)"
    with django_capture_on_commit_callbacks(execute=True):
        replay = api.post(f"/api/v1/webhook-deliveries/{failed['id']}/replay/")
    assert replay.status_code == 202 and replay.json()["replay_of"] == failed["id"]
    assert WebhookDelivery.objects.get(pk=replay.json()["id"]).status == DeliveryStatus.DELIVERED
    assert api.patch(f"/api/v1/webhooks/{webhook['webhook_id']}/", {"status": "DISABLED"},
                     format="json").json()["status"] == "DISABLED"
    assert api.delete(f"/api/v1/webhooks/{webhook['webhook_id']}/").status_code == 204


def test_an_outsider_sees_no_webhook_and_no_delivery(owner, outsider, iris, make_version, receiver,
                                                     django_capture_on_commit_callbacks):
    created = _as(owner).post("/api/v1/webhooks/", {"name": "ci", "url": receiver.url,
                                                    "events": ["model_version.created"],
                                                    "registered_model": "iris_classifier"}, format="json").json()
    with django_capture_on_commit_callbacks(execute=True):
        make_version(iris)
    delivery = WebhookDelivery.objects.get()
    spy = _as(outsider)
    assert spy.get("/api/v1/webhooks/").json() == []
    for response in (spy.get(f"/api/v1/webhooks/{created['webhook_id']}/"),
                     spy.get(f"/api/v1/webhooks/{created['webhook_id']}/deliveries/"),
                     spy.get(f"/api/v1/webhook-deliveries/{delivery.pk}/"),
                     spy.post(f"/api/v1/webhook-deliveries/{delivery.pk}/replay/")):
        assert response.status_code == 404
    assert WebhookDelivery.objects.count() == 1
    refused = spy.post("/api/v1/webhooks/", {"name": "all", "url": receiver.url, "events": ["policy.changed"]},
                       format="json")
    assert refused.status_code == 403 and "governance admins only" in str(refused.json())


def test_each_user_can_turn_emails_off(owner):
    api = _as(owner)
    assert api.get("/api/v1/notifications/preferences/").json() == {"email_enabled": True}
    assert api.put("/api/v1/notifications/preferences/", {"email_enabled": False},
                   format="json").json() == {"email_enabled": False}
    owner.refresh_from_db()
    assert owner.notification_preference.email_enabled is False
    assert api.put("/api/v1/notifications/preferences/", {"email_enabled": "maybe"}, format="json").status_code == 400
