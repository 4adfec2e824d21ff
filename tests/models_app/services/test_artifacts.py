import hashlib
import io

import pytest

from models_app.exceptions import InvalidParameter, NotFound
from models_app.services.artifacts import (
    artifact_delete,
    artifact_list,
    artifact_open,
    artifact_path_clean,
    artifact_uri_to_path,
    artifact_write,
    artifacts_content_hash,
)

# Writes and deletes ask the governance hook, which the approvals app answers from the database
# (artifacts of versions in protected stages are immutable).
pytestmark = pytest.mark.django_db

FOLDER = "1/0123456789abcdef0123456789abcdef/artifacts"
MEGABYTE = 1024 * 1024


@pytest.mark.parametrize(("path", "problem"), [
    ("../etc/passwd", "must not contain '..'"),
    ("model/../../secret", "must not contain '..'"),
    ("/etc/passwd", "must be relative"),
    ("model\x00.pkl", "forbidden character"),
    ("model\\weights.bin", "forbidden character"),
    ("", "the path is empty"),
])
def test_it_refuses_paths_that_could_leave_the_store(path, problem):
    with pytest.raises(InvalidParameter, match=problem):
        artifact_path_clean(path)


def test_it_normalises_harmless_path_forms():
    assert artifact_path_clean("model/./data//weights.bin") == "model/data/weights.bin"
    assert artifact_path_clean("", allow_root=True) == ""
    assert artifact_uri_to_path("mlflow-artifacts://host:5000/1/models/m-x/artifacts") == "1/models/m-x/artifacts"
    assert artifact_uri_to_path("s3://bucket/model") is None


def _write(path, content: bytes):
    return artifact_write(path=f"{FOLDER}/{path}", stream=io.BytesIO(content))


def test_it_writes_lists_opens_and_deletes_artifacts():
    assert _write("model/MLmodel", b"flavors: {}\n") == 12
    _write("model/data/weights.bin", b"\x01" * 10)
    _write("metrics.json", b"{}")

    assert artifact_list(FOLDER) == [
        {"path": f"{FOLDER}/model", "is_dir": True},
        {"path": f"{FOLDER}/metrics.json", "is_dir": False, "file_size": 2},
    ]
    assert artifact_list(f"{FOLDER}/model") == [
        {"path": f"{FOLDER}/model/data", "is_dir": True},
        {"path": f"{FOLDER}/model/MLmodel", "is_dir": False, "file_size": 12},
    ]
    with artifact_open(f"{FOLDER}/model/data/weights.bin") as handle:
        assert handle.read() == b"\x01" * 10

    artifact_delete(path=f"{FOLDER}/model")

    assert artifact_list(f"{FOLDER}/model") == []
    assert [entry["path"] for entry in artifact_list(FOLDER)] == [f"{FOLDER}/metrics.json"]
    with pytest.raises(NotFound, match="does not exist"):
        artifact_open(f"{FOLDER}/model/MLmodel")


def test_it_replaces_a_file_written_twice():
    _write("notes.txt", b"first")
    _write("notes.txt", b"second")

    with artifact_open(f"{FOLDER}/notes.txt") as handle:
        assert handle.read() == b"second"


def test_it_lists_a_missing_folder_as_empty():
    assert artifact_list("no/such/folder") == []


def test_it_refuses_to_open_a_folder():
    _write("model/MLmodel", b"x")

    # MLflow answers a download of a folder with a 400 that says so.
    with pytest.raises(InvalidParameter, match="Artifact path refers to a directory, not a file"):
        artifact_open(f"{FOLDER}/model")


class _GeneratedStream:
    """A read-only file object producing `total` bytes on demand, remembering the largest read asked of it."""

    def __init__(self, total: int):
        self.remaining = total
        self.largest_read = 0
        self.digest = hashlib.sha256()
        self.counter = 0

    def read(self, size=-1):
        if size is None or size < 0:
            size = self.remaining
        self.largest_read = max(self.largest_read, size)
        size = min(size, self.remaining)
        self.remaining -= size
        chunk = bytes((self.counter + offset) % 251 for offset in range(min(size, 251))) * (size // 251 + 1)
        chunk = chunk[:size]
        self.counter += 1
        self.digest.update(chunk)
        return chunk


def test_it_streams_a_large_write_in_chunks():
    stream = _GeneratedStream(30 * MEGABYTE)

    size = artifact_write(path=f"{FOLDER}/big.bin", stream=stream)

    assert size == 30 * MEGABYTE
    assert stream.largest_read <= MEGABYTE
    stored = hashlib.sha256()
    with artifact_open(f"{FOLDER}/big.bin") as handle:
        for chunk in iter(lambda: handle.read(MEGABYTE), b""):
            stored.update(chunk)
    assert stored.hexdigest() == stream.digest.hexdigest()


def test_it_hashes_content_stably_and_notices_changes():
    _write("model/MLmodel", b"flavors: {}\n")
    _write("model/data/weights.bin", b"\x01" * 1000)
    first = artifacts_content_hash(f"{FOLDER}/model")

    assert artifacts_content_hash(f"{FOLDER}/model") == first
    _write("model/data/weights.bin", b"\x01" * 999 + b"\x02")
    changed = artifacts_content_hash(f"{FOLDER}/model")
    assert changed != first
    _write("model/data/weights.bin", b"\x01" * 1000)
    assert artifacts_content_hash(f"{FOLDER}/model") == first
    _write("model/extra.txt", b"")
    assert artifacts_content_hash(f"{FOLDER}/model") not in (first, changed)
