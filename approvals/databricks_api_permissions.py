"""/api/2.0/permissions/registered-models/{id}[/permissionLevels] (Databricks' permissions API for models).

Anything else under the prefix answers a JSON 404 ENDPOINT_NOT_FOUND, as the MLflow prefixes do.
"""
from django.urls import re_path

from models_app.mlflow_api.base import endpoint_not_found

from .databricks_api import permission_urlpatterns

urlpatterns = [*permission_urlpatterns, re_path(r"^(?P<unknown>.*)$", endpoint_not_found)]
