"""The webhook routes under the same property-based attack as every MLflow route (tests/bad_input)."""
import pytest
from mlflow.protos import webhooks_pb2
from mlflow.protos.databricks_pb2 import rpc

from approvals import mlflow_webhooks
from tests.bad_input.test_mlflow_fuzz import _attack, _placeholders, _routes, headers, known_values  # noqa: F401

pytestmark = pytest.mark.postgres


def _webhook_fields() -> dict:
    fields = {}
    for service in webhooks_pb2.DESCRIPTOR.services_by_name.values():
        for method in service.methods:
            for endpoint in method.GetOptions().Extensions[rpc].endpoints:
                fields[(endpoint.method, _placeholders(endpoint.path.lstrip("/")))] = [
                    field.name for field in method.input_type.fields]
    return fields


FIELDS = _webhook_fields()
ROUTES = [(route, method) for route, views in _routes(mlflow_webhooks.urlpatterns, "2.0/mlflow/") for method in views]


def test_every_webhook_route_is_an_mlflow_message():
    assert len(ROUTES) == 6
    assert [r for r in ROUTES if (r[1], _placeholders(r[0].removeprefix("2.0/"))) not in FIELDS] == []


@pytest.mark.parametrize(("route", "method"), ROUTES)
def test_random_input_is_answered_below_500_in_mlflow_shape(client, headers, known_values, route, method,  # noqa: F811
                                                            monkeypatch):
    import tests.bad_input.test_mlflow_fuzz as fuzz

    fields = FIELDS[(method, _placeholders(route.removeprefix("2.0/")))]
    monkeypatch.setattr(fuzz, "_fields_for", lambda *_: fields + ["registered_model_name", "model_name_pattern"])
    _attack(client, headers, route, method, known_values)()
