"""Deliveries to a real receiver on loopback: signatures as each ecosystem documents them, retries, replay,
automatic disabling, and the outbox that still delivers when the process died between commit and send."""
import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from approvals.services.webhook_delivery import webhook_deliveries_dispatch_pending, webhook_delivery_send
from approvals.services.webhooks import webhook_create, webhook_delivery_replay, webhook_update
from approvals.webhook_models import DeliveryStatus, Webhook, WebhookDelivery, WebhookStatus
from models_app.choices import EntryPoint, Stage
from models_app.exceptions import PermissionDenied
from models_app.services.registry import model_version_set_tag, registered_model_create
from models_app.services.stages import model_version_transition_stage

pytestmark = pytest.mark.django_db
API = EntryPoint.NATIVE_API
SECRET = "s3cret-shared-with-the-receiver"


def _mlflow_verify(received, secret: str) -> dict:
    """MLflow's documented check: HMAC-SHA256 over "{delivery_id}.{timestamp}.{body}", base64, after "v1,"."""
    headers = received.headers
    delivery_id, timestamp = headers["X-MLflow-Delivery-Id"], headers["X-MLflow-Timestamp"]
    version, _, signature = headers["X-MLflow-Signature"].partition(",")
    expected = base64.b64encode(hmac.new(secret.encode(), f"{delivery_id}.{timestamp}.".encode() + received.body,
                                         hashlib.sha256).digest()).decode()
    assert version == "v1" and hmac.compare_digest(signature, expected)
    assert abs(time.time() - int(timestamp)) < 300  # the replay window MLflow's docs recommend
    return json.loads(received.body)


def _hook(owner, model, receiver, **options):
    return webhook_create(actor=owner, name=options.pop("name", "ci"), url=receiver.url, secret=SECRET,
                          registered_model=model, **{"events": ["model_version.created"], **options})


