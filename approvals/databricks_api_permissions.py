"""/api/2.0/permissions/registered-models/{id}[/permissionLevels] (Databricks' permissions API for models)."""
from .databricks_api import permission_urlpatterns as urlpatterns  # noqa: F401
