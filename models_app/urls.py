"""Dashboard pages (server-rendered, enhanced with HTMX)."""
from django.urls import path
from django.views.generic import RedirectView

from . import converters  # noqa: F401  (registers the id and version converters)
from .views import audit, lineage, models, runs, versions

app_name = "models_app"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="models_app:registeredmodel_list"), name="home"),
    # /models/
    path("models/", models.registeredmodel_list, name="registeredmodel_list"),
    path("models/<str:name>/", models.registeredmodel, name="registeredmodel"),
    path("models/<str:name>/description/", models.registeredmodel_description, name="registeredmodel_description"),
    path("models/<str:name>/compare/", models.registeredmodel_compare, name="registeredmodel_compare"),
    path("models/<str:name>/versions/<version:version>/", versions.modelversion, name="modelversion"),
    path("models/<str:name>/versions/<version:version>/stage/", versions.modelversion_stage, name="modelversion_stage"),
    path("models/<str:name>/versions/<version:version>/artifacts/", versions.modelversion_artifacts,
         name="modelversion_artifacts"),
    path("models/<str:name>/versions/<version:version>/artifacts/download/", versions.modelversion_artifacts_download,
         name="modelversion_artifacts_download"),
    # /experiments/ and /runs/
    path("experiments/", runs.experiment_list, name="experiment_list"),
    path("experiments/<experiment_id:experiment_id>/", runs.experiment, name="experiment"),
    path("runs/compare/", runs.run_compare, name="run_compare"),
    path("runs/<str:run_id>/", runs.run, name="run"),
    path("runs/<str:run_id>/artifacts/", runs.run_artifacts, name="run_artifacts"),
    path("runs/<str:run_id>/artifacts/download/", runs.run_artifacts_download, name="run_artifacts_download"),
    # /lineage/
    path("lineage/", lineage.lineage, name="lineage"),
    path("lineage/graph.json", lineage.lineage_graph_json, name="lineage_graph"),
    # /audit/
    path("audit/", audit.auditevent_list, name="auditevent_list"),
    path("audit/export.csv", audit.auditevent_export, name="auditevent_export"),
]
