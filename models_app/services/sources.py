"""Where a new model version's files are: the sources MLflow's server accepts that this registry can resolve.

Accepted, as MLflow accepts them: `runs:/<run_id>/<path>` (with or without the run_id field), `models:/m-<id>`,
`mlflow-artifacts:/…`, and object-store or web URIs (`s3://`, `gs://`, `wasbs://`, `dbfs:/`, `https://`,
`http://`). Refused: local paths and `file:` URIs outside the registry's local artifact root and the folders
named in REGISTRY_LOCAL_SOURCE_ROOTS (default: none), checked after following symbolic links, and any source with
a `..` segment or a NUL byte, however percent-encoded (MLflow's `_validate_non_local_source_contains_relative_paths`).

Sources under the registry's artifact store resolve to `mlflow-artifacts:/<path>`: the registry holds those
files and hashes them. Every other accepted source is external: the version records it as its storage location
and `ModelVersion.artifacts_held` is False, so checks that need the bytes report that they cannot see them.
"""
import re
import urllib.parse
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage

from ..exceptions import InvalidParameter, NotFound
from ..models import LoggedModel, Run
from .artifacts import artifact_path_clean, artifact_path_to_uri, artifact_storage, artifact_uri_to_path
from .common import require_text

_RUNS_URI = re.compile(r"^runs:/(?P<run_id>[0-9a-fA-F]{32})(?:/(?P<path>.*))?$")
_LOGGED_MODEL_URI = re.compile(r"^models:/(?P<model_id>m-[0-9a-fA-F]{32})/?$")
# Schemes whose files live elsewhere; the registry records the URI and does not fetch it. Those with a host part
# must name one (a bucket, a container, a server).
EXTERNAL_SCHEMES = {"s3": True, "gs": True, "wasbs": True, "dbfs": False, "https": True, "http": True}
ACCEPTED_TEXT = ("runs:/<run_id>/<path>, models:/m-<model_id>, mlflow-artifacts:/<path>, s3://, gs://, wasbs://, "
                 "dbfs:/, https:// or http:// URIs")


def model_version_source_resolve(*, source: str, run_id: str | None, model_id: str | None):
    """Find where a new version's files are and which run and logged model it comes from.

    Returns (storage_location, run, logged_model). `models:/m-…` resolves to the logged model's artifact
    location; `runs:/<run>/<path>` to the logged model of that run named <path> (MLflow 3 keeps models outside
    run folders), or else to the run's folder; a local path inside the artifact store to its mlflow-artifacts
    URI. Raises InvalidParameter, in MLflow's words, for a source this registry does not accept.
    """
    source = require_text(source, "source", max_length=1000)
    source_traversal_refuse(source)
    logged_model = _logged_model_or_none(model_id)
    run = _run_or_none(run_id)
    scheme = _scheme(source)
    if scheme in ("", "file"):
        location = _local_source_location(source)
    elif scheme == "models":
        logged_model = _logged_model_of(source)
        location = logged_model.artifact_location
    elif scheme == "runs":
        run, logged_model, location = _runs_source(source, logged_model)
    elif scheme == "mlflow-artifacts":
        location = source
    elif scheme in EXTERNAL_SCHEMES:
        location = _external_source(source, scheme)
    else:
        raise InvalidParameter(f"Invalid model version source: '{source}'. Use {ACCEPTED_TEXT}, or a path inside "
                               "the registry's artifact root.")
    if run is None and logged_model is not None:
        run = logged_model.source_run
    storage_path = artifact_uri_to_path(location)
    if storage_path is not None:
        # One spelling per folder (`mlflow-artifacts://host/x` is `mlflow-artifacts:/x`), so lookups by location match.
        location = artifact_path_to_uri(storage_path)
    return location, run, logged_model


