"""MLflow's request checks, as its server answers them: statuses, codes, message texts, and their order.

Every case is sent raw, as a script or another integration would, against endpoints whose objects do not
exist: MLflow checks the request before it looks anything up, so a malformed request is a 400 even then.
"""
import pytest

from models_app.exceptions import InvalidParameter
from models_app.mlflow_api.schema import ARRAY, INT, REQUIRED, STRING, Schema

from .conftest import assert_error

DOCS = " See the API docs for more information about request parameters."


def invalid(name: str, shown: str, type_name: str) -> str:
    return f"Invalid value {shown} for parameter '{name}' supplied:  Hint: Value was of type '{type_name}'.{DOCS}"


def missing(name: str) -> str:
    return f"Missing value for required parameter '{name}'.{DOCS}"


RUN = "0123456789abcdef0123456789abcdef"  # a well-formed id no run has
CASES = [
    ("post", "experiments/create", {"name": 123}, invalid("name", "123", "int")),
    ("post", "experiments/create", {}, missing("name")),
    ("post", "experiments/create", {"name": ""}, missing("name")),
    ("post", "experiments/create", {"name": "x", "tags": "5"}, invalid("tags", '"5"', "str")),
    ("post", "experiments/create", {"name": "x", "artifact_location": 7}, invalid("artifact_location", "7", "int")),
    ("post", "experiments/update", {"experiment_id": "404"}, missing("new_name")),
    # A type error anywhere makes MLflow run every type check, in order: experiment_id's fails first.
    ("post", "experiments/update", {"experiment_id": 404, "new_name": 5}, invalid("experiment_id", "404", "int")),
    ("post", "experiments/set-experiment-tag", {"experiment_id": "404", "key": "k", "value": 5},
     invalid("value", "5", "int")),
    ("get", "experiments/get", {}, missing("experiment_id")),
    ("get", "experiments/get-by-name", {}, missing("experiment_name")),
    ("post", "experiments/search", {"max_results": "many"}, invalid("max_results", '"many"', "str")),
    ("post", "runs/log-metric", {"run_id": 31, "key": "k", "value": 1.0, "timestamp": 1},
     invalid("run_id", "31", "int")),
    ("post", "runs/log-metric", {"run_id": RUN, "key": "k", "value": 1.0}, missing("timestamp")),
    ("post", "runs/log-metric", {"run_id": RUN, "key": "k", "value": [1], "timestamp": 1},
     invalid("value", "[1]", "list")),
    ("post", "runs/log-parameter", {"run_id": 31, "key": "k", "value": "v"}, invalid("run_id", "31", "int")),
    ("post", "runs/log-parameter", {"run_id": RUN, "key": "k", "value": 0.5}, invalid("value", "0.5", "float")),
    ("post", "runs/set-tag", {"run_id": 31, "key": "k", "value": "v"}, invalid("run_id", "31", "int")),
    ("post", "runs/set-tag", {"key": "k", "value": "v"}, missing("run_id")),
    ("post", "runs/delete-tag", {"run_id": RUN}, missing("key")),
    ("post", "runs/log-batch", {"run_id": RUN, "metrics": "foo"}, invalid("metrics", '"foo"', "str")),
    ("post", "runs/log-batch", {"run_id": RUN, "metrics": [{"value": 1, "timestamp": 1}]}, missing("metrics[0].key")),
    ("post", "runs/log-batch", {"run_id": RUN, "metrics": [{"key": "a", "value": 1, "timestamp": 1}, {"key": "b"}]},
     missing("metrics[1].value")),
    ("post", "runs/log-batch", {"run_id": RUN, "params": [{"value": "1"}]}, missing("params[0].key")),
    ("post", "runs/log-batch", {"run_id": RUN, "tags": {"k": "v"}}, invalid("tags", '{"k":"v"}', "dict")),
    ("post", "runs/search", {"max_results": 123456789}, invalid("max_results", "123456789", "int")),
    ("post", "runs/search", {"order_by": "name"}, invalid("order_by", '"name"', "str")),
    ("post", "runs/search", {"order_by": [1]}, invalid("order_by", "[1]", "list")),
    ("post", "runs/create", {"start_time": "soon"}, invalid("start_time", '"soon"', "str")),
    ("post", "runs/update", {"run_id": RUN, "end_time": "later"}, invalid("end_time", '"later"', "str")),
    ("post", "runs/log-inputs", {"run_id": RUN, "datasets": {}}, invalid("datasets", "{}", "dict")),
    ("post", "runs/outputs", {"run_id": RUN}, missing("models")),
    ("get", "runs/get", {}, missing("run_id")),
    ("get", "metrics/get-history", {"run_id": RUN}, missing("metric_key")),
    ("get", "metrics/get-history", {"run_id": RUN, "metric_key": "m", "max_results": "0"},
     "Invalid value 0 for parameter 'max_results' supplied. It must be a positive integer."),
    ("post", "registered-models/create", {"name": 5}, invalid("name", "5", "int")),
    # The string check comes before the required check for registry names: with a type error elsewhere, a null
    # name fails the string check.
    ("post", "registered-models/create", {"name": None, "description": 5}, invalid("name", "null", "NoneType")),
    ("post", "registered-models/create", {"name": None}, missing("name")),
    ("get", "registered-models/get", {}, missing("name")),
    ("get", "registered-models/search", {"max_results": "1001"}, invalid("max_results", '"1001"', "str")),
    ("post", "registered-models/rename", {"name": "missing"}, missing("new_name")),
    ("post", "registered-models/set-tag", {"name": "missing", "key": "k", "value": 1}, invalid("value", "1", "int")),
    ("post", "registered-models/alias", {"name": "missing", "alias": "champion"}, missing("version")),
    # MLflow's store checks the alias and the version number before it looks the model up.
    ("post", "registered-models/alias", {"name": "missing", "alias": "bad alias", "version": "1"},
     "Invalid alias name: 'bad alias'. Names may only contain alphanumerics, underscores (_), and dashes (-)."),
    ("post", "registered-models/alias", {"name": "missing", "alias": "latest", "version": "1"},
     "'latest' alias name (case insensitive) is reserved."),
    ("post", "registered-models/alias", {"name": "missing", "alias": "V2", "version": "1"},
     "Version alias name 'V2' is reserved."),
    ("post", "registered-models/alias", {"name": "missing", "alias": "champion", "version": "one"},
     "Parameter 'version' must be an integer, got 'one'."),
    # An invalid alias with the version missing: the schema (the version) answers before the alias rule.
    ("post", "registered-models/alias", {"name": "missing", "alias": "bad alias"}, missing("version")),
    ("get", "registered-models/alias", {"name": "missing", "alias": "a" * 256},
     "'Registered model alias name' exceeds the maximum length of 255 characters"),
    ("get", "model-versions/search", {"max_results": "0"},
     "Invalid value for max_results. It must be a positive integer, but got 0"),
    ("post", "runs/search", {"experiment_ids": ["0"], "max_results": 0},
     "Invalid value 0 for parameter 'max_results' supplied. It must be a positive integer"),
    ("post", "experiments/search", {"max_results": 50001, "filter": "name = 'x'"},
     "Invalid value 50001 for parameter 'max_results' supplied. It must be at most 50000"),
    ("post", "model-versions/create", {"name": "missing", "source": 5}, invalid("source", "5", "int")),
    ("post", "model-versions/create", {"name": "missing"}, missing("source")),
    ("get", "model-versions/get", {"name": "missing"}, missing("version")),
    ("get", "model-versions/search", {"max_results": "200001"}, invalid("max_results", '"200001"', "str")),
    ("post", "model-versions/transition-stage", {"name": "missing", "version": "1", "stage": "Bogus"},
     "Invalid Model Version stage: Bogus. Value must be one of None, Staging, Production, Archived."),
    ("post", "model-versions/transition-stage", {"name": "missing", "version": 1, "stage": "Staging"},
     invalid("version", "1", "int")),
    ("post", "model-versions/transition-stage",
     {"name": "missing", "version": "1", "stage": "Staging", "archive_existing_versions": "yes"},
     invalid("archive_existing_versions", '"yes"', "str")),
    ("post", "logged-models", {"experiment_id": 0}, invalid("experiment_id", "0", "int")),
    ("post", "logged-models/search", {}, missing("experiment_ids")),
    ("post", "logged-models/search", {"experiment_ids": [0]}, invalid("experiment_ids", "[0]", "list")),
]


