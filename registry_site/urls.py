from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView


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
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    # MLflow-compatible REST API, under the client's prefix and the MLflow UI's.
    path("api/", include("models_app.mlflow_api.urls")),
    path("ajax-api/", include("models_app.mlflow_api.urls")),
    # Dashboard pages (HTMX); last, so the prefixes above win.
    path("approvals/", include("approvals.urls")),
    path("", include("models_app.urls")),
]
