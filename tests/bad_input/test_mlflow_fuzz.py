"""Property-based attack on every MLflow route: random JSON values for each field each message has.

The routes and methods come from models_app/mlflow_api/urls.py and the field names from MLflow's own protos
(the messages the client sends), so a new route is fuzzed as soon as it is added, and a route MLflow does not
describe fails `test_every_mlflow_route_has_its_fields`. Every answer must be below 500, and every 4xx must be
MLflow's error shape: {"error_code", "message"}. Runs on PostgreSQL in autocommit (a transactional test), as
a deployment does.
"""
import json
import re
from urllib.parse import quote

import pytest
from django.urls import URLPattern, URLResolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mlflow.protos import mlflow_artifacts_pb2, model_registry_pb2, service_pb2
from mlflow.protos.databricks_pb2 import rpc

from models_app.choices import EntryPoint
from models_app.mlflow_api import urls as mlflow_urls
from models_app.services.experiments import experiment_create
from models_app.services.registry import model_version_create, registered_model_create
from models_app.services.runs import run_create
from models_app.services.tokens import api_token_create

EXAMPLES_PER_ROUTE = 12
COMMAND = EntryPoint.COMMAND


def _placeholders(path: str) -> str:
    """Path parameters spelled one way: MLflow's `{name}` and `<path:name>`, and our converters, become `{name}`."""
    return re.sub(r"<\w+:(\w+)>", r"{\1}", path)


def _proto_fields() -> dict[tuple[str, str], list[str]]:
    """(method, path as our URL conf writes it) -> the request message's field names, from MLflow's protos."""
    fields = {}
    for module in (service_pb2, model_registry_pb2, mlflow_artifacts_pb2):
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                for endpoint in method.GetOptions().Extensions[rpc].endpoints:
                    path = _placeholders(endpoint.path.lstrip("/"))
                    fields[(endpoint.method, path)] = [field.name for field in method.input_type.fields]
    return fields


def _routes(patterns, prefix: str = ""):
    """(route with converters, {method: view}) for each MLflow route; the catch-all 404 patterns are skipped."""
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and hasattr(pattern.callback, "views"):
            yield route, pattern.callback.views


PROTO_FIELDS = _proto_fields()
ROUTES = [(route, method) for route, views in _routes(mlflow_urls.urlpatterns) for method in views]


def _fields_for(route: str, method: str) -> list[str] | None:
    if route == "3.0/mlflow/server-info":
        return []
    # 2.0/mlflow/runs/create -> mlflow/runs/create; 2.0/mlflow-artifacts/… -> mlflow-artifacts/…; MLflow 3's
    # evaluation datasets (3.0/mlflow/datasets/…) likewise.
    return PROTO_FIELDS.get((method, _placeholders(route.removeprefix("2.0/").removeprefix("3.0/"))))


def test_every_mlflow_route_has_its_fields():
    assert len(ROUTES) > 40
    assert [(route, method) for route, method in ROUTES if _fields_for(route, method) is None] == []


UNSTORABLE = st.sampled_from(["\x00", "a\x00b", "\udcff", "x\ud800y", "[" * 50, "9" * 30, "-1", "0", "",
                              "metrics.a > 0 and " * 40 + "metrics.a > 0", "../../etc/passwd", "NaN"])
TEXT = st.one_of(st.text(st.characters(codec=None, categories=["L", "N", "P", "S", "Cc", "Cs", "Zs"]),
                         max_size=20), UNSTORABLE)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
                    st.floats(allow_nan=True, allow_infinity=True), TEXT)
JSON_VALUES = st.recursive(SCALARS, lambda children: st.one_of(
    st.lists(children, max_size=3), st.dictionaries(TEXT, children, max_size=3)), max_leaves=8)


def _assert_answer(response, route: str, method: str) -> None:
    assert response.status_code < 500, (method, route, response.status_code, response.content[:300])
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error_code", "message"}, (method, route, body)
        assert body["message"], (method, route, body)


@pytest.fixture
def known_values(transactional_db, owner) -> st.SearchStrategy:
    """Real names and ids, so random requests also reach rows that exist."""
    experiment = experiment_create(name="fuzzed", actor=owner, entry_point=COMMAND)
    run = run_create(experiment=experiment, actor=owner)
    model = registered_model_create(name="iris", actor=owner, entry_point=COMMAND)
    model_version_create(name=model.name, source=f"mlflow-artifacts:/{experiment.pk}/models/v1/artifacts",
                         actor=owner, entry_point=COMMAND)
    return st.sampled_from([str(experiment.pk), run.pk, "iris", "1", "Production", "champion", "0"])


@pytest.fixture
def headers(transactional_db, owner) -> dict:
    raw, _token = api_token_create(user=owner, name="fuzz", entry_point=COMMAND)
    return {"Authorization": f"Bearer {raw}"}


def _quoted(value) -> str:
    # Lone surrogates go out as the (invalid UTF-8) bytes a careless client would send.
    return quote(str(value).encode("utf-8", "surrogatepass"), safe="")


def _send(client, headers: dict, method: str, url: str, body: dict, raw_body: bytes):
    if method == "GET":
        query = "&".join(f"{key}={_quoted(item)}" for key, value in body.items()
                         for item in (value if isinstance(value, list) else [value]))
        return client.get(f"{url}?{query}", headers=headers)
    if method == "PUT":  # artifact upload: the body is the file
        return client.put(url, raw_body, content_type="application/octet-stream", headers=headers)
    return client.generic(method, url, json.dumps(body), content_type="application/json", headers=headers)


def _attack(client, headers: dict, route: str, method: str, values: st.SearchStrategy):
    """A hypothesis test for one route and method: random values for the message's fields and path parts."""
    path_names = re.findall(r"<\w+:(\w+)>", route)
    body_fields = [name for name in _fields_for(route, method) if name not in path_names] or ["unknown"]

    @settings(max_examples=EXAMPLES_PER_ROUTE, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(body=st.dictionaries(st.sampled_from(body_fields), values, max_size=len(body_fields)),
           path_values=st.lists(st.one_of(TEXT, values), min_size=len(path_names), max_size=len(path_names)),
           raw_body=st.binary(max_size=64))
    def attack(body, path_values, raw_body):
        path = route
        for name, value in zip(path_names, path_values, strict=True):
            path = re.sub(rf"<\w+:{name}>", _quoted(value) or "x", path)
        _assert_answer(_send(client, headers, method, f"/api/{path}", body, raw_body), route, method)

    return attack


def test_no_random_field_values_get_a_5xx_on_any_mlflow_route(client, headers, known_values):
    values = st.one_of(JSON_VALUES, known_values)
    for route, method in ROUTES:
        _attack(client, headers, route, method, values)()
