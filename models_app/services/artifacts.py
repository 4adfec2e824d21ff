"""Artifacts through Django's storage API, streamed in and out.

Paths are relative to the artifact store root, as in `mlflow-artifacts:/<path>`: an experiment
owns `<experiment_id>/`, a run `<experiment_id>/<run_id>/artifacts/`, a logged model
`<experiment_id>/models/<model_id>/artifacts/`.
"""
import hashlib
import posixpath
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.core.files.storage import storages
from django.db import connection, transaction
from django.db.models import Q

from ..exceptions import InvalidParameter, InvalidState, NotFound, PermissionDenied
from ..governance import current_governance
from ..models import ModelVersion, RegisteredModel
from ..models.registry import HELD_ARTIFACTS_SCHEME

ARTIFACT_URI_SCHEME = HELD_ARTIFACTS_SCHEME
HASH_CHUNK_SIZE = 1024 * 1024
# A folder's owner is named by its first parts: `<experiment>/<run>/artifacts`, `<experiment>/models/<model id>`.
OWNER_PARTS = 3
# Top folders of the store no client may read, write or list: validation datasets were stored there before they got
# a storage root of their own (approvals.datasets_storage), and no artifact may pose as one now.
RESERVED_TOP_FOLDERS = ("validation-datasets",)
# Longest name of one folder or file (Linux's NAME_MAX) and longest path (below S3's 1,024-byte key limit, leaving
# room for the configured prefix).
MAX_PATH_PART_BYTES = 255
MAX_PATH_BYTES = 900
# Versions registered at a path while a write waited for its locks make it start over; this many times at most.
WRITE_LOCK_ATTEMPTS = 5


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
    _check_path_length(cleaned, parts)
    if not cleaned and not allow_root:
        raise InvalidParameter("Invalid artifact path: the path is empty.")
    if parts and parts[0].casefold() in RESERVED_TOP_FOLDERS:
        raise PermissionDenied(f"Artifact path {path!r} is in the reserved folder '{parts[0]}/': it holds no artifacts "
                               "and cannot be read or written.")
    return cleaned


