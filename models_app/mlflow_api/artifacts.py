"""The mlflow-artifacts proxy (/api/2.0/mlflow-artifacts/artifacts[/<path>]) and server-info.

Files stream in both directions: uploads go from the request to storage in chunks, downloads from
storage to the socket, so a large model never sits in memory.
"""
import posixpath

from django.http import FileResponse

from ..choices import EntryPoint
from ..exceptions import NotFound
from ..services.artifacts import (
    artifact_delete,
    artifact_entries_readable,
    artifact_list,
    artifact_open,
    artifact_read_authorize,
    artifact_write,
)
from .base import mlflow_view, ok


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
    # MLflow lists entry names relative to the listed folder.
    files = [{**entry, "path": posixpath.basename(entry["path"])} for entry in entries]
    return ok({"files": files} if files else {})


@mlflow_view
def download_artifact(request, fields, actor, artifact_path):
    artifact_read_authorize(artifact_path, actor)
    handle = artifact_open(artifact_path)
    return FileResponse(handle, as_attachment=True, filename=posixpath.basename(artifact_path))


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
