# /api/v1/review-requests/  policies/  validation-runs/  validation-datasets/  models/<name>/permissions/  .../rollback/
# experiments/<id>/permissions/
from django.urls import path
from rest_framework.routers import SimpleRouter

from models_app import converters  # noqa: F401  (registers the id and version converters)

from .views import (
    ExperimentPermissionsView,
    ModelPermissionsView,
    PolicyViewSet,
    ReviewRequestViewSet,
    RollbackView,
    ValidationDatasetViewSet,
    ValidationRunViewSet,
    VersionValidationRunsView,
)
from .webhooks import (
    NotificationPreferenceView,
    WebhookDeliveriesView,
    WebhookDeliveryReplayView,
    WebhookDeliveryView,
    WebhookDetailView,
    WebhookListView,
)

app_name = "approvals-api"

# Path converters, not regexes: a detail URL matches only an id the database can hold.
router = SimpleRouter(use_regex_path=False)
router.register("review-requests", ReviewRequestViewSet, basename="reviewrequest")
router.register("policies", PolicyViewSet, basename="policy")
router.register("validation-runs", ValidationRunViewSet, basename="validationrun")
router.register("validation-datasets", ValidationDatasetViewSet, basename="validationdataset")

urlpatterns = [
    path("models/<str:name>/permissions/", ModelPermissionsView.as_view(), name="model-permissions"),
    path("experiments/<int:experiment_id>/permissions/", ExperimentPermissionsView.as_view(),
         name="experiment-permissions"),
    path("models/<str:name>/rollback/", RollbackView.as_view(), name="model-rollback"),
    path("models/<str:name>/versions/<version:version>/validation-runs/", VersionValidationRunsView.as_view(),
         name="modelversion-validation-runs"),
    path("webhooks/", WebhookListView.as_view(), name="webhook-list"),
    path("webhooks/<str:webhook_id>/", WebhookDetailView.as_view(), name="webhook-detail"),
    path("webhooks/<str:webhook_id>/deliveries/", WebhookDeliveriesView.as_view(), name="webhook-deliveries"),
    path("webhook-deliveries/<id:pk>/", WebhookDeliveryView.as_view(), name="webhookdelivery-detail"),
    path("webhook-deliveries/<id:pk>/replay/", WebhookDeliveryReplayView.as_view(), name="webhookdelivery-replay"),
    path("notifications/preferences/", NotificationPreferenceView.as_view(), name="notification-preferences"),
    *router.urls,
]
