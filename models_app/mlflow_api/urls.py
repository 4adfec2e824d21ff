"""MLflow wire paths. Every pattern is served under /api/… and again under /ajax-api/… (the UI's prefix).

Paths have no trailing slash, as the client sends them. Unknown paths under the MLflow prefixes
answer a JSON 404 ENDPOINT_NOT_FOUND, which the client reports by code (an HTML 404 would lose it).
"""
from django.urls import include, path, re_path

from . import artifacts, datasets, experiments, logged_models, model_versions, registered_models, runs
from .base import by_method, endpoint_not_found

# /2.0/mlflow/experiments/
experiment_patterns = [
    path("experiments/create", by_method(POST=experiments.create_experiment)),
    path("experiments/get", by_method(GET=experiments.get_experiment)),
    path("experiments/get-by-name", by_method(GET=experiments.get_experiment_by_name)),
    path("experiments/search", by_method(GET=experiments.search_experiments, POST=experiments.search_experiments)),
    path("experiments/update", by_method(POST=experiments.update_experiment)),
    path("experiments/delete", by_method(POST=experiments.delete_experiment)),
    path("experiments/restore", by_method(POST=experiments.restore_experiment)),
    path("experiments/set-experiment-tag", by_method(POST=experiments.set_experiment_tag)),
    path("experiments/delete-experiment-tag", by_method(POST=experiments.delete_experiment_tag)),
]

# /2.0/mlflow/runs/ and /2.0/mlflow/metrics/
run_patterns = [
    path("runs/create", by_method(POST=runs.create_run)),
    path("runs/get", by_method(GET=runs.get_run)),
    path("runs/update", by_method(POST=runs.update_run)),
    path("runs/delete", by_method(POST=runs.delete_run)),
    path("runs/restore", by_method(POST=runs.restore_run)),
    path("runs/search", by_method(POST=runs.search_runs)),
    path("runs/log-metric", by_method(POST=runs.log_metric)),
    path("runs/log-parameter", by_method(POST=runs.log_param)),
    path("runs/log-batch", by_method(POST=runs.log_batch)),
    path("runs/set-tag", by_method(POST=runs.set_tag)),
    path("runs/delete-tag", by_method(POST=runs.delete_tag)),
    path("runs/log-inputs", by_method(POST=runs.log_inputs)),
    path("runs/outputs", by_method(POST=runs.log_outputs)),
    path("metrics/get-history", by_method(GET=runs.get_metric_history)),
    # /2.0/mlflow/artifacts/list: a run's artifacts, relative to its root
    path("artifacts/list", by_method(GET=artifacts.list_run_artifacts)),
]

# /2.0/mlflow/logged-models
logged_model_patterns = [
    path("logged-models", by_method(POST=logged_models.create_logged_model)),
    path("logged-models/search", by_method(POST=logged_models.search_logged_models)),
    path("logged-models/<str:model_id>", by_method(GET=logged_models.get_logged_model,
                                                   PATCH=logged_models.finalize_logged_model,
                                                   DELETE=logged_models.delete_logged_model)),
    path("logged-models/<str:model_id>/tags", by_method(PATCH=logged_models.set_logged_model_tags)),
    path("logged-models/<str:model_id>/tags/<path:tag_key>", by_method(DELETE=logged_models.delete_logged_model_tag)),
    path("logged-models/<str:model_id>/params", by_method(POST=logged_models.log_logged_model_params)),
]

