"""registered-models/* messages, aliases included."""
import pytest

from models_app.models import RegisteredModel

from .conftest import assert_error

pytestmark = pytest.mark.django_db


def _transition(api, version: str, stage: str):
    return api.post("model-versions/transition-stage",
                    {"name": "iris_classifier", "version": version, "stage": stage, "archive_existing_versions": False})


def test_it_creates_a_registered_model(api):
    body = api.post("registered-models/create", {"name": "iris", "description": "d"}).json()["registered_model"]
    assert (body["name"], body["description"]) == ("iris", "d")
    assert isinstance(body["creation_timestamp"], int)


def test_it_refuses_a_duplicate_name_with_already_exists(api, registered_model):
    response = api.post("registered-models/create", {"name": "iris_classifier"})
    assert_error(response, 400, "RESOURCE_ALREADY_EXISTS", "Registered Model (name=iris_classifier) already exists.")


@pytest.mark.parametrize(("name", "message"), [
    ("team/iris", "Invalid model name 'team/iris'. Names cannot contain '/' or ':'."),
    ("iris:v2", "Invalid model name 'iris:v2'. Names cannot contain '/' or ':'."),
    ("..", "Invalid model name '..'. A name cannot be only dots."),
    (" ", "Missing value for required parameter"),
])
def test_it_refuses_names_that_model_uris_and_addresses_cannot_hold(api, registered_model, name, message):
    create = api.post("registered-models/create", {"name": name})
    rename = api.post("registered-models/rename", {"name": "iris_classifier", "new_name": name})
    for response in (create, rename):
        assert_error(response, 400, "INVALID_PARAMETER_VALUE", message)
    assert not RegisteredModel.objects.filter(name=name).exists()


def test_it_answers_an_unknown_model_with_404(api):
    assert_error(api.get("registered-models/get", name="nope"), 404, "RESOURCE_DOES_NOT_EXIST", "name=nope")
    assert_error(api.delete("registered-models/delete", {"name": "nope"}), 404, "RESOURCE_DOES_NOT_EXIST")
    assert_error(api.post("registered-models/get-latest-versions", {"name": "nope"}), 404, "RESOURCE_DOES_NOT_EXIST")


def test_get_lists_the_latest_version_per_stage_tags_and_aliases(api, registered_model):
    _transition(api, "1", "Production")
    api.post("registered-models/set-tag", {"name": "iris_classifier", "key": "team", "value": "ds"})
    api.post("registered-models/alias", {"name": "iris_classifier", "alias": "champion", "version": "1"})
    body = api.get("registered-models/get", name="iris_classifier").json()["registered_model"]
    assert {v["current_stage"]: v["version"] for v in body["latest_versions"]} == {"None": "2", "Production": "1"}
    assert body["tags"] == [{"key": "team", "value": "ds"}]
    assert body["aliases"] == [{"alias": "champion", "version": "1"}]


def test_it_renames_updates_and_deletes(api, registered_model):
    renamed = api.post("registered-models/rename", {"name": "iris_classifier", "new_name": "iris2"}).json()
    assert renamed["registered_model"]["name"] == "iris2"
    updated = api.patch("registered-models/update", {"name": "iris2", "description": "new"}).json()
    assert updated["registered_model"]["description"] == "new"
    assert api.delete("registered-models/delete", {"name": "iris2"}).status_code == 200
    assert not RegisteredModel.objects.exists()


def test_it_deletes_tags(api, registered_model):
    api.post("registered-models/set-tag", {"name": "iris_classifier", "key": "team", "value": "ds"})
    assert api.delete("registered-models/delete-tag", {"name": "iris_classifier", "key": "team"}).status_code == 200
    response = api.delete("registered-models/delete-tag", {"name": "iris_classifier", "key": "team"})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST", "team")


@pytest.mark.parametrize("method", ["get", "post"])
def test_get_latest_versions_filters_by_stage(api, registered_model, method):
    _transition(api, "1", "Staging")
    if method == "get":
        response = api.get("registered-models/get-latest-versions", name="iris_classifier", stages="staging")
    else:
        response = api.post("registered-models/get-latest-versions", {"name": "iris_classifier", "stages": ["Staging"]})
    assert [v["version"] for v in response.json()["model_versions"]] == ["1"]


def test_get_latest_versions_refuses_an_unknown_stage(api, registered_model):
    response = api.post("registered-models/get-latest-versions", {"name": "iris_classifier", "stages": ["Bogus"]})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "Invalid Model Version stage: Bogus")


def test_it_sets_reads_moves_and_deletes_an_alias(api, registered_model):
    base = {"name": "iris_classifier", "alias": "champion"}
    assert api.post("registered-models/alias", {**base, "version": "1"}).status_code == 200
    assert api.post("registered-models/alias", {**base, "version": "2"}).status_code == 200
    version = api.get("registered-models/alias", **base).json()["model_version"]
    assert (version["version"], version["aliases"]) == ("2", ["champion"])
    assert api.delete("registered-models/alias", base).status_code == 200
    assert_error(api.get("registered-models/alias", **base), 400, "INVALID_PARAMETER_VALUE",
                 "Registered model alias champion not found.")


def test_alias_errors(api, registered_model):
    base = {"name": "iris_classifier"}
    assert_error(api.post("registered-models/alias", {**base, "alias": "latest", "version": "1"}), 400,
                 "INVALID_PARAMETER_VALUE", "reserved")
    assert_error(api.post("registered-models/alias", {**base, "alias": "champion", "version": "9"}), 404,
                 "RESOURCE_DOES_NOT_EXIST", "version=9")
    assert_error(api.get("registered-models/alias", name="nope", alias="champion"), 404, "RESOURCE_DOES_NOT_EXIST")


def test_it_searches_registered_models(api, registered_model):
    found = api.get("registered-models/search", filter="name LIKE 'iris%'").json()["registered_models"]
    assert [m["name"] for m in found] == ["iris_classifier"]
    assert_error(api.get("registered-models/search", filter="nonsense ~ 1"), 400, "INVALID_PARAMETER_VALUE")


def test_search_pages(api, owner):
    for name in ("a", "b", "c"):
        api.post("registered-models/create", {"name": name})
    first = api.get("registered-models/search", max_results=2).json()
    second = api.get("registered-models/search", max_results=2, page_token=first["next_page_token"]).json()
    assert [m["name"] for m in first["registered_models"] + second["registered_models"]] == ["a", "b", "c"]
