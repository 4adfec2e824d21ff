"""Attack (found by the MLflow fuzzer): an artifact path with a name longer than the file system allows.

Writing or reading `<experiment>/<300 characters>` raised OSError ENAMETOOLONG: a 500. Now it is a 400 that
says which limit, on the artifact proxy and on the pages' artifact browser.
"""
import pytest

from tests.models_app.mlflow_api.conftest import assert_error

pytestmark = pytest.mark.django_db

LONG_NAME = "metrics.a > 0 and " * 20  # 360 bytes in one path part


def test_artifact_proxy_refuses_a_name_longer_than_255_bytes_on_every_method(mlflow, registry):
    client, headers = mlflow.client, mlflow.headers
    url = f"/api/2.0/mlflow-artifacts/artifacts/{registry['experiment'].pk}/{LONG_NAME}"
    for response in (client.put(url, b"data", content_type="application/octet-stream", headers=headers),
                     client.get(url, headers=headers), client.delete(url, headers=headers),
                     client.get("/api/2.0/mlflow-artifacts/artifacts", {"path": f"0/{LONG_NAME}"}, headers=headers)):
        assert_error(response, 400, "INVALID_PARAMETER_VALUE", "at most 255 are accepted")


def test_artifact_proxy_refuses_a_path_longer_than_900_bytes(mlflow):
    path = "/".join(["a" * 200] * 5)
    response = mlflow.client.get(f"/api/2.0/mlflow-artifacts/artifacts/{path}", headers=mlflow.headers)

    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "longer than 900 bytes")


def test_run_page_shows_the_refusal_inline_and_the_download_is_not_found(pages, registry):
    run_id = registry["run"].pk

    browsed = pages.get(f"/runs/{run_id}/", {"path": LONG_NAME})
    assert browsed.status_code == 200
    assert "at most 255 are accepted" in browsed.content.decode()
    assert pages.get(f"/runs/{run_id}/artifacts/download/", {"path": LONG_NAME}).status_code == 404
