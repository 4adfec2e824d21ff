"""The two seed articles, run unchanged as scripts against a live server, configured by environment only."""
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from models_app.choices import EntryPoint, Stage
from models_app.governance import current_governance
from models_app.models import ModelVersion
from models_app.selectors.registry import model_version_by_alias, model_version_get, registered_model_get
from models_app.services.tokens import api_token_create

from .processes import PROJECT_ROOT, child_env

pytestmark = pytest.mark.mlflow_client

EXAMPLES = PROJECT_ROOT / "docs" / "examples"
SCRIPT_TIMEOUT_SECONDS = 120


@pytest.fixture
def script_env(live_server, transactional_db, owner, default_experiment, tmp_path) -> dict:
    raw, _token = api_token_create(user=owner, name="seed script", entry_point=EntryPoint.COMMAND)
    return child_env(
        MLFLOW_TRACKING_URI=live_server.url,
        MLFLOW_TRACKING_TOKEN=raw,
        # log_model infers pip requirements by loading the model in yet another interpreter; the fallback
        # list is as good for these tests and saves several seconds per model.
        MLFLOW_REQUIREMENTS_INFERENCE_TIMEOUT="1",
        HOME=str(tmp_path),
    )


def run_scripts_side_by_side(names: list[str], env: dict, cwd: Path) -> dict[str, str]:
    """Start every script at once (two clients on one server, and half the wall time); their stdout by name.

    Output goes to files, not pipes: a full pipe would stall one script while the other is awaited.
    """
    processes = {}
    try:
        for name in names:
            with (cwd / f"{name}.out").open("w") as out, (cwd / f"{name}.err").open("w") as err:
                processes[name] = subprocess.Popen([sys.executable, str(EXAMPLES / name)], env=env, cwd=cwd,
                                                   stdout=out, stderr=err)
        for name, process in processes.items():
            process.wait(timeout=SCRIPT_TIMEOUT_SECONDS)
            stderr = (cwd / f"{name}.err").read_text()
            assert process.returncode == 0, f"{name} exited {process.returncode}\n--- stderr ---\n{stderr[-6000:]}"
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    return {name: (cwd / f"{name}.out").read_text() for name in names}


def version_tags(version: ModelVersion) -> dict:
    return {tag.key: tag.value for tag in version.tags.all()}


def assert_iris_rolled_back(stdout: str) -> None:
    model = registered_model_get(name="iris_classifier")
    versions = {v.version: v for v in ModelVersion.objects.filter(registered_model=model)}
    assert sorted(versions) == [1, 2]
    assert (versions[1].stage, versions[2].stage) == (Stage.PRODUCTION, Stage.ARCHIVED)
    assert model_version_get(name="iris_classifier", version="Production").version == 1
    assert versions[1].description == "Random Forest trained on Iris dataset. Achieves 96% accuracy on test set."
    assert version_tags(versions[1]) == {"team": "data_science", "approved_by": "jane.doe@example.com"}
    assert (versions[2].description, version_tags(versions[2])) == ("", {})
    assert versions[1].run.experiment.name == "Iris Classification"
    assert versions[2].run.experiment.name == "Iris Classification - Production Pipeline"
    assert "Promoted version 2 to Production!" in stdout
    assert "Rolled back: version 1 is in Production" in stdout


def assert_house_champion_in_production(stdout: str) -> None:
    model = registered_model_get(name="HousePricePredictor")
    versions = {v.version: v for v in ModelVersion.objects.filter(registered_model=model)}
    assert sorted(versions) == [1, 2]
    production = [number for number, version in versions.items() if version.stage == Stage.PRODUCTION]
    assert len(production) == 1
    promoted = production[0]
    # The script prints which version it promoted; the registry must agree, and the alias must follow it.
    assert f"Version {promoted} transitioned to Production." in stdout
    assert model_version_by_alias(name="HousePricePredictor", alias="champion").version == promoted
    assert all(versions[number].stage == Stage.NONE for number in versions if number != promoted)
    assert {versions[n].run.experiment_id for n in versions} == {0}
    assert {versions[n].run.name for n in versions} == {"Linear_Regression_V1", "Linear_Regression_V2"}


def test_it_runs_both_seed_scripts_unchanged_and_leaves_the_registry_they_describe(script_env, tmp_path):
    outputs = run_scripts_side_by_side(["iris_workflow.py", "house_prices_workflow.py"], script_env, tmp_path)

    assert_iris_rolled_back(outputs["iris_workflow.py"])
    assert_house_champion_in_production(outputs["house_prices_workflow.py"])


def test_they_run_unchanged_against_the_demo_data_of_make_run(script_env, tmp_path):
    # The demo governs wine_classifier, not the articles' models: their scripts promote as they do elsewhere.
    # They run as the demo's alice, with the grants the demo gives her (admin created the models and experiments).
    call_command("seed_demo", stdout=io.StringIO())
    alice = get_user_model().objects.get(username="alice")
    raw, _token = api_token_create(user=alice, name="seed script", entry_point=EntryPoint.COMMAND)

    outputs = run_scripts_side_by_side(["iris_workflow.py", "house_prices_workflow.py"],
                                       {**script_env, "MLFLOW_TRACKING_TOKEN": raw}, tmp_path)

    promoted = int(re.search(r"Promoted version (\d+) to Production!", outputs["iris_workflow.py"])[1])
    assert promoted > 2  # after the demo's two versions
    rolled_back_to = int(re.search(r"Rolled back: version (\d+) is in Production", outputs["iris_workflow.py"])[1])
    assert model_version_get(name="iris_classifier", version="Production").version == rolled_back_to
    assert model_version_get(name="iris_classifier", version=str(promoted)).stage == Stage.ARCHIVED
    house_output = outputs["house_prices_workflow.py"]
    promoted_house = int(re.search(r"Version (\d+) transitioned to Production.", house_output)[1])
    assert model_version_by_alias(name="HousePricePredictor", alias="champion").version == promoted_house
    wine = registered_model_get(name="wine_classifier")
    assert current_governance().pending_review_counts([wine]) == {wine.pk: 1}  # the demo's request still waits
