"""The mlflow-artifacts proxy: upload, list, download, delete."""
import pytest

from models_app.models import Experiment

from .conftest import assert_error

pytestmark = pytest.mark.django_db
PREFIX = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture
def headers(owner_token, owner, grant_experiment):
    """owner's credentials; owner may edit experiment 1, whose folder `1/` holds the paths written below."""
    experiment = Experiment.objects.create(pk=1, name="artifacts", artifact_location="mlflow-artifacts:/1")
    grant_experiment(experiment, owner, "EDIT")
    return {"Authorization": f"Bearer {owner_token}"}


def _upload(client, headers, path: str, content: bytes, content_type="text/plain"):
    return client.put(f"{PREFIX}/{path}", data=content, content_type=content_type, headers=headers)


def test_it_uploads_lists_and_downloads(client, headers):
    assert _upload(client, headers, "1/models/m-1/artifacts/MLmodel", b"flavors: {}\n").status_code == 200
    assert _upload(client, headers, "1/models/m-1/artifacts/model.skops", b"\x00\x01",
                   "application/octet-stream").status_code == 200
    listing = client.get(PREFIX, {"path": "1/models/m-1/artifacts"}, headers=headers).json()
    assert listing["files"] == [{"path": "MLmodel", "is_dir": False, "file_size": 12},
                                {"path": "model.skops", "is_dir": False, "file_size": 2}]
    assert client.get(PREFIX, {"path": "1/models"}, headers=headers).json() == {"files": [
        {"path": "m-1", "is_dir": True}]}
    download = client.get(f"{PREFIX}/1/models/m-1/artifacts/MLmodel", headers=headers)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"flavors: {}\n"
    assert "attachment" in download["Content-Disposition"]


def test_it_lists_a_missing_folder_as_empty(client, headers):
    response = client.get(PREFIX, {"path": "1/run/artifacts/model"}, headers=headers)
    assert (response.status_code, response.json()) == (200, {})


def test_it_answers_a_missing_file_with_404(client, headers):
    response = client.get(f"{PREFIX}/1/nothing/here", headers=headers)
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST", "1/nothing/here")


def test_it_refuses_paths_that_leave_the_store(client, headers):
    assert_error(_upload(client, headers, "1/../../etc/passwd", b"x"), 400, "INVALID_PARAMETER_VALUE", "..")
    assert_error(client.get(PREFIX, {"path": "../secrets"}, headers=headers), 400, "INVALID_PARAMETER_VALUE", "..")


def test_it_deletes_an_artifact(client, headers):
    _upload(client, headers, "1/x/file.txt", b"data")
    assert client.delete(f"{PREFIX}/1/x/file.txt", headers=headers).status_code == 200
    assert_error(client.get(f"{PREFIX}/1/x/file.txt", headers=headers), 404, "RESOURCE_DOES_NOT_EXIST")


def test_it_refuses_an_upload_without_credentials(client):
    assert_error(_upload(client, {}, "1/x/file.txt", b"data"), 401, "UNAUTHENTICATED")


def test_it_streams_uploads_larger_than_the_in_memory_body_limit(client, headers, settings):
    # Reading request.body would fail above this limit; the upload must go from the stream to storage.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    content = bytes(range(256)) * 64
    assert _upload(client, headers, "1/big/model.bin", content, "application/octet-stream").status_code == 200
    download = client.get(f"{PREFIX}/1/big/model.bin", headers=headers)
    assert b"".join(download.streaming_content) == content
