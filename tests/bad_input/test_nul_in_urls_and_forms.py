"""Attack: NUL characters in paths, query strings and form fields; PostgreSQL text cannot hold them (was 500)."""
import pytest

from tests.models_app.mlflow_api.conftest import assert_error

from .conftest import assert_native_error, assert_page_error

pytestmark = pytest.mark.django_db


def test_mlflow_api_refuses_nul_in_query_fields_in_its_error_shape(mlflow):
    for endpoint, field in (("registered-models/get", "name"), ("experiments/get-by-name", "experiment_name"),
                            ("runs/get", "run_id"), ("registered-models/search", "filter")):
        assert_error(mlflow.get(endpoint, **{field: "a\x00b"}), 400, "INVALID_PARAMETER_VALUE",
                     f"query parameter '{field}' contains a NUL character")


def test_mlflow_artifact_proxy_refuses_nul_in_the_path(mlflow):
    response = mlflow.client.get("/api/2.0/mlflow-artifacts/artifacts/0/a%00b", headers=mlflow.headers)

    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "the path contains a NUL character")


def test_native_api_refuses_nul_in_a_model_name_and_in_q(native, registry):
    assert_native_error(native.get("/api/v1/models/a%00b/"), 400, "the path contains a NUL character")
    assert_native_error(native.get("/api/v1/models/", {"q": "a\x00b"}), 400,
                        "query parameter 'q' contains a NUL character")
    assert_native_error(native.get("/api/v1/review-requests/", {"model": "a\x00b"}), 400, "NUL character")


def test_pages_refuse_nul_in_paths_queries_and_forms_with_a_400_saying_why(pages, registry):
    for path, query in (("/models/a%00b/", {}), ("/models/", {"q": "a\x00b"}), ("/experiments/", {"q": "a\x00b"}),
                        ("/audit/", {"model": "a\x00b"}), ("/runs/a%00b/", {}), ("/lineage/", {"model": "a\x00b"})):
        assert_page_error(pages.get(path, query), 400, "contains a NUL character")
    for sent in ({"data": {"description": "a\x00b"}},  # multipart, the test client's default
                 {"data": "description=a%00b", "content_type": "application/x-www-form-urlencoded"}):
        described = pages.post("/models/iris/description/", **sent)
        assert_page_error(described, 400, "form field 'description' contains a NUL character")
    registry["model"].refresh_from_db()
    assert registry["model"].description == ""


def test_basic_credentials_with_a_nul_are_refused_not_a_500(client):
    import base64

    credentials = base64.b64encode(b"own\x00er:secret").decode()
    response = client.get("/api/2.0/mlflow/experiments/search", headers={"Authorization": f"Basic {credentials}"})

    assert 400 <= response.status_code < 500, response.content
    assert set(response.json()) == {"error_code", "message"}
