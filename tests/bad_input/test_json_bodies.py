"""Attack: JSON bodies Python parses but the registry cannot hold, on the MLflow API and the native API.

100,000 nested `[` raised RecursionError (500); a lone surrogate raised UnicodeEncodeError on MLflow
endpoints (500); a NUL character reached PostgreSQL.
"""
import json

import pytest

from tests.models_app.mlflow_api.conftest import assert_error

from .conftest import assert_native_error

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000
DEEP_IN_FIELD = '{"name": ' + "[" * 100_000 + "}"
SURROGATE = '{"name": "a\\udcffb"}'
NUL = '{"name": "a\\u0000b"}'
MLFLOW_POSTS = ["experiments/create", "registered-models/create", "runs/create", "runs/log-batch", "runs/search",
                "model-versions/create", "logged-models", "logged-models/search"]


@pytest.mark.parametrize("endpoint", MLFLOW_POSTS)
def test_mlflow_api_refuses_100000_nested_brackets_with_a_400_naming_the_limit(mlflow, endpoint):
    for body in (DEEP, DEEP_IN_FIELD):
        assert_error(mlflow.post(endpoint, body), 400, "INVALID_PARAMETER_VALUE", "nested too deeply")


def test_mlflow_api_refuses_a_body_deeper_than_the_limit_that_python_could_parse(mlflow, settings):
    settings.REQUEST_JSON_MAX_DEPTH = 5
    body = {"name": "x", "tags": [{"key": "k", "value": [[[[1]]]]}]}

    assert_error(mlflow.post("experiments/create", body), 400, "INVALID_PARAMETER_VALUE",
                 "nested too deeply at body.tags[0].value")


@pytest.mark.parametrize("endpoint", ["experiments/create", "registered-models/create"])
def test_mlflow_api_refuses_a_lone_surrogate_and_a_nul_naming_the_field(mlflow, endpoint):
    assert_error(mlflow.post(endpoint, SURROGATE), 400, "INVALID_PARAMETER_VALUE",
                 "body.name contains a lone surrogate (\\udcff)")
    assert_error(mlflow.post(endpoint, NUL), 400, "INVALID_PARAMETER_VALUE", "body.name contains a NUL character")


def test_mlflow_api_refuses_a_surrogate_in_a_key_and_deep_inside_a_batch(mlflow, registry):
    run_id = registry["run"].pk
    # json.dumps escapes the lone surrogate as \\ud800, as a client in another language would send it.
    batch = json.dumps({"run_id": run_id, "params": [{"key": "a", "value": "ok"}, {"key": "b\ud800", "value": "x"}]})
    assert_error(mlflow.post("runs/log-batch", batch), 400, "INVALID_PARAMETER_VALUE", "lone surrogate (\\ud800)")
    keyed = '{"name": "x", "\\udcff": 1}'
    assert_error(mlflow.post("experiments/create", keyed), 400, "INVALID_PARAMETER_VALUE", "lone surrogate")


def test_mlflow_api_still_takes_nan_metrics_and_ordinary_unicode(mlflow, registry):
    run_id = registry["run"].pk
    logged = mlflow.post("runs/log-metric", f'{{"run_id": "{run_id}", "key": "loss", "value": NaN, '
                                            '"timestamp": 1, "step": 0}')
    assert logged.status_code == 200, logged.json()
    created = mlflow.post("experiments/create", {"name": "Iris – ü 😀"})
    assert created.status_code == 200, created.json()


def test_mlflow_api_refuses_invalid_utf8_with_a_400(mlflow):
    assert_error(mlflow.post("experiments/create", b'{"name": "\xff"}'), 400, "INVALID_PARAMETER_VALUE", "not UTF-8")


NATIVE_POSTS = ["/api/v1/review-requests/", "/api/v1/validation-runs/", "/api/v1/policies/",
                "/api/v1/models/iris/rollback/", "/api/v1/models/iris/rename/",
                "/api/v1/models/iris/versions/1/transition/"]


@pytest.mark.parametrize("path", NATIVE_POSTS)
def test_native_api_parser_refuses_deep_nesting_surrogates_and_nul_in_its_error_shape(native, registry, path):
    for body, message in ((DEEP, "nested too deeply"), (DEEP_IN_FIELD, "nested too deeply"),
                          ('{"model": "a\\udcffb", "comment": "x"}', "lone surrogate (\\udcff)"),
                          ('{"comment": "a\\u0000b"}', "NUL character")):
        response = native.post(path, data=body, content_type="application/json")

        assert assert_native_error(response, 400, message)["error_code"] == "INVALID_PARAMETER_VALUE"


def test_native_api_parser_still_refuses_nan_as_drf_does_and_takes_valid_bodies(native, registry):
    refused = native.post("/api/v1/models/iris/rename/", data='{"new_name": NaN}', content_type="application/json")
    assert_native_error(refused, 400, "not valid JSON")
    renamed = native.post("/api/v1/models/iris/rename/", data=json.dumps({"new_name": "iris-2"}),
                          content_type="application/json")
    assert renamed.status_code == 200, renamed.json()