def _check_path_length(cleaned: str, parts: list[str]) -> None:
    # File systems refuse longer names (ENAMETOOLONG, which was a 500); object stores refuse longer keys.
    longest = max((len(part.encode("utf-8", "surrogatepass")) for part in parts), default=0)
    if longest > MAX_PATH_PART_BYTES:
        raise InvalidParameter(f"Invalid artifact path: a folder or file name is {longest} bytes long; at most "
                               f"{MAX_PATH_PART_BYTES} are accepted.")
    if len(cleaned.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES:
        raise InvalidParameter(f"Invalid artifact path: the path is longer than {MAX_PATH_BYTES} bytes.")


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


def artifact_write(*, path: str, stream: IO[bytes], actor=None, entry_point: str = "") -> int:
    """Store `stream` at `path`, replacing any file there; chunks go straight to storage."""
    clean = artifact_path_clean(path)
    storage = artifact_storage()
    with _write_guarded(clean, actor=actor, entry_point=entry_point):
        try:
            storage.save(clean, File(stream, name=posixpath.basename(clean)))
        except SuspiciousFileOperation:
            # A symbolic link on the way leads out of the store (models_app/storage.py).
            raise InvalidParameter(f"Invalid artifact path: '{clean}' leads out of the artifact store.") from None
    return storage.size(clean)


def model_versions_stored_at(path: str):
    """Versions whose files are at, above or below `path` (a write there changes what they hold)."""
    parts = path.split("/")
    uris = [artifact_path_to_uri("/".join(parts[:end])) for end in range(1, len(parts) + 1)]
    return ModelVersion.objects.filter(
        Q(storage_location__in=uris) | Q(storage_location__startswith=f"{artifact_path_to_uri(path)}/"))


@contextmanager
def _write_guarded(path: str, *, actor, entry_point: str):
    """Hold the locks under which governance decides about `path`, from its check until the bytes are written.

    The models of the versions stored there are locked first (the order every governed change uses: model row,
    then artifact lock), then the path's artifact lock is taken shared. A version registered at the path in the
    meantime belongs to a model not locked yet: then everything is released and taken again.
    """
    for _attempt in range(WRITE_LOCK_ATTEMPTS):
        with transaction.atomic():
            expected = _model_ids_at(path)
            locked = set(RegisteredModel.objects.select_for_update().filter(pk__in=expected)
                         .order_by("pk").values_list("pk", flat=True))
            artifact_path_lock(path, exclusive=False)
            if _model_ids_at(path) <= locked:
                current_governance().check_artifact_write(actor=actor, path=path, entry_point=entry_point)
                yield
                return
    raise InvalidState(f"Versions kept being registered at '{path}' while the write waited; try again.")


def _model_ids_at(path: str) -> set[int]:
    return set(model_versions_stored_at(path).values_list("registered_model_id", flat=True))


def artifact_path_lock(path: str, *, exclusive: bool) -> None:
    """Take, until the end of the transaction, the lock that orders writes at `path` with decisions about it.

    Writers take it shared, so they do not wait for each other; the gate takes it exclusive for the folder of
    a version it is about to promote, so no write lands between hashing the files and committing the change.
    It is a pair of PostgreSQL advisory locks in the manner of intention locks: on the path's top folder and
    on its owner folder (OWNER_PARTS parts). Any two intersecting paths share both keys, or the shorter one
    has fewer than OWNER_PARTS parts and takes the top folder's key exclusively. Other databases serialise
    writing transactions themselves and take nothing here.
    """
    if connection.vendor != "postgresql" or not path:
        return
    parts = path.split("/")
    if len(parts) < OWNER_PARTS:
        keys = [(parts[0], True)]
    else:
        keys = [(parts[0], False), ("/".join(parts[:OWNER_PARTS]), exclusive)]
    with connection.cursor() as cursor:
        for key, key_exclusive in keys:
            function = "pg_advisory_xact_lock" if key_exclusive else "pg_advisory_xact_lock_shared"
            cursor.execute(f"SELECT {function}(%s)", [_lock_key(key)])


def _lock_key(folder: str) -> int:
    digest = hashlib.blake2b(f"artifacts:{folder}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def artifact_open(path: str) -> IO[bytes]:
    clean = artifact_path_clean(path)
    storage = artifact_storage()
    if _is_dir(clean):
        # MLflow's words for a download of a folder.
        raise InvalidParameter(f"Artifact path refers to a directory, not a file: '{clean}'")
    if not storage.exists(clean):
        raise NotFound(f"Artifact '{clean}' does not exist.")
    return storage.open(clean, "rb")


def artifact_root(root_uri: str) -> str:
    """The store path of an artifact root URI; refused when this registry does not hold what it names."""
    root = artifact_uri_to_path(root_uri or "")
    if root is None:
        raise NotFound(f"The artifacts at '{root_uri}' are not stored on this server.")
    return root


def artifact_open_below(*, root_uri: str, path: str) -> IO[bytes]:
    """Open the file `path` below an artifact root (a run's, a version's); '..' and absolute paths are refused."""
    relative = artifact_path_clean(path)
    root = artifact_root(root_uri)
    return artifact_open(f"{root}/{relative}" if root else relative)


def artifact_list_below(*, root_uri: str, path: str = "") -> list[dict]:
    """The entries of folder `path` below an artifact root, with paths relative to the root (MLflow's run listing)."""
    relative = artifact_path_clean(path, allow_root=True)
    root = artifact_root(root_uri)
    entries = artifact_list(f"{root}/{relative}".strip("/") if relative else root)
    for entry in entries:
        entry["path"] = entry["path"][len(root):].lstrip("/") if root else entry["path"]
    return entries


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


def artifact_delete(*, path: str, actor=None, entry_point: str = "") -> None:
    clean = artifact_path_clean(path)
    storage = artifact_storage()
    with _write_guarded(clean, actor=actor, entry_point=entry_point):
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
