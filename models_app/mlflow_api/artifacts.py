"""Artifacts: the mlflow-artifacts proxy (/api/2.0/mlflow-artifacts/artifacts[/<path>]), the run listing
(/api/2.0/mlflow/artifacts/list), the UI's downloads (/get-artifact, /model-versions/get-artifact), server-info.

Files stream in both directions: uploads go from the request to storage in chunks, downloads from
storage to the socket, so a large model never sits in memory. Downloads are typed by file name as
MLflow types them (models_app.downloads).
"""
import posixpath

from ..choices import EntryPoint
from ..downloads import artifact_file_response
from ..exceptions import NotFound
from ..selectors.registry import model_version_get
from ..services.artifacts import (
    artifact_delete,
    artifact_entries_readable,
    artifact_list,
    artifact_list_below,
    artifact_open,
    artifact_open_below,
    artifact_read_authorize,
    artifact_write,
)
from .base import mlflow_view, ok
from .runs import _run
from .schema import REQUIRED, STRING, Schema

# The UI's download links name the run (or the version) and a path below its artifact root.
GET_ARTIFACT = Schema(path=(REQUIRED, STRING), run_id=(STRING,), name=(STRING,), version=(STRING,))


@mlflow_view
def list_artifacts(request, fields, actor):
    path = fields.text("path", required=False)
    try:
        artifact_read_authorize(path, actor)
    except NotFound:
        return ok({})  # what a missing folder lists: an unreadable one must not look different
    entries = artifact_list(path)
    if not path.strip("/"):
        entries = artifact_entries_readable(entries, actor)
    # MLflow lists entry names relative to the listed folder, folders and files together in name order.
    files = sorted(({**entry, "path": posixpath.basename(entry["path"])} for entry in entries), key=_by_path)
    return ok({"files": files} if files else {})


def _by_path(entry: dict) -> str:
    return entry["path"]


@mlflow_view
def download_artifact(request, fields, actor, artifact_path):
    artifact_read_authorize(artifact_path, actor)
    return artifact_file_response(artifact_open(artifact_path), artifact_path)


@mlflow_view(schema=Schema(run_id=(STRING, REQUIRED), path=(STRING,), page_token=(STRING,)))
def list_run_artifacts(request, fields, actor):
    """MLflow's ListArtifacts: the entries of a folder below the run's root, with paths relative to that root.

    Reading the run (READ on its experiment) is reading its folder."""
    run = _run(fields, actor)
    entries = sorted(artifact_list_below(root_uri=run.artifact_uri, path=fields.text("path", required=False)),
                     key=_by_path)
    payload = {"root_uri": run.artifact_uri}
    if entries:
        payload["files"] = entries
    return ok(payload)


@mlflow_view(schema=GET_ARTIFACT)
def get_run_artifact(request, fields, actor):
    path = fields.text("path")
    return artifact_file_response(artifact_open_below(root_uri=_run(fields, actor).artifact_uri, path=path), path)


@mlflow_view(schema=GET_ARTIFACT)
def get_model_version_artifact(request, fields, actor):
    # Readers of the model read its versions' files, wherever the version's folder is.
    version = model_version_get(name=fields.text("name"), version=fields.text("version"), actor=actor)
    path = fields.text("path")
    root_uri = version.storage_location or version.source
    return artifact_file_response(artifact_open_below(root_uri=root_uri, path=path), path)


@mlflow_view(json_body=False)
def upload_artifact(request, fields, actor, artifact_path):
    artifact_write(path=artifact_path, stream=request, actor=actor, entry_point=EntryPoint.MLFLOW_API)
    return ok()


@mlflow_view(json_body=False)
def delete_artifact(request, fields, actor, artifact_path):
    artifact_delete(path=artifact_path, actor=actor, entry_point=EntryPoint.MLFLOW_API)
    return ok()


@mlflow_view
def server_info(request, fields, actor):
    # Multipart transfers are off: the client then uploads and downloads each file in one request.
    return ok({
        "store_type": "SqlStore",
        "workspaces_enabled": False,
        "multipart_uploads_enabled": False,
        "multipart_downloads_enabled": False,
    })