def _send(api, method, endpoint, body):
    return api.get(endpoint, **body) if method == "get" else api.post(endpoint, body)


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "endpoint", "body", "message"), CASES,
                         ids=[f"{endpoint}-{index}" for index, (_m, endpoint, _b, _t) in enumerate(CASES)])
def test_it_answers_malformed_requests_as_mlflow_does(api, method, endpoint, body, message):
    response = _send(api, method, endpoint, body)
    body = assert_error(response, 400, "INVALID_PARAMETER_VALUE")
    assert body["message"] == message


@pytest.mark.django_db
def test_well_formed_requests_for_missing_objects_still_answer_404(api):
    # The checks pass, so the lookup answers: the same request with a good type is MLflow's 404.
    assert_error(api.post("runs/set-tag", {"run_id": RUN, "key": "k", "value": "v"}), 404, "RESOURCE_DOES_NOT_EXIST")
    assert_error(api.post("runs/log-parameter", {"run_uuid": RUN, "key": "k", "value": "v"}), 404,
                 "RESOURCE_DOES_NOT_EXIST")
    response = api.post("model-versions/transition-stage", {"name": "missing", "version": "1", "stage": "staging"})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


@pytest.mark.django_db
def test_numbers_sent_as_strings_pass_the_type_checks(api, run):
    # Proto-JSON clients send int64 values as strings; MLflow takes them.
    response = api.post("runs/log-metric", {"run_id": run.pk, "key": "acc", "value": "0.5", "timestamp": "12",
                                            "step": "3"})
    assert response.status_code == 200, response.json()
    assert api.post("runs/search", {"experiment_ids": [str(run.experiment_id)], "max_results": "5"}).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(("content_type", "message"), [
    ("text/plain", "Bad Request. Content-Type must be one of ['application/json']."),
    ("application/x-www-form-urlencoded", "Bad Request. Content-Type must be one of ['application/json']."),
    ("multipart/form-data; boundary=x", "Bad Request. Content-Type must be one of ['application/json']."),
])
def test_it_refuses_a_post_that_is_not_json_as_mlflow_does(client, owner_token, content_type, message):
    response = client.post("/api/2.0/mlflow/experiments/create", data='{"name": "form-made"}',
                           content_type=content_type, headers={"Authorization": f"Bearer {owner_token}"})
    assert assert_error(response, 400, "INVALID_PARAMETER_VALUE")["message"] == message
    charset = client.post("/api/2.0/mlflow/experiments/create", data='{"name": "json-made"}',
                          content_type="application/json; charset=utf-8",
                          headers={"Authorization": f"Bearer {owner_token}"})
    assert charset.status_code == 200


@pytest.mark.django_db
def test_it_refuses_a_post_without_a_content_type(client, owner_token):
    response = client.generic("POST", "/api/2.0/mlflow/experiments/create", data=b'{"name": "x"}',
                              content_type="", headers={"Authorization": f"Bearer {owner_token}"})
    assert assert_error(response, 400, "INVALID_PARAMETER_VALUE")["message"] == (
        "Bad Request. Content-Type header is missing.")


def test_the_validator_runs_type_checks_only_when_a_type_is_wrong():
    schema = Schema(name=(STRING, REQUIRED), tags=(ARRAY,), max_results=(INT,))
    schema.validate({"name": "m", "tags": [], "max_results": "7"})
    with pytest.raises(InvalidParameter, match="Missing value for required parameter 'name'"):
        schema.validate({"name": None})
    with pytest.raises(InvalidParameter, match="Invalid value null for parameter 'name'"):
        schema.validate({"name": None, "tags": "x"})
    with pytest.raises(InvalidParameter, match="Invalid value \"seven\" for parameter 'max_results'"):
        schema.validate({"name": "m", "max_results": "seven"})
    # MLflow's integer check is int(value): 1.5 passes it, as on MLflow's server.
    schema.validate({"name": "m", "max_results": 1.5})
