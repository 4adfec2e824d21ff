from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from models_app.mlflow_api.urls import download_patterns

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    # Native REST API, its OpenAPI schema and interactive docs (assets vendored by drf-spectacular-sidecar).
    path("api/v1/", include("models_app.api.urls")),
    path("api/v1/", include("approvals.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    # MLflow-compatible REST API, under the client's prefix and the MLflow UI's.
    path("api/", include("models_app.mlflow_api.urls")),
    path("ajax-api/", include("models_app.mlflow_api.urls")),
    path("", include(download_patterns)),
    # Dashboard pages (HTMX); last, so the prefixes above win.
    path("approvals/", include("approvals.urls")),
    path("", include("models_app.urls")),
]
