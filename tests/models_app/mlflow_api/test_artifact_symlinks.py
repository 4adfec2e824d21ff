"""A symbolic link inside the artifact root is never followed out of it: not listed through, read, or written through.

Links are placed by hand (someone on the host, a restored backup); every path that reaches the store, the
mlflow-artifacts proxy and the dashboard's artifact browser and downloads, must stay inside the root.
"""
import io
import os

import pytest
from django.conf import settings as django_settings

from models_app.exceptions import InvalidParameter
from models_app.services.artifacts import (
    artifact_list,
    artifact_uri_to_path,
    artifact_walk,
    artifact_write,
    artifacts_content_hash,
)

from ..factories import RunFactory

pytestmark = pytest.mark.django_db
PREFIX = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture
def headers(owner_token):
    return {"Authorization": f"Bearer {owner_token}"}


@pytest.fixture
def run_folder(owner):
    """A run's artifact folder with one real file, and the folder's path below the root."""
    run = RunFactory()
    root = artifact_uri_to_path(run.artifact_uri)
    artifact_write(path=f"{root}/model/MLmodel", stream=io.BytesIO(b"flavors: {}\n"), actor=owner)
    return run, root


def _link(relative: str, target) -> None:
    link = django_settings.ARTIFACTS_ROOT / relative
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, link)


@pytest.fixture
def outside(tmp_path):
    """A folder outside the artifact root with a file in it, standing in for a system folder to write into."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text("not yours")
    return folder


def test_a_link_to_etc_is_neither_listed_nor_listed_through(client, headers, run_folder):
    _run, root = run_folder
    _link(f"{root}/model/etc", "/etc")

    listing = client.get(PREFIX, {"path": f"{root}/model"}, headers=headers).json()
    through = client.get(PREFIX, {"path": f"{root}/model/etc"}, headers=headers)

    assert [entry["path"] for entry in listing["files"]] == ["MLmodel"]
    assert (through.status_code, through.json()) == (200, {})
    assert artifact_list(f"{root}/model/etc") == [] and list(artifact_walk(f"{root}/model")) == ["MLmodel"]


def test_a_file_behind_a_link_to_etc_is_not_read(client, headers, run_folder):
    _run, root = run_folder
    _link(f"{root}/model/etc", "/etc")
    _link(f"{root}/model/passwd", "/etc/passwd")

    for path in (f"{root}/model/etc/passwd", f"{root}/model/passwd", f"{root}/model/etc/hostname"):
        response = client.get(f"{PREFIX}/{path}", headers=headers)
        assert response.status_code == 404, path
        assert response.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_nothing_is_written_through_a_link(client, headers, run_folder, outside):
    _run, root = run_folder
    _link(f"{root}/model/out", outside)
    _link(f"{root}/model/secret.txt", outside / "secret.txt")

    new_file = client.put(f"{PREFIX}/{root}/model/out/planted.txt", data=b"x", content_type="text/plain",
                          headers=headers)
    overwrite = client.put(f"{PREFIX}/{root}/model/secret.txt", data=b"x", content_type="text/plain",
                           headers=headers)

    for response in (new_file, overwrite):
        assert response.status_code == 400 and "leads out of the artifact store" in response.json()["message"]
    assert sorted(path.name for path in outside.iterdir()) == ["secret.txt"]
    assert (outside / "secret.txt").read_text() == "not yours"
    with pytest.raises(InvalidParameter, match="leads out of the artifact store"):
        artifact_write(path=f"{root}/model/out/deep/planted.txt", stream=io.BytesIO(b"x"))
    assert not (outside / "deep").exists()


def test_nothing_is_deleted_through_a_link(client, headers, run_folder, outside):
    _run, root = run_folder
    _link(f"{root}/model/out", outside)

    assert client.delete(f"{PREFIX}/{root}/model/out/secret.txt", headers=headers).status_code in (200, 404)
    assert client.delete(f"{PREFIX}/{root}/model", headers=headers).status_code == 200

    assert (outside / "secret.txt").read_text() == "not yours"


def test_the_content_hash_ignores_what_a_link_points_at(run_folder, outside):
    _run, root = run_folder
    before = artifacts_content_hash(f"{root}/model")
    _link(f"{root}/model/out", outside)

    assert artifacts_content_hash(f"{root}/model") == before


def test_the_dashboard_artifact_browser_and_download_stay_inside(client, owner, run_folder):
    run, root = run_folder
    _link(f"{root}/model/etc", "/etc")
    client.force_login(owner)

    browser = client.get(f"/runs/{run.pk}/artifacts/", {"path": "model"}).content.decode()
    through = client.get(f"/runs/{run.pk}/artifacts/", {"path": "model/etc"})
    download = client.get(f"/runs/{run.pk}/artifacts/download/", {"path": "model/etc/passwd"})

    assert "MLmodel" in browser and "etc" not in browser.split("MLmodel", 1)[1].split("</table>", 1)[0]
    assert b"root:" not in through.content
    assert download.status_code == 404


def test_a_link_that_stays_inside_the_root_still_works(client, headers, run_folder):
    _run, root = run_folder
    _link(f"{root}/alias", django_settings.ARTIFACTS_ROOT / root / "model")

    listing = client.get(PREFIX, {"path": f"{root}/alias"}, headers=headers).json()

    assert [entry["path"] for entry in listing["files"]] == ["MLmodel"]
    assert client.get(f"{PREFIX}/{root}/alias/MLmodel", headers=headers).status_code == 200
