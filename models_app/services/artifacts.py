"""Artifacts through Django's storage API, streamed in and out.

Paths are relative to the artifact store root, as in `mlflow-artifacts:/<path>`: an experiment
owns `<experiment_id>/`, a run `<experiment_id>/<run_id>/artifacts/`, a logged model
`<experiment_id>/models/<model_id>/artifacts/`.
"""
import hashlib
import posixpath
from collections.abc import Iterator
from typing import IO

from django.core.files import File
from django.core.files.storage import storages

from ..exceptions import InvalidParameter, NotFound
from ..governance import current_governance

ARTIFACT_URI_SCHEME = "mlflow-artifacts:"
HASH_CHUNK_SIZE = 1024 * 1024


def artifact_storage():
    return storages["artifacts"]


def artifact_path_clean(path: str, *, allow_root: bool = False) -> str:
    """Normalise a client-supplied artifact path; refuse anything that could leave the store."""
    raw = path or ""
    if "\x00" in raw or "\\" in raw:
        raise InvalidParameter(f"Invalid artifact path: {path!r} contains a forbidden character.")
    if raw.startswith("/") and not allow_root:
        raise InvalidParameter(f"Invalid artifact path: {path!r} must be relative.")
    parts = [part for part in raw.split("/") if part not in ("", ".")]
    if any(part == ".." for part in parts):
        raise InvalidParameter(f"Invalid artifact path: {path!r} must not contain '..'.")
    cleaned = "/".join(parts)
    if not cleaned and not allow_root:
        raise InvalidParameter("Invalid artifact path: the path is empty.")
    return cleaned


def artifact_uri_to_path(uri: str) -> str | None:
    """`mlflow-artifacts:/1/models/m-x/artifacts` -> `1/models/m-x/artifacts`; None for other schemes."""
    if not uri.startswith(ARTIFACT_URI_SCHEME):
        return None
    rest = uri[len(ARTIFACT_URI_SCHEME):]
    if rest.startswith("//"):
        # mlflow-artifacts://host:port/<path>: the host part names a server, the path is ours.
        rest = rest[2:].partition("/")[2]
    return artifact_path_clean(rest, allow_root=True)


def artifact_path_to_uri(path: str) -> str:
    return f"{ARTIFACT_URI_SCHEME}/{path}"


def artifact_write(*, path: str, stream: IO[bytes], actor=None) -> int:
    """Store `stream` at `path`, replacing any file there; chunks go straight to storage."""
    clean = artifact_path_clean(path)
    current_governance().check_artifact_write(actor=actor, path=clean)
    storage = artifact_storage()
    storage.save(clean, File(stream, name=posixpath.basename(clean)))
    return storage.size(clean)


def artifact_open(path: str) -> IO[bytes]:
    clean = artifact_path_clean(path)
    storage = artifact_storage()
    if not storage.exists(clean) or _is_dir(clean):
        raise NotFound(f"Artifact '{clean}' does not exist.")
    return storage.open(clean, "rb")


def _is_dir(path: str) -> bool:
    storage = artifact_storage()
    parent, name = posixpath.split(path)
    try:
        dirs, _files = storage.listdir(parent)
    except (FileNotFoundError, NotADirectoryError):
        return False
    return name in dirs


def artifact_list(path: str) -> list[dict]:
    """Entries directly under `path` as MLflow lists them; a missing folder or a file lists nothing."""
    clean = artifact_path_clean(path, allow_root=True)
    storage = artifact_storage()
    try:
        dirs, files = storage.listdir(clean)
    except (FileNotFoundError, NotADirectoryError):
        return []
    entries = [{"path": _join(clean, name), "is_dir": True} for name in sorted(dirs)]
    entries += [
        {"path": _join(clean, name), "is_dir": False, "file_size": storage.size(_join(clean, name))}
        for name in sorted(files)
    ]
    return entries


def artifact_walk(path: str) -> Iterator[str]:
    """Every file below `path`, as paths relative to `path`, in a stable order."""
    clean = artifact_path_clean(path, allow_root=True)
    storage = artifact_storage()
    try:
        dirs, files = storage.listdir(clean)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in sorted(files):
        yield name
    for name in sorted(dirs):
        for below in artifact_walk(_join(clean, name)):
            yield f"{name}/{below}"


def artifact_delete(*, path: str, actor=None) -> None:
    clean = artifact_path_clean(path)
    current_governance().check_artifact_write(actor=actor, path=clean)
    storage = artifact_storage()
    for relative in list(artifact_walk(clean)):
        storage.delete(_join(clean, relative))
    # A file system keeps the emptied sub-folders, and a folder can only be removed once empty.
    for folder in _folders_below(clean):
        storage.delete(folder)
    if storage.exists(clean):
        storage.delete(clean)


def _folders_below(path: str) -> list[str]:
    """Every folder below `path`, each listed after the folders inside it."""
    try:
        dirs, _files = artifact_storage().listdir(path)
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = []
    for name in sorted(dirs):
        child = _join(path, name)
        found += _folders_below(child) + [child]
    return found


def artifacts_content_hash(path: str) -> str:
    """sha256 over the sorted (relative path, file sha256) pairs below `path`; empty folder hashes too."""
    storage = artifact_storage()
    clean = artifact_path_clean(path, allow_root=True)
    digest = hashlib.sha256()
    for relative in artifact_walk(clean):
        file_digest = hashlib.sha256()
        with storage.open(_join(clean, relative), "rb") as handle:
            for chunk in iter(lambda: handle.read(HASH_CHUNK_SIZE), b""):
                file_digest.update(chunk)
        digest.update(f"{relative}\0{file_digest.hexdigest()}\n".encode())
    return digest.hexdigest()


def _join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name
