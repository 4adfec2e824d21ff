"""Evaluation datasets over raw REST: /api/3.0/mlflow/datasets/*, as MLflow 3.17's handlers answer them."""
import base64
import json

import pytest

from .conftest import MlflowApi, assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def v3(client, owner_token) -> MlflowApi:
    return MlflowApi(client, owner_token, prefix="/api/3.0/mlflow/")


def _create(v3, name="qa", **body) -> dict:
    response = v3.post("datasets/create", {"name": name, **body})
    assert response.status_code == 200, response.json()
    return response.json()["dataset"]


def test_create_get_and_delete(v3, experiment):
    made = _create(v3, experiment_ids=[str(experiment.pk)], tags=json.dumps({"mlflow.user": "alice", "team": "x"}))
    assert made["dataset_id"].startswith("d-") and len(made["digest"]) == 8
    assert (made["name"], made["created_by"], made["last_updated_by"]) == ("qa", "alice", "alice")
    assert json.loads(made["tags"]) == {"mlflow.user": "alice", "team": "x"}
    assert made["experiment_ids"] == [str(experiment.pk)]
    got = v3.get(f"datasets/{made['dataset_id']}").json()["dataset"]
    assert "experiment_ids" not in got and "schema" not in got  # lazily loaded by the client, schema comes with data
    assert v3.delete(f"datasets/{made['dataset_id']}").status_code == 200
    assert_error(v3.get(f"datasets/{made['dataset_id']}"), 404, "RESOURCE_DOES_NOT_EXIST",
                 f"Evaluation dataset with id '{made['dataset_id']}' not found")
    assert v3.delete(f"datasets/{made['dataset_id']}").status_code == 200  # a no-op, as MLflow's


def test_create_checks_its_fields(v3):
    assert_error(v3.post("datasets/create", {}), 400, "INVALID_PARAMETER_VALUE", "'name'")
    assert_error(v3.post("datasets/create", {"name": "x", "tags": "{not json"}), 400, "INVALID_PARAMETER_VALUE",
                 "'tags'")
    assert_error(v3.post("datasets/create", {"name": "x", "experiment_ids": ["424242"]}), 404,
                 "RESOURCE_DOES_NOT_EXIST", "No Experiment with id=424242")


def test_records_upsert_by_inputs_and_page_with_a_cursor(v3):
    dataset_id = _create(v3)["dataset_id"]
    records = [{"inputs": {"q": f"question {i}"}, "expectations": {"answer": str(i)},
                "source": {"source_type": "HUMAN", "source_data": {}}, "tags": {"mlflow.user": "bob"}}
               for i in range(3)]
    body = v3.post(f"datasets/{dataset_id}/records", {"records": json.dumps(records)}).json()
    assert body == {"inserted_count": 3, "updated_count": 0}
    assert v3.get(f"datasets/{dataset_id}").json()["dataset"]["last_updated_by"] == "bob"
    again = [{"inputs": {"q": "question 0"}, "outputs": "forty-two", "expectations": {"score": 1}}]
    body = v3.post(f"datasets/{dataset_id}/records", {"records": json.dumps(again)}).json()
    assert body == {"inserted_count": 0, "updated_count": 1}
    dataset = v3.get(f"datasets/{dataset_id}").json()["dataset"]
    assert json.loads(dataset["profile"]) == {"num_records": 3}
    assert json.loads(dataset["schema"]) == {"inputs": {"q": "string"}, "outputs": "string",
                                             "expectations": {"answer": "string", "score": "integer"},
                                             "version": "1.0"}
    assert "last_updated_by" not in dataset  # MLflow's too: an upsert without mlflow.user tags clears it

    first = v3.get(f"datasets/{dataset_id}/records", max_results=2).json()
    page = json.loads(first["records"])
    assert len(page) == 2 and base64.b64decode(first["next_page_token"]).decode().count(":") == 1
    rest = v3.get(f"datasets/{dataset_id}/records", max_results=2, page_token=first["next_page_token"]).json()
    assert "next_page_token" not in rest
    by_question = {r["inputs"]["q"]: r for r in page + json.loads(rest["records"])}
    merged = by_question["question 0"]
    assert (merged["outputs"], merged["expectations"]) == ("forty-two", {"answer": "0", "score": 1})
    assert (merged["source"], merged["source_type"], merged["created_by"]) == (
        {"source_type": "HUMAN", "source_data": {}}, "HUMAN", "bob")
    assert merged["dataset_record_id"].startswith("dr-")

    gone = [by_question["question 1"]["dataset_record_id"]]
    assert v3.delete(f"datasets/{dataset_id}/records", {"dataset_record_ids": gone}).json() == {"deleted_count": 1}
    assert len(json.loads(v3.get(f"datasets/{dataset_id}/records").json()["records"])) == 2


def test_upsert_needs_a_list_of_records_of_an_existing_dataset(v3):
    dataset_id = _create(v3)["dataset_id"]
    assert_error(v3.post(f"datasets/{dataset_id}/records", {}), 400, "INVALID_PARAMETER_VALUE", "'records'")
    assert_error(v3.post(f"datasets/{dataset_id}/records", {"records": '{"inputs": {}}'}), 400,
                 "INVALID_PARAMETER_VALUE", "list of record objects")
    assert_error(v3.post("datasets/d-missing/records", {"records": "[]"}), 404, "RESOURCE_DOES_NOT_EXIST")


