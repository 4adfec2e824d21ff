"""The stock client's own search calls against a live server: what MLflow's server would find, found here."""
import pytest
from mlflow.entities.model_registry import ModelVersionTag, RegisteredModelTag
from mlflow.exceptions import MlflowException

from .test_mlflow_client import tracking  # noqa: F401  (the live-server client fixture)

pytestmark = pytest.mark.mlflow_client


def test_the_clients_searches_find_ordinary_models_and_leave_prompts_out(tracking):  # noqa: F811
    tracking.create_registered_model("iris_classifier")
    tracking.create_model_version("iris_classifier", "mlflow-artifacts:/0/models/a/artifacts")
    tracking.create_registered_model("house_prices", tags={"team": "ds"})
    # A prompt as register_prompt writes one (its REST store calls, with a source this registry holds).
    store = tracking._get_registry_client().store
    store.create_registered_model("summarise", tags=[RegisteredModelTag("mlflow.prompt.is_prompt", "true")])
    store.create_model_version("summarise", "mlflow-artifacts:/0/prompts/summarise",
                               tags=[ModelVersionTag("mlflow.prompt.is_prompt", "true")])

    # The client adds tag.`mlflow.prompt.is_prompt` != 'true' to every registered-model search.
    assert [m.name for m in tracking.search_registered_models()] == ["house_prices", "iris_classifier"]
    assert [m.name for m in tracking.search_registered_models("name LIKE 'iris%'")] == ["iris_classifier"]
    assert [m.name for m in tracking.search_registered_models("tags.team = 'ds'")] == ["house_prices"]
    assert [(v.name, v.version) for v in tracking.search_model_versions()] == [("iris_classifier", "1")]
    assert [v.name for v in tracking.search_model_versions("name = 'iris_classifier'")] == ["iris_classifier"]
    # Asking for prompts finds them, as on MLflow's server.
    prompts = tracking.search_registered_models("tags.`mlflow.prompt.is_prompt` = 'true'")
    assert [m.name for m in prompts] == ["summarise"]


def test_the_client_finds_runs_by_missing_and_present_tags(tracking):  # noqa: F811
    experiment_id = tracking.create_experiment("presence")
    tagged = tracking.create_run(experiment_id, tags={"team": "ds"}).info.run_id
    bare = tracking.create_run(experiment_id).info.run_id
    found = lambda text: {r.info.run_id for r in tracking.search_runs([experiment_id], text)}  # noqa: E731
    assert found("tags.team IS NULL") == {bare}
    assert found("tags.team IS NOT NULL") == {tagged}
    assert found("tags.team != 'ml'") == {tagged}
    with pytest.raises(MlflowException) as error:
        tracking.search_runs([experiment_id], "metrics.loss IS NULL")
    assert error.value.error_code == "INVALID_PARAMETER_VALUE"
