"""The Databricks registry routes under the MLflow fuzzer's attack: random values in every field each message has
(the field names of databricks-sdk's requests); every answer below 500 and in the {error_code, message} shape."""
import pytest

from approvals import databricks_api
from tests.bad_input.test_mlflow_fuzz import _attack, _routes, headers, known_values  # noqa: F401

pytestmark = pytest.mark.postgres

FIELDS = {
    "transition-requests/create": ["name", "version", "stage", "comment"],
    "transition-requests/approve": ["name", "version", "stage", "archive_existing_versions", "comment"],
    "transition-requests/reject": ["name", "version", "stage", "comment"],
    "transition-requests/delete": ["name", "version", "stage", "creator", "comment"],
    "transition-requests/list": ["name", "version"],
    "databricks/model-versions/transition-stage": ["name", "version", "stage", "archive_existing_versions",
                                                   "comment"],
    "databricks/registered-models/get": ["name"],
    "comments/create": ["name", "version", "comment"],
    "comments/update": ["id", "comment"],
    "comments/delete": ["id"],
    "registry-webhooks/create": ["events", "description", "http_url_spec", "job_spec", "model_name", "status"],
    "registry-webhooks/list": ["events", "model_name", "page_token"],
    "registry-webhooks/update": ["id", "events", "description", "http_url_spec", "job_spec", "status"],
    "registry-webhooks/delete": ["id"],
    "registry-webhooks/test": ["id", "event"],
    "registered-models/<str:registered_model_id>": ["access_control_list"],
    "registered-models/<str:registered_model_id>/permissionLevels": [],
}
ROUTES = [("2.0/mlflow/" + route, method) for route, views in _routes(databricks_api.urlpatterns)
          for method in views]
ROUTES += [("2.0/permissions/" + route, method) for route, views in _routes(databricks_api.permission_urlpatterns)
           for method in views]


def test_every_route_has_its_fields():
    assert len(ROUTES) == 19
    assert [r for r in ROUTES if r[0].removeprefix("2.0/mlflow/").removeprefix("2.0/permissions/") not in FIELDS] == []


@pytest.mark.parametrize(("route", "method"), ROUTES)
def test_random_input_is_answered_below_500_in_mlflow_shape(client, headers, known_values, route, method,  # noqa: F811
                                                            monkeypatch):
    import tests.bad_input.test_mlflow_fuzz as fuzz

    fields = FIELDS[route.removeprefix("2.0/mlflow/").removeprefix("2.0/permissions/")]
    monkeypatch.setattr(fuzz, "_fields_for", lambda *_: fields)
    _attack(client, headers, route, method, known_values)()