def source_traversal_refuse(source: str) -> None:
    """MLflow's rule: no `..` segment and no NUL, after undoing any depth of percent-encoding."""
    decoded = source
    while (unquoted := urllib.parse.unquote_plus(decoded)) != decoded:
        decoded = unquoted
    if "\x00" in decoded or any(part == ".." for part in re.split(r"[/\\]", decoded)):
        raise InvalidParameter(
            f"Invalid model version source: '{source}'. If supplying a source as an http, https, local file path, "
            "ftp, objectstore, or mlflow-artifacts uri, an absolute path must be provided without relative path "
            "references present. Please provide an absolute path.")


def _scheme(source: str) -> str:
    scheme = urllib.parse.urlparse(source).scheme.lower()
    # `C:\models\x` is a Windows path, not a URI with scheme "c".
    return "" if len(scheme) == 1 else scheme


def _local_source_location(source: str) -> str:
    """A local path or file: URI inside an allowed root: the store's URI for it, or its file: URI if outside."""
    path = _local_path(source)
    resolved = path.resolve() if path is not None else None
    store_root = _store_root()
    if resolved is not None and store_root is not None and resolved.is_relative_to(store_root):
        return artifact_path_to_uri(artifact_path_clean(resolved.relative_to(store_root).as_posix(), allow_root=True))
    if resolved is not None and any(resolved.is_relative_to(root) for root in _allowed_roots()):
        return resolved.as_uri()
    raise InvalidParameter(
        f"Invalid model version source: '{source}'. A local path or file: URI must be absolute and lie inside the "
        "registry's artifact root or a folder named in REGISTRY_LOCAL_SOURCE_ROOTS (symbolic links are followed "
        f"before checking); otherwise use {ACCEPTED_TEXT}.")


def _local_path(source: str) -> Path | None:
    if _scheme(source) == "file":
        parsed = urllib.parse.urlparse(source)
        if parsed.netloc not in ("", "localhost"):
            return None
        path = Path(urllib.parse.unquote(parsed.path))
    else:
        path = Path(source)
    return path if path.is_absolute() else None


def _store_root() -> Path | None:
    storage = artifact_storage()
    return Path(storage.location).resolve() if isinstance(storage, FileSystemStorage) else None


def _allowed_roots() -> list[Path]:
    return [Path(root).resolve() for root in settings.REGISTRY_LOCAL_SOURCE_ROOTS]


def _logged_model_of(source: str) -> LoggedModel:
    match = _LOGGED_MODEL_URI.match(source)
    if match is None:
        raise InvalidParameter(f"Invalid model version source: '{source}'. A models:/ source names a logged model: "
                               "models:/m-<model_id>.")
    return _logged_model_or_none(match["model_id"])


def _runs_source(source: str, logged_model: LoggedModel | None):
    match = _RUNS_URI.match(source)
    if match is None:
        raise InvalidParameter(f"Invalid model version source: '{source}'. A runs:/ source looks like "
                               "runs:/<run_id>/<artifact path>, with the 32-character id of a run.")
    run = _run_or_none(match["run_id"], required=True)
    sub_path = artifact_path_clean(match["path"] or "", allow_root=True)
    if logged_model is None:
        logged_model = run.logged_models.filter(name=sub_path).order_by("-creation_timestamp_ms").first()
    location = logged_model.artifact_location if logged_model else f"{run.artifact_uri}/{sub_path}".rstrip("/")
    return run, logged_model, location


def _external_source(source: str, scheme: str) -> str:
    if EXTERNAL_SCHEMES[scheme] and not urllib.parse.urlparse(source).netloc:
        raise InvalidParameter(f"Invalid model version source: '{source}'. A {scheme}:// source names its bucket, "
                               f"container or host: {scheme}://<name>/<path>.")
    return source


def _run_or_none(run_id, *, required=False):
    if not run_id:
        return None
    run = Run.objects.filter(pk=run_id).first()
    if run is None and required:
        raise NotFound(f"Run with id={run_id} not found")
    return run


def _logged_model_or_none(model_id):
    if not model_id:
        return None
    logged_model = LoggedModel.objects.select_related("source_run").filter(pk=model_id).first()
    if logged_model is None:
        raise NotFound(f"Logged model with ID '{model_id}' not found.")
    return logged_model