def test_a_new_version_is_posted_signed_in_mlflow_shape(owner, iris, make_version, receiver,
                                                        django_capture_on_commit_callbacks):
    _hook(owner, iris, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        version = make_version(iris)
    body = _mlflow_verify(receiver.wait_for(1)[0], SECRET)
    assert (body["entity"], body["action"]) == ("model_version", "created")
    assert body["data"]["name"] == "iris_classifier" and body["data"]["version"] == str(version.version)
    assert body["data"]["source"] == version.source and "timestamp" in body
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert str(delivery.delivery_id) == receiver.requests[0].headers["X-MLflow-Delivery-Id"]
    attempt = delivery.attempt_log.get()
    assert (attempt.response_status, attempt.attempt) == (200, 1)
    assert attempt.request_body == receiver.requests[0].body.decode()


def test_a_forged_body_fails_the_mlflow_check(owner, iris, make_version, receiver, django_capture_on_commit_callbacks):
    _hook(owner, iris, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        make_version(iris)
    received = receiver.wait_for(1)[0]
    received.body = received.body.replace(b"iris_classifier", b"fraud_model")
    with pytest.raises(AssertionError):
        _mlflow_verify(received, SECRET)


def test_stage_transition_in_databricks_shape(owner, iris, make_version, receiver, django_capture_on_commit_callbacks):
    _hook(owner, iris, receiver, events=["model_version.stage_transitioned"], payload_format="databricks")
    version = make_version(iris)
    with django_capture_on_commit_callbacks(execute=True):
        model_version_transition_stage(version=version, to_stage=Stage.STAGING, actor=owner, entry_point=API)
    received = receiver.wait_for(1)[0]
    # Databricks: X-Databricks-Signature is the hex HMAC-SHA256 of the raw body under the webhook's secret.
    expected = hmac.new(SECRET.encode(), received.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(received.headers["X-Databricks-Signature"], expected)
    body = json.loads(received.body)
    webhook = Webhook.objects.get()
    assert body["event"] == "MODEL_VERSION_TRANSITIONED_STAGE" and body["webhook_id"] == webhook.webhook_id
    assert (body["model_name"], body["version"], body["from_stage"], body["to_stage"]) == (
        "iris_classifier", str(version.version), "None", "Staging")
    assert isinstance(body["event_timestamp"], int) and "transitioned from None to Staging" in body["text"]


def test_a_503_is_retried_with_backoff_and_logged(owner, iris, make_version, receiver,
                                                  django_capture_on_commit_callbacks):
    receiver.statuses = [503]
    _hook(owner, iris, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        make_version(iris)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.last_status_code == 503
    assert delivery.next_attempt_at > timezone.now() - timedelta(seconds=1)
    assert webhook_deliveries_dispatch_pending() == 0 or delivery.next_attempt_at <= timezone.now()
    time.sleep(0.1)  # the first backoff is 0.05 s in these tests
    webhook_deliveries_dispatch_pending()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 2
    assert [a.response_status for a in delivery.attempt_log.all()] == [503, 200]
    first, second = receiver.wait_for(2)
    assert first.headers["X-MLflow-Delivery-Id"] == second.headers["X-MLflow-Delivery-Id"]  # receivers dedupe


def test_a_delivery_that_keeps_failing_gives_up_after_the_last_attempt(owner, iris, make_version, receiver, settings,
                                                                      django_capture_on_commit_callbacks):
    receiver.default_status = 500
    _hook(owner, iris, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        make_version(iris)
    for _ in range(settings.REGISTRY_WEBHOOK_MAX_ATTEMPTS):
        time.sleep(0.25)
        webhook_deliveries_dispatch_pending()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == settings.REGISTRY_WEBHOOK_MAX_ATTEMPTS
    assert len(receiver.requests) == settings.REGISTRY_WEBHOOK_MAX_ATTEMPTS


def test_a_client_error_is_not_retried_and_disables_the_webhook_after_repeated_failure(
        owner, iris, make_version, receiver, settings, django_capture_on_commit_callbacks):
    settings.REGISTRY_WEBHOOK_DISABLE_AFTER_FAILURES = 2
    receiver.default_status = 410
    webhook = _hook(owner, iris, receiver)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            make_version(iris)
    webhook.refresh_from_db()
    assert webhook.status == WebhookStatus.DISABLED and "2 failed deliveries in a row" in webhook.disabled_reason
    assert len(receiver.requests) == 2  # one attempt each: a 410 is not retried
    with django_capture_on_commit_callbacks(execute=True):
        make_version(iris)
    assert WebhookDelivery.objects.count() == 2 and len(receiver.requests) == 2  # a disabled hook gets nothing
    webhook_update(webhook=webhook, actor=owner, status="ACTIVE")
    webhook.refresh_from_db()
    assert webhook.consecutive_failures == 0


def test_replay_sends_the_same_event_again_as_a_new_delivery(owner, iris, make_version, receiver,
                                                             django_capture_on_commit_callbacks):
    _hook(owner, iris, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        make_version(iris)
    original = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        replay = webhook_delivery_replay(delivery=original, actor=owner)
    first, second = receiver.wait_for(2)
    assert json.loads(first.body)["data"] == json.loads(second.body)["data"]
    assert second.headers["X-MLflow-Delivery-Id"] == str(replay.delivery_id) != str(original.delivery_id)
    replay.refresh_from_db()
    assert replay.status == DeliveryStatus.DELIVERED and replay.replay_of == original


def test_a_process_that_died_between_commit_and_send_loses_nothing(owner, iris, make_version, receiver):
    """Without running the commit callbacks (the process died right after COMMIT), the outbox row is there and
    the beat dispatcher sends it."""
    _hook(owner, iris, receiver)
    make_version(iris)  # committed; its on_commit dispatch never ran
    assert receiver.requests == []
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING
    assert webhook_deliveries_dispatch_pending() == 1
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED and len(receiver.wait_for(1)) == 1


def test_a_sender_that_died_holding_the_lease_is_replaced_when_it_runs_out(owner, iris, make_version, receiver):
    _hook(owner, iris, receiver)
    make_version(iris)
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(lease_until=timezone.now() + timedelta(minutes=1),
                                                          attempts=1)
    assert webhook_deliveries_dispatch_pending() == 0 and webhook_delivery_send(delivery.pk) is None  # still held
    WebhookDelivery.objects.filter(pk=delivery.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    webhook_deliveries_dispatch_pending()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and len(receiver.wait_for(1)) == 1


def test_a_rolled_back_change_sends_nothing(owner, iris, make_version, receiver, django_capture_on_commit_callbacks):
    _hook(owner, iris, receiver, events=["model_version_tag.set"])
    version = make_version(iris)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        model_version_set_tag(version=version, key="stage_gate", value="x", actor=owner, entry_point=API)
        assert WebhookDelivery.objects.count() == 1  # written with the change...
        raise RuntimeError("the change fails after the tag was written")
    assert not WebhookDelivery.objects.exists() and receiver.requests == []  # ...and gone with it


def test_secret_is_encrypted_at_rest(owner, iris, receiver):
    webhook = _hook(owner, iris, receiver)
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret_encrypted FROM approvals_webhook WHERE id = %s", [webhook.pk])
        stored = cursor.fetchone()[0]
    assert SECRET not in stored and stored.startswith("gAAAA")  # a Fernet token
    assert Webhook.objects.get().secret == SECRET


def test_a_model_webhook_hears_only_its_model(owner, iris, make_version, receiver, django_capture_on_commit_callbacks):
    _hook(owner, iris, receiver)
    other = registered_model_create(name="fraud_model", actor=owner, entry_point=API)
    with django_capture_on_commit_callbacks(execute=True):
        make_version(other)
    assert receiver.requests == [] and not WebhookDelivery.objects.exists()


def test_registry_wide_and_pattern_webhooks_are_for_governance_admins(owner, admin_user, iris, make_version, receiver,
                                                                      django_capture_on_commit_callbacks):
    with pytest.raises(PermissionDenied, match="governance admins only"):
        webhook_create(actor=owner, name="all", url=receiver.url, events=["model_version.created"])
    with pytest.raises(PermissionDenied, match="governance admins only"):
        webhook_create(actor=owner, name="iris", url=receiver.url, events=["model_version.created"],
                       model_pattern="iris*")
    webhook_create(actor=admin_user, name="fraud", url=receiver.url, events=["model_version.created"],
                   model_pattern="FRAUD*")
    other = registered_model_create(name="fraud_model", actor=owner, entry_point=API)
    with django_capture_on_commit_callbacks(execute=True):
        make_version(iris)
        make_version(other)
    assert [json.loads(r.body)["data"]["name"] for r in receiver.wait_for(1)] == ["fraud_model"]


def test_a_user_without_manage_cannot_subscribe_to_a_model(outsider, iris, receiver):
    with pytest.raises(PermissionDenied, match="needs CAN_MANAGE"):
        webhook_create(actor=outsider, name="spy", url=receiver.url, events=["model_version.created"],
                       registered_model=iris)
