"""Artifact downloads as MLflow's server sends them: an attachment, typed by the file's name.

MLflow answers `text/plain` for the text formats a model or project folder holds (MLmodel,
conda.yaml, requirements.txt, logs, notebooks, …), the registered MIME type otherwise (image/png,
application/pdf, …) and `application/octet-stream` when nothing matches. Every download path uses this:
the mlflow-artifacts proxy, get-artifact, model-versions/get-artifact and the dashboard's links.
"""
import mimetypes
import posixpath
from typing import IO

from django.http import FileResponse

# Extensions (and extension-less names) served as text/plain; compared case-sensitively, as MLflow does.
TEXT_EXTENSIONS = frozenset({
    "txt", "log", "err", "cfg", "conf", "cnf", "cf", "ini", "properties", "prop", "hocon", "toml", "yaml", "yml",
    "xml", "json", "js", "py", "py3", "csv", "tsv", "md", "rst", "ipynb",
    # MLflow's names for the two files without an extension; its project file name is spelled "mlproject" there,
    # so a file called "MLproject" is not on the list and goes by the MIME table (octet-stream), as on MLflow.
    "MLmodel", "mlproject",
})
FALLBACK_TYPE = "application/octet-stream"


def artifact_content_type(path: str) -> str:
    name = posixpath.basename(path)
    extension = posixpath.splitext(name)[1].replace(".", "") or name
    if extension in TEXT_EXTENSIONS:
        return "text/plain"
    guessed, _encoding = mimetypes.guess_type(name)
    return guessed or FALLBACK_TYPE


def artifact_file_response(handle: IO[bytes], path: str) -> FileResponse:
    """Stream `handle` as an attachment named after `path`; never shown inline, so a file cannot run as a page."""
    response = FileResponse(handle, as_attachment=True, filename=posixpath.basename(path),
                            content_type=artifact_content_type(path))
    response["X-Content-Type-Options"] = "nosniff"
    return response