def test_tags_set_merge_and_delete(v3):
    dataset_id = _create(v3, tags=json.dumps({"a": "1"}))["dataset_id"]
    assert v3.patch(f"datasets/{dataset_id}/tags", {"tags": json.dumps({"b": "2", "a": None})}).status_code == 200
    assert json.loads(v3.get(f"datasets/{dataset_id}").json()["dataset"]["tags"]) == {"a": "1", "b": "2"}
    assert v3.delete(f"datasets/{dataset_id}/tags/a").status_code == 200
    assert v3.delete(f"datasets/{dataset_id}/tags/a").status_code == 200  # idempotent
    assert json.loads(v3.get(f"datasets/{dataset_id}").json()["dataset"]["tags"]) == {"b": "2"}
    assert_error(v3.patch("datasets/d-missing/tags", {"tags": "{}"}), 404, "RESOURCE_DOES_NOT_EXIST",
                 "Could not find evaluation dataset with ID d-missing")


def test_experiment_association(v3, experiment, default_experiment):
    dataset_id = _create(v3)["dataset_id"]
    assert v3.get(f"datasets/{dataset_id}/experiment-ids").json() == {"experiment_ids": []}
    ids = [str(default_experiment.pk), str(experiment.pk)]
    assert v3.post(f"datasets/{dataset_id}/add-experiments", {"experiment_ids": ids}).status_code == 200
    assert v3.get(f"datasets/{dataset_id}/experiment-ids").json()["experiment_ids"] == ids
    body = v3.post(f"datasets/{dataset_id}/remove-experiments", {"experiment_ids": ["0", "999"]})
    assert body.json()["dataset"]["dataset_id"] == dataset_id
    assert v3.get(f"datasets/{dataset_id}/experiment-ids").json()["experiment_ids"] == [str(experiment.pk)]
    assert_error(v3.post(f"datasets/{dataset_id}/add-experiments", {"experiment_ids": ["999"]}), 404,
                 "RESOURCE_DOES_NOT_EXIST", "No Experiment with id=999")


def test_search_filters_orders_and_pages(v3, experiment, django_assert_max_num_queries):
    made = {name: _create(v3, name=name, tags=json.dumps({"env": env}),
                          experiment_ids=[str(experiment.pk)] if env == "prod" else [])["dataset_id"]
            for name, env in (("qa_1", "prod"), ("qa_2", "dev"), ("chat", "prod"))}

    def names(**body):
        response = v3.post("datasets/search", body)
        assert response.status_code == 200, response.json()
        return [d["name"] for d in response.json().get("datasets", [])]

    assert names() == ["chat", "qa_2", "qa_1"]  # newest first
    assert names(filter_string="name LIKE 'qa_%'", order_by=["name ASC"]) == ["qa_1", "qa_2"]
    assert names(filter_string="tags.env = 'prod'", order_by=["name DESC"]) == ["qa_1", "chat"]
    assert names(experiment_ids=[str(experiment.pk)], order_by=["name"]) == ["chat", "qa_1"]
    first = v3.post("datasets/search", {"max_results": 2}).json()
    second = v3.post("datasets/search", {"max_results": 2, "page_token": first["next_page_token"]}).json()
    assert [d["dataset_id"] for d in first["datasets"] + second["datasets"]] == [
        made["chat"], made["qa_2"], made["qa_1"]]
    with django_assert_max_num_queries(4):  # token, token use, datasets page, their tags
        assert len(v3.post("datasets/search", {}).json()["datasets"]) == 3
    assert_error(v3.post("datasets/search", {"filter_string": "bogus = 1"}), 400, "INVALID_PARAMETER_VALUE")


def test_datasets_need_a_signed_in_account(client, settings):
    settings.REGISTRY_ALLOW_ANONYMOUS = True
    anonymous = MlflowApi(client, None, prefix="/api/3.0/mlflow/")
    assert_error(anonymous.post("datasets/create", {"name": "x"}), 401, "UNAUTHENTICATED")
    assert_error(anonymous.post("datasets/search", {}), 401, "UNAUTHENTICATED")


@pytest.mark.parametrize("records", [
    json.dumps([{"inputs": "not an object"}]),
    json.dumps([{"inputs": {"q": "nul \u0000 byte"}}]),
    json.dumps([{"inputs": {"q": 1}, "source": {"source_type": "ALIEN"}}]),
    json.dumps([{"inputs": {"q": 1}, "source": {"source_type": "CODE", "source_data": {"source_id": "x" * 300}}}]),
    json.dumps([{"inputs": {"q": 1}, "tags": ["a"]}]),
    json.dumps([1, 2]),
    "[" * 5000 + "]" * 5000,
])
def test_hostile_records_are_refused_with_a_4xx_and_write_nothing(v3, records):
    dataset_id = _create(v3)["dataset_id"]
    response = v3.post(f"datasets/{dataset_id}/records", {"records": records})
    assert 400 <= response.status_code < 500, response.content
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert json.loads(v3.get(f"datasets/{dataset_id}/records").json()["records"]) == []


def test_hostile_names_and_tags_are_refused(v3):
    assert_error(v3.post("datasets/create", {"name": "n" * 256}), 400, "INVALID_PARAMETER_VALUE", "'name'")
    assert_error(v3.post("datasets/create", {"name": "x", "tags": json.dumps({"k" * 300: "v"})}), 400,
                 "INVALID_PARAMETER_VALUE")
    assert_error(v3.post("datasets/create", {"name": "x", "tags": json.dumps(["a"])}), 400,
                 "INVALID_PARAMETER_VALUE", "'tags'")
    assert_error(v3.post("datasets/create", {"name": "x", "experiment_ids": ["abc"]}), 400,
                 "INVALID_PARAMETER_VALUE")


def test_a_body_nested_too_deep_is_a_400(v3):
    response = v3.post("datasets/create", '{"name": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "nested too deeply")
