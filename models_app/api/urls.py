# /api/v1/models/...  /api/v1/audit-events/...
from django.urls import path
from rest_framework.routers import SimpleRouter

from .. import converters  # noqa: F401  (registers the id and version converters)
from .views import AuditEventViewSet, ModelVersionViewSet, RegisteredModelViewSet

app_name = "models_app-api"

# Path converters, not regexes: a detail URL matches only an id the database can hold.
router = SimpleRouter(use_regex_path=False)
router.register("models", RegisteredModelViewSet, basename="registeredmodel")
router.register("audit-events", AuditEventViewSet, basename="auditevent")

version_list = ModelVersionViewSet.as_view({"get": "list"})
version_detail = ModelVersionViewSet.as_view({"get": "retrieve", "delete": "destroy"})
version_transition = ModelVersionViewSet.as_view({"post": "transition"})

urlpatterns = [
    path("models/<str:name>/versions/", version_list, name="modelversion-list"),
    path("models/<str:name>/versions/<version:version>/", version_detail, name="modelversion-detail"),
    path("models/<str:name>/versions/<version:version>/transition/", version_transition,
         name="modelversion-transition"),
    *router.urls,
]
