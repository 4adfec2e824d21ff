# /api/v1/review-requests/  policies/  validation-runs/  validation-datasets/  models/<name>/permissions/  .../rollback/
from django.urls import path
from rest_framework.routers import SimpleRouter

from models_app import converters  # noqa: F401  (registers the id and version converters)

from .views import (
    ModelPermissionsView,
    PolicyViewSet,
    ReviewRequestViewSet,
    RollbackView,
    ValidationDatasetViewSet,
    ValidationRunViewSet,
    VersionValidationRunsView,
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
    path("models/<str:name>/rollback/", RollbackView.as_view(), name="model-rollback"),
    path("models/<str:name>/versions/<version:version>/validation-runs/", VersionValidationRunsView.as_view(),
         name="modelversion-validation-runs"),
    *router.urls,
]