# /2.0/mlflow/registered-models/
registered_model_patterns = [
    path("registered-models/create", by_method(POST=registered_models.create_registered_model)),
    path("registered-models/get", by_method(GET=registered_models.get_registered_model)),
    path("registered-models/rename", by_method(POST=registered_models.rename_registered_model)),
    path("registered-models/update", by_method(PATCH=registered_models.update_registered_model)),
    path("registered-models/delete", by_method(DELETE=registered_models.delete_registered_model)),
    path("registered-models/search", by_method(GET=registered_models.search_registered_models)),
    path("registered-models/set-tag", by_method(POST=registered_models.set_registered_model_tag)),
    path("registered-models/delete-tag", by_method(DELETE=registered_models.delete_registered_model_tag)),
    path("registered-models/alias", by_method(POST=registered_models.set_alias, GET=registered_models.get_alias,
                                              DELETE=registered_models.delete_alias)),
    path("registered-models/get-latest-versions", by_method(GET=registered_models.get_latest_versions,
                                                            POST=registered_models.get_latest_versions)),
]

# /2.0/mlflow/model-versions/
model_version_patterns = [
    path("model-versions/create", by_method(POST=model_versions.create_model_version)),
    path("model-versions/get", by_method(GET=model_versions.get_model_version)),
    path("model-versions/update", by_method(PATCH=model_versions.update_model_version)),
    path("model-versions/delete", by_method(DELETE=model_versions.delete_model_version)),
    path("model-versions/search", by_method(GET=model_versions.search_model_versions)),
    path("model-versions/transition-stage", by_method(POST=model_versions.transition_stage)),
    path("model-versions/get-download-uri", by_method(GET=model_versions.get_download_uri)),
    path("model-versions/set-tag", by_method(POST=model_versions.set_model_version_tag)),
    path("model-versions/delete-tag", by_method(DELETE=model_versions.delete_model_version_tag)),
]

# /3.0/mlflow/datasets/ (evaluation datasets); "search" and "create" before the id patterns
dataset_patterns = [
    path("datasets/create", by_method(POST=datasets.create_dataset)),
    path("datasets/search", by_method(GET=datasets.search_datasets, POST=datasets.search_datasets)),
    path("datasets/<str:dataset_id>", by_method(GET=datasets.get_dataset, DELETE=datasets.delete_dataset)),
    path("datasets/<str:dataset_id>/tags", by_method(PATCH=datasets.set_dataset_tags)),
    path("datasets/<str:dataset_id>/tags/<path:key>", by_method(DELETE=datasets.delete_dataset_tag)),
    path("datasets/<str:dataset_id>/records", by_method(GET=datasets.get_dataset_records,
                                                        POST=datasets.upsert_dataset_records,
                                                        DELETE=datasets.delete_dataset_records)),
    path("datasets/<str:dataset_id>/experiment-ids", by_method(GET=datasets.get_dataset_experiment_ids)),
    path("datasets/<str:dataset_id>/add-experiments", by_method(POST=datasets.add_dataset_to_experiments)),
    path("datasets/<str:dataset_id>/remove-experiments", by_method(POST=datasets.remove_dataset_from_experiments)),
]

# /2.0/mlflow-artifacts/artifacts
artifact_patterns = [
    path("artifacts", by_method(GET=artifacts.list_artifacts)),
    path("artifacts/<path:artifact_path>", by_method(GET=artifacts.download_artifact, PUT=artifacts.upload_artifact,
                                                     DELETE=artifacts.delete_artifact)),
]

_unknown = re_path(r"^(?P<unknown>.*)$", endpoint_not_found)
mlflow_patterns = [
    *experiment_patterns, *run_patterns, *logged_model_patterns, *registered_model_patterns,
    *model_version_patterns, _unknown,
]

# The UI's downloads, at the site root as on MLflow's server (registry_site.urls mounts them).
download_patterns = [
    path("get-artifact", by_method(GET=artifacts.get_run_artifact)),
    path("model-versions/get-artifact", by_method(GET=artifacts.get_model_version_artifact)),
]

urlpatterns = [
    path("2.0/mlflow/", include(mlflow_patterns)),
    path("2.0/mlflow-artifacts/", include([*artifact_patterns, _unknown])),
    path("3.0/mlflow/server-info", by_method(GET=artifacts.server_info)),
    path("3.0/mlflow/", include([*dataset_patterns, _unknown])),
]
