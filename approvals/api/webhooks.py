"""Native API for webhooks: the subscriptions, their delivery log, replay; and each user's e-mail preference.

/api/v1/webhooks/[{webhook_id}/[deliveries/]], /api/v1/webhook-deliveries/{id}/[replay/],
/api/v1/notifications/preferences/. The same services and permission rules as the MLflow endpoints.
"""
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from models_app.exceptions import NotFound
from models_app.selectors.registry import registered_model_get

from ..notifications import notification_preference_set
from ..services.webhooks import (
    webhook_create,
    webhook_delete,
    webhook_delivery_replay,
    webhook_get,
    webhook_update,
    webhooks_manageable,
)
from ..webhook_models import WebhookDelivery, WebhookDeliveryAttempt

DELIVERY_PAGE = 100


class WebhookSerializer(serializers.Serializer):
    webhook_id = serializers.CharField(read_only=True)
    name = serializers.CharField()
    description = serializers.CharField(required=False, allow_blank=True)
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    secret = serializers.CharField(write_only=True, required=False, allow_blank=True)
    status = serializers.CharField(required=False)
    payload_format = serializers.CharField(required=False)
    registered_model = serializers.CharField(required=False, allow_blank=True, source="registered_model.name",
                                             default="")
    model_pattern = serializers.CharField(required=False, allow_blank=True)
    consecutive_failures = serializers.IntegerField(read_only=True)
    disabled_reason = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDeliveryAttempt
        fields = ["attempt", "url", "request_headers", "request_body", "response_status", "response_body", "error",
                  "duration_ms", "sent_at"]


class DeliverySerializer(serializers.ModelSerializer):
    webhook_id = serializers.CharField(source="webhook.webhook_id")
    attempt_log = AttemptSerializer(many=True)

    class Meta:
        model = WebhookDelivery
        fields = ["id", "delivery_id", "webhook_id", "event", "registered_model_name", "data", "occurred_at",
                  "is_test", "replay_of", "status", "attempts", "next_attempt_at", "last_status_code", "last_error",
                  "delivered_at", "attempt_log"]


def _deliveries(actor):
    return (WebhookDelivery.objects.filter(webhook__in=webhooks_manageable(actor)).select_related("webhook")
            .prefetch_related(Prefetch("attempt_log", queryset=WebhookDeliveryAttempt.objects.order_by("attempt"))))


class WebhookListView(APIView):
    """The webhooks you may manage; POST subscribes (a model's webhook needs CAN_MANAGE on it)."""

    @extend_schema(responses=WebhookSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(WebhookSerializer(webhooks_manageable(request.user)[:1000], many=True).data)

    @extend_schema(request=WebhookSerializer, responses={201: WebhookSerializer})
    def post(self, request: Request) -> Response:
        body = WebhookSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        model_name = data.pop("registered_model", {}).get("name", "")
        model = registered_model_get(name=model_name, actor=request.user) if model_name else None
        webhook = webhook_create(actor=request.user, registered_model=model, **data)
        return Response(WebhookSerializer(webhook).data, status=status.HTTP_201_CREATED)


class WebhookDetailView(APIView):
    @extend_schema(responses=WebhookSerializer)
    def get(self, request: Request, webhook_id: str) -> Response:
        return Response(WebhookSerializer(webhook_get(actor=request.user, webhook_id=webhook_id)).data)

    @extend_schema(request=WebhookSerializer, responses=WebhookSerializer)
    def patch(self, request: Request, webhook_id: str) -> Response:
        webhook = webhook_get(actor=request.user, webhook_id=webhook_id)
        body = WebhookSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        fields = {k: v for k, v in body.validated_data.items() if k not in ("registered_model", "model_pattern")}
        return Response(WebhookSerializer(webhook_update(webhook=webhook, actor=request.user, **fields)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, webhook_id: str) -> Response:
        webhook_delete(webhook=webhook_get(actor=request.user, webhook_id=webhook_id), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveriesView(APIView):
    """The latest deliveries of one webhook with every attempt: request, response status and body, time."""

    @extend_schema(responses=DeliverySerializer(many=True))
    def get(self, request: Request, webhook_id: str) -> Response:
        webhook = webhook_get(actor=request.user, webhook_id=webhook_id)
        deliveries = _deliveries(request.user).filter(webhook=webhook)[:DELIVERY_PAGE]
        return Response(DeliverySerializer(deliveries, many=True).data)


def _delivery(actor, pk) -> WebhookDelivery:
    delivery = _deliveries(actor).filter(pk=pk).first()
    if delivery is None:
        raise NotFound(f"Webhook delivery #{pk} does not exist or is not visible to you.")
    return delivery


class WebhookDeliveryView(APIView):
    @extend_schema(responses=DeliverySerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(DeliverySerializer(_delivery(request.user, pk)).data)


class WebhookDeliveryReplayView(APIView):
    """Send a delivery's event again, as a new delivery (202: it is queued)."""

    @extend_schema(request=None, responses={202: DeliverySerializer})
    def post(self, request: Request, pk: int) -> Response:
        replay = webhook_delivery_replay(delivery=_delivery(request.user, pk), actor=request.user)
        return Response(DeliverySerializer(_delivery(request.user, replay.pk)).data, status=status.HTTP_202_ACCEPTED)


class NotificationPreferenceSerializer(serializers.Serializer):
    email_enabled = serializers.BooleanField()


class NotificationPreferenceView(APIView):
    """Whether you are e-mailed about requests awaiting you and about your own requests."""

    @extend_schema(responses=NotificationPreferenceSerializer)
    def get(self, request: Request) -> Response:
        preference = getattr(request.user, "notification_preference", None)
        return Response({"email_enabled": preference.email_enabled if preference else True})

    @extend_schema(request=NotificationPreferenceSerializer, responses=NotificationPreferenceSerializer)
    def put(self, request: Request) -> Response:
        body = NotificationPreferenceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        preference = notification_preference_set(user=request.user, **body.validated_data)
        return Response({"email_enabled": preference.email_enabled})
