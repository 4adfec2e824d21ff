from csp.decorators import csp_update
from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from models_app.api.exception_handlers import endpoint_not_found
from models_app.mlflow_api.urls import download_patterns

# The API docs' bundles style their widgets with inline <style> elements; their scripts stay 'self' only.
_docs_styles = csp_update({"style-src": ["'unsafe-inline'"]})


def favicon(request):
    """Clients that ask for /favicon.ico without reading the pages' <link rel="icon"> get the same icon."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    # Native REST API, its OpenAPI schema and interactive docs (assets vendored by drf-spectacular-sidecar).
    path("api/v1/", include("models_app.api.urls")),
    path("api/v1/", include("approvals.api.urls")),
    # Anything else under /api/v1/ (a non-numeric id, an unknown resource) is a JSON 404, not an HTML page.
    re_path(r"^api/v1/", endpoint_not_found),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file of its own, as the Content-Security-Policy requires.
    path("api/docs/", _docs_styles(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path("api/redoc/", _docs_styles(SpectacularRedocView.as_view(url_name="api-schema")), name="api-redoc"),
    # MLflow-compatible REST API, under the client's prefix and the MLflow UI's.
    # Governance's MLflow messages (webhooks) and Databricks registry messages first: models_app's MLflow routes end
    # in a catch-all that answers ENDPOINT_NOT_FOUND.
    path("api/2.0/mlflow/", include("approvals.mlflow_webhooks")),
    path("ajax-api/2.0/mlflow/", include("approvals.mlflow_webhooks")),
    path("api/2.0/mlflow/", include("approvals.databricks_api")),
    path("ajax-api/2.0/mlflow/", include("approvals.databricks_api")),
    path("api/2.0/permissions/", include("approvals.databricks_api_permissions")),
    path("api/", include("models_app.mlflow_api.urls")),
    path("ajax-api/", include("models_app.mlflow_api.urls")),
    path("", include(download_patterns)),
    # Dashboard pages (HTMX); last, so the prefixes above win.
    path("approvals/", include("approvals.urls")),
    path("", include("models_app.urls")),
]
