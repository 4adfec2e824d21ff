# /api/v1/review-requests/...  /api/v1/policies/...  /api/v1/models/<name>/permissions/  .../rollback/
from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import ModelPermissionsView, PolicyViewSet, ReviewRequestViewSet, RollbackView

app_name = "approvals-api"

router = SimpleRouter()
router.register("review-requests", ReviewRequestViewSet, basename="reviewrequest")
router.register("policies", PolicyViewSet, basename="policy")

urlpatterns = [
    path("models/<str:name>/permissions/", ModelPermissionsView.as_view(), name="model-permissions"),
    path("models/<str:name>/rollback/", RollbackView.as_view(), name="model-rollback"),
    *router.urls,
]
