"""experiments/* messages."""
import pytest

from models_app.models import Experiment

from .conftest import assert_error

pytestmark = pytest.mark.django_db


def test_it_creates_and_reads_an_experiment(api):
    created = api.post("experiments/create", {"name": "Iris", "tags": [{"key": "team", "value": "ds"}]}).json()
    experiment_id = created["experiment_id"]
    assert isinstance(experiment_id, str)
    body = api.get("experiments/get", experiment_id=experiment_id).json()["experiment"]
    assert body["name"] == "Iris"
    assert body["lifecycle_stage"] == "active"
    assert body["artifact_location"] == f"mlflow-artifacts:/{experiment_id}"
    assert body["tags"] == [{"key": "team", "value": "ds"}]
    assert isinstance(body["creation_time"], int)
    by_name = api.get("experiments/get-by-name", experiment_name="Iris").json()["experiment"]
    assert by_name["experiment_id"] == experiment_id


def test_it_refuses_a_duplicate_name(api, experiment):
    response = api.post("experiments/create", {"name": experiment.name})
    assert_error(response, 400, "RESOURCE_ALREADY_EXISTS", experiment.name)


def test_it_answers_unknown_experiments_with_404(api):
    assert_error(api.get("experiments/get", experiment_id="999"), 404, "RESOURCE_DOES_NOT_EXIST", "999")
    assert_error(api.get("experiments/get-by-name", experiment_name="nope"), 404, "RESOURCE_DOES_NOT_EXIST", "nope")


def test_it_names_a_missing_required_field(api):
    assert_error(api.post("experiments/create", {}), 400, "INVALID_PARAMETER_VALUE", "'name'")


def test_it_renames_deletes_and_restores(api, experiment):
    experiment_id = str(experiment.pk)
    assert api.post("experiments/update", {"experiment_id": experiment_id, "new_name": "Renamed"}).status_code == 200
    assert api.post("experiments/delete", {"experiment_id": experiment_id}).status_code == 200
    experiment.refresh_from_db()
    assert (experiment.name, experiment.lifecycle_stage) == ("Renamed", "deleted")
    assert api.post("experiments/restore", {"experiment_id": experiment_id}).status_code == 200
    experiment.refresh_from_db()
    assert experiment.lifecycle_stage == "active"


def test_it_sets_and_deletes_tags(api, experiment):
    body = {"experiment_id": str(experiment.pk), "key": "team", "value": "ds"}
    assert api.post("experiments/set-experiment-tag", body).status_code == 200
    assert list(experiment.tags.values_list("key", "value")) == [("team", "ds")]
    assert api.post("experiments/delete-experiment-tag", {**body, "value": None}).status_code == 200
    assert not experiment.tags.exists()
    response = api.post("experiments/delete-experiment-tag", {"experiment_id": str(experiment.pk), "key": "team"})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST", "team")


@pytest.mark.parametrize("method", ["get", "post"])
def test_it_searches_experiments(api, experiment, default_experiment, method):
    call = getattr(api, method)
    body = call("experiments/search", filter="name = 'Iris Classification'", max_results=10) if method == "get" \
        else call("experiments/search", {"filter": "name = 'Iris Classification'", "max_results": 10})
    assert [e["name"] for e in body.json()["experiments"]] == ["Iris Classification"]


def test_it_pages_experiment_search(api, owner):
    for index in range(3):
        Experiment.objects.create(name=f"exp-{index}")
    first = api.post("experiments/search", {"max_results": 2}).json()
    second = api.post("experiments/search", {"max_results": 2, "page_token": first["next_page_token"]}).json()
    names = [e["name"] for e in first["experiments"] + second["experiments"]]
    assert len(names) == len(set(names)) == Experiment.objects.count()


def test_it_refuses_a_malformed_filter(api):
    response = api.post("experiments/search", {"filter": "name === 'x"})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE")
