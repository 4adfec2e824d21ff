"""model-versions/* messages."""
import pytest

from models_app.models import ModelVersion

from .conftest import assert_error

pytestmark = pytest.mark.django_db
V1 = {"name": "iris_classifier", "version": "1"}


def test_it_creates_a_version_from_a_logged_model(api, run, experiment, registered_model):
    logged = api.post("logged-models", {"experiment_id": str(experiment.pk), "source_run_id": run.pk}).json()
    model_id = logged["model"]["info"]["model_id"]
    body = api.post("model-versions/create",
                    {"name": "iris_classifier", "source": f"models:/{model_id}", "model_id": model_id}).json()
    version = body["model_version"]
    assert (version["version"], version["status"], version["current_stage"]) == ("3", "READY", "None")
    # The run comes from the logged model when the client does not send it (log_model with a registered name).
    assert (version["source"], version["run_id"]) == (f"models:/{model_id}", run.pk)
    uri = api.get("model-versions/get-download-uri", name="iris_classifier", version="3").json()["artifact_uri"]
    assert uri == logged["model"]["info"]["artifact_uri"]


def test_create_answers_an_unknown_model_with_404(api):
    response = api.post("model-versions/create", {"name": "nope", "source": "mlflow-artifacts:/0/x"})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST", "nope")


def test_it_reads_a_version_with_string_version_and_tags(api, registered_model):
    api.post("model-versions/set-tag", {**V1, "key": "team", "value": "ds"})
    version = api.get("model-versions/get", **V1).json()["model_version"]
    assert version["version"] == "1"
    assert version["tags"] == [{"key": "team", "value": "ds"}]
    assert api.delete("model-versions/delete-tag", {**V1, "key": "team"}).status_code == 200
    assert_error(api.delete("model-versions/delete-tag", {**V1, "key": "team"}), 404, "RESOURCE_DOES_NOT_EXIST")


def test_get_answers_the_latest_version_in_a_stage_for_a_stage_name(api, registered_model):
    api.post("model-versions/transition-stage", {**V1, "stage": "production"})
    version = api.get("model-versions/get", name="iris_classifier", version="production").json()["model_version"]
    assert (version["version"], version["current_stage"]) == ("1", "Production")


def test_get_errors(api, registered_model):
    assert_error(api.get("model-versions/get", name="iris_classifier", version="9"), 404, "RESOURCE_DOES_NOT_EXIST",
                 "version=9")
    assert_error(api.get("model-versions/get", name="iris_classifier", version="abc"), 400,
                 "INVALID_PARAMETER_VALUE", "Parameter 'version' must be an integer, got 'abc'.")
    assert_error(api.get("model-versions/get-download-uri", name="iris_classifier", version="9"), 404,
                 "RESOURCE_DOES_NOT_EXIST")


def test_it_transitions_and_archives_existing_versions(api, registered_model):
    api.post("model-versions/transition-stage", {**V1, "stage": "Staging"})
    body = api.post("model-versions/transition-stage", {"name": "iris_classifier", "version": "2", "stage": "Staging",
                                                        "archive_existing_versions": True}).json()
    assert body["model_version"]["current_stage"] == "Staging"
    assert ModelVersion.objects.get(version=1).stage == "Archived"


def test_transition_errors(api, registered_model):
    assert_error(api.post("model-versions/transition-stage", {**V1, "stage": "Bogus"}), 400,
                 "INVALID_PARAMETER_VALUE",
                 "Invalid Model Version stage: Bogus. Value must be one of None, Staging, Production, Archived.")
    response = api.post("model-versions/transition-stage",
                        {**V1, "stage": "Archived", "archive_existing_versions": True})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "archive_existing_versions")


def test_it_updates_and_deletes_a_version(api, registered_model):
    body = api.patch("model-versions/update", {**V1, "description": "baseline"}).json()
    assert body["model_version"]["description"] == "baseline"
    assert api.delete("model-versions/delete", V1).status_code == 200
    assert_error(api.get("model-versions/get", **V1), 404, "RESOURCE_DOES_NOT_EXIST")


def test_it_searches_versions_in_the_default_order(api, registered_model):
    api.post("model-versions/transition-stage", {**V1, "stage": "Production"})
    found = api.get("model-versions/search", filter="name='iris_classifier'", max_results=10000).json()
    assert [v["version"] for v in found["model_versions"]] == ["1", "2"]
    production = api.get("model-versions/search",
                         filter="name='iris_classifier' and current_stage='Production'").json()["model_versions"]
    assert [v["version"] for v in production] == ["1"]
    assert_error(api.get("model-versions/search", filter="name='iris_classifier' and"), 400,
                 "INVALID_PARAMETER_VALUE")
