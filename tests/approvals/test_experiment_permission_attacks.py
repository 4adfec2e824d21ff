"""Invariant 6 on experiments, runs, logged models and artifacts, written as the attacker.

The victim (owner) created experiment 'team-a' with a run that logged accuracy, a logged model with files, and a
registered model whose version 1, stored in the logged model's folder, is in Production. Two attackers: one with no
grants at all (both defaults at nothing), one with what the safe defaults give everyone (CAN_READ and READ).
"""
import io
import json

import pytest

from models_app.choices import EntryPoint, Stage
from models_app.models import LatestMetric, LoggedModelTag, Run, RunTag
from models_app.services.artifacts import artifact_storage, artifact_uri_to_path, artifact_write
from models_app.services.experiments import experiment_create
from models_app.services.logged_models import logged_model_create
from models_app.services.registry import model_version_create, registered_model_create
from models_app.services.runs import MetricPoint, run_create, run_log_batch
from models_app.services.stages import model_version_transition_stage
from models_app.services.tokens import api_token_create
from tests.models_app.mlflow_api.conftest import MlflowApi

pytestmark = pytest.mark.django_db
API = EntryPoint.MLFLOW_API
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture
def victim(owner):
    """team-a's experiment, run (accuracy 0.97), logged model with files, and fraud v1 in Production."""
    experiment = experiment_create(name="team-a", actor=owner, entry_point=API)
    run = run_create(experiment=experiment, actor=owner, run_name="candidate")
    run_log_batch(run=run, actor=owner, metrics=[MetricPoint(key="accuracy", value=0.97, timestamp=1)])
    logged = logged_model_create(experiment=experiment, actor=owner, name="model", source_run=run)
    folder = artifact_uri_to_path(logged.artifact_location)
    for name, content in (("MLmodel", b"flavors: {}\n"), ("model.pkl", b"weights")):
        artifact_write(path=f"{folder}/{name}", stream=io.BytesIO(content), actor=owner)
    registered_model_create(name="fraud", actor=owner, entry_point=API)
    version = model_version_create(name="fraud", source=f"models:/{logged.pk}", actor=owner, entry_point=API)
    model_version_transition_stage(version=version, to_stage=Stage.PRODUCTION, actor=owner, entry_point=API)
    return {"experiment": experiment, "run": run, "logged": logged, "folder": folder}


@pytest.fixture(params=["no_grants", "reader"])
def attacker(request, settings, client, outsider):
    """The attacker's MLflow client; `mode` says which kind of attacker it is."""
    if request.param == "no_grants":
        settings.REGISTRY_DEFAULT_PERMISSION = "NONE"
        settings.REGISTRY_DEFAULT_EXPERIMENT_PERMISSION = "NO_PERMISSIONS"
    raw, _token = api_token_create(user=outsider, name="attack", entry_point=EntryPoint.COMMAND)
    api = MlflowApi(client, raw)
    api.mode = request.param
    api.raw_token = raw
    return api


def _refused(response, mode: str) -> None:
    """Without grants the object does not exist; a reader is told the write needs EDIT."""
    body = response.json()
    if mode == "no_grants":
        assert (response.status_code, body["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST"), body
    else:
        assert (response.status_code, body["error_code"]) == (403, "PERMISSION_DENIED"), body
        assert "needs EDIT" in body["message"] or "needs MANAGE" in body["message"]


def test_nobody_without_edit_forges_a_metric_or_renames_or_tags_the_run(victim, attacker):
    run_id, experiment_id = victim["run"].pk, str(victim["experiment"].pk)
    attempts = [
        ("runs/log-metric", {"run_id": run_id, "key": "accuracy", "value": 0.01, "timestamp": 2, "step": 9}),
        ("runs/log-batch", {"run_id": run_id, "metrics": [{"key": "accuracy", "value": 0.01, "timestamp": 2}]}),
        ("runs/log-parameter", {"run_id": run_id, "key": "forged", "value": "1"}),
        ("runs/set-tag", {"run_id": run_id, "key": "mlflow.runName", "value": "hijacked"}),
        ("runs/update", {"run_id": run_id, "run_name": "hijacked", "status": "KILLED"}),
        ("runs/delete-tag", {"run_id": run_id, "key": "mlflow.runName"}),
        ("runs/delete", {"run_id": run_id}),
        ("runs/log-inputs", {"run_id": run_id, "datasets": [{"dataset": {"name": "d", "digest": "x"}}]}),
        ("experiments/set-experiment-tag", {"experiment_id": experiment_id, "key": "owner", "value": "me"}),
        ("experiments/update", {"experiment_id": experiment_id, "new_name": "mine"}),
        ("experiments/delete", {"experiment_id": experiment_id}),
        ("runs/create", {"experiment_id": experiment_id}),
        ("logged-models", {"experiment_id": experiment_id, "name": "planted"}),
    ]
    for endpoint, body in attempts:
        _refused(attacker.post(endpoint, body), attacker.mode)
    _refused(attacker.patch(f"logged-models/{victim['logged'].pk}/tags", {"tags": [{"key": "k", "value": "v"}]}),
             attacker.mode)
    _refused(attacker.delete(f"logged-models/{victim['logged'].pk}"), attacker.mode)

    assert LatestMetric.objects.get(run=victim["run"], key="accuracy").value == 0.97
    run = Run.objects.get(pk=run_id)
    assert (run.name, run.status, run.lifecycle_stage) == ("candidate", "RUNNING", "active")
    assert not RunTag.objects.filter(run=run, value="hijacked").exists()
    assert not LoggedModelTag.objects.filter(logged_model=victim["logged"], key="k").exists()
    assert Run.objects.filter(experiment=victim["experiment"]).count() == 1


def test_metrics_on_another_teams_logged_model_need_edit_on_its_experiment(victim, attacker, outsider):
    own = experiment_create(name="attacker-exp", actor=outsider, entry_point=API)
    own_run = run_create(experiment=own, actor=outsider)
    point = {"key": "accuracy", "value": 0.01, "timestamp": 2, "model_id": victim["logged"].pk}
    _refused(attacker.post("runs/log-metric", {"run_id": own_run.pk, **point}), attacker.mode)
    _refused(attacker.post("runs/log-batch", {"run_id": own_run.pk, "metrics": [point]}), attacker.mode)
    assert not victim["logged"].metrics.exists()
    # Their own run takes their own metrics.
    assert attacker.post("runs/log-metric", {"run_id": own_run.pk, "key": "loss", "value": 1,
                                             "timestamp": 1}).status_code == 200


def test_without_grants_runs_histories_and_logged_models_do_not_exist(victim, attacker):
    run_id, experiment = victim["run"].pk, victim["experiment"]
    reads = [
        attacker.get("runs/get", run_id=run_id),
        attacker.get("metrics/get-history", run_id=run_id, metric_key="accuracy"),
        attacker.get(f"logged-models/{victim['logged'].pk}"),
        attacker.get("experiments/get", experiment_id=str(experiment.pk)),
        attacker.get("experiments/get-by-name", experiment_name="team-a"),
    ]
    searched_runs = attacker.post("runs/search", {"experiment_ids": [str(experiment.pk)]}).json()
    searched_models = attacker.post("logged-models/search", {"experiment_ids": [str(experiment.pk)]}).json()
    names = [e["name"] for e in attacker.get("experiments/search", max_results=100).json().get("experiments", [])]
    if attacker.mode == "no_grants":
        for response in reads:
            assert (response.status_code, response.json()["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
        assert searched_runs.get("runs", []) == [] and searched_models == {"models": []} and "team-a" not in names
    else:
        assert [response.status_code for response in reads] == [200] * 5
        assert [run["info"]["run_id"] for run in searched_runs["runs"]] == [run_id]
        assert "team-a" in names


def test_artifacts_of_another_teams_production_version_cannot_be_changed_or_deleted(client, victim, attacker):
    headers = {"Authorization": f"Bearer {attacker.raw_token}"}
    folder = victim["folder"]
    experiment_folder = str(victim["experiment"].pk)
    writes = [
        client.delete(f"{ARTIFACTS}/{folder}", headers=headers),
        client.delete(f"{ARTIFACTS}/{experiment_folder}", headers=headers),
        client.put(f"{ARTIFACTS}/{folder}/model.pkl", data=b"evil", content_type="application/octet-stream",
                   headers=headers),
        client.put(f"{ARTIFACTS}/{folder}/extra.txt", data=b"x", content_type="text/plain", headers=headers),
        client.put(f"{ARTIFACTS}/{victim['run'].artifact_uri.split(':/', 1)[1]}/evidence.json", data=b"{}",
                   content_type="application/json", headers=headers),
    ]
    for response in writes:
        assert (response.status_code, response.json()["error_code"]) == (403, "PERMISSION_DENIED"), response.json()
    storage = artifact_storage()
    with storage.open(f"{folder}/model.pkl") as handle:
        assert handle.read() == b"weights"
    assert not storage.exists(f"{folder}/extra.txt")


def test_a_path_that_belongs_to_nothing_takes_no_upload(client, attacker):
    headers = {"Authorization": f"Bearer {attacker.raw_token}"}
    for path in ("999/anything/file.bin", "scratch.txt"):
        response = client.put(f"{ARTIFACTS}/{path}", data=b"x" * 1024, content_type="application/octet-stream",
                              headers=headers)
        assert (response.status_code, response.json()["error_code"]) == (403, "PERMISSION_DENIED")
        assert "belongs to no experiment" in response.json()["message"]
        assert not artifact_storage().exists(path)


def test_artifact_reads_follow_the_owner(client, victim, attacker):
    headers = {"Authorization": f"Bearer {attacker.raw_token}"}
    artifact_storage().save("validation-datasets/holdout.csv", io.BytesIO(b"a,target\n1,0\n"))
    download = client.get(f"{ARTIFACTS}/{victim['folder']}/model.pkl", headers=headers)
    listing = client.get(ARTIFACTS, {"path": victim["folder"]}, headers=headers).json()
    root = [entry["path"] for entry in client.get(ARTIFACTS, headers=headers).json().get("files", [])]
    datasets = client.get(ARTIFACTS, {"path": "validation-datasets"}, headers=headers)
    dataset_file = client.get(f"{ARTIFACTS}/validation-datasets/holdout.csv", headers=headers)
    # The datasets' folder is reserved: nothing in it is served, and the root listing leaves it out.
    assert datasets.status_code in (200, 403) and "files" not in datasets.json()
    assert dataset_file.status_code in (403, 404) and "validation-datasets" not in root
    if attacker.mode == "no_grants":
        assert download.status_code == 404 and listing == {}
        assert str(victim["experiment"].pk) not in root
    else:
        assert download.status_code == 200 and b"".join(download.streaming_content) == b"weights"
        assert [entry["path"] for entry in listing["files"]] == ["MLmodel", "model.pkl"]
        assert str(victim["experiment"].pk) in root


def test_a_version_cannot_copy_another_teams_files_into_a_readable_model(victim, attacker, outsider):
    registered_model_create(name="copycat", actor=outsider, entry_point=API)
    sources = [f"models:/{victim['logged'].pk}", f"mlflow-artifacts:/{victim['folder']}",
               f"runs:/{victim['run'].pk}/model"]
    for source in sources:
        response = attacker.post("model-versions/create", {"name": "copycat", "source": source})
        if attacker.mode == "no_grants":
            assert response.status_code == 404, (source, response.json())
        else:
            assert response.status_code == 200, (source, response.json())


def test_pages_show_only_readable_experiments_and_runs(client, victim, attacker, outsider):
    client.force_login(outsider)
    experiment, run = victim["experiment"], victim["run"]
    listing = client.get("/experiments/").content.decode()
    pages = [client.get(f"/experiments/{experiment.pk}/"), client.get(f"/runs/{run.pk}/"),
             client.get(f"/runs/{run.pk}/artifacts/"),
             client.get(f"/runs/{run.pk}/artifacts/download/", {"path": "x"})]
    compare = client.get("/runs/compare/", {"runs": [run.pk]}).content.decode()
    if attacker.mode == "no_grants":
        assert "team-a" not in listing
        assert [page.status_code for page in pages] == [404] * 4
        assert "candidate" not in compare and "accuracy" not in compare
    else:
        assert "team-a" in listing and pages[0].status_code == 200 and "candidate" in compare


def test_the_filtered_lists_cost_a_fixed_number_of_queries(client, settings, owner, outsider, grant_experiment,
                                                           django_assert_max_num_queries):
    settings.REGISTRY_DEFAULT_EXPERIMENT_PERMISSION = "NO_PERMISSIONS"
    for index in range(12):
        experiment = experiment_create(name=f"exp-{index}", actor=owner, entry_point=API)
        run_create(experiment=experiment, actor=owner)
        if index % 2:
            grant_experiment(experiment, outsider, "READ")
    raw, _token = api_token_create(user=outsider, name="t", entry_point=EntryPoint.COMMAND)
    api = MlflowApi(client, raw)
    with django_assert_max_num_queries(5):  # token, its user, governance-admin group, page, tags
        names = [e["name"] for e in api.get("experiments/search").json()["experiments"]]
    assert sorted(names) == sorted(f"exp-{index}" for index in range(1, 12, 2))
    ids = [str(pk) for pk in range(0, 10_000)][:200]
    with django_assert_max_num_queries(9):
        runs = api.post("runs/search", {"experiment_ids": ids}).json()["runs"]
    assert len(runs) == 6
    client.force_login(outsider)
    with django_assert_max_num_queries(8):
        page = client.get("/experiments/").content.decode()
    assert "exp-1" in page and "exp-2<" not in page and "exp-0" not in page


def test_grants_open_exactly_what_they_say(client, victim, settings, outsider, grant_experiment):
    settings.REGISTRY_DEFAULT_EXPERIMENT_PERMISSION = "NO_PERMISSIONS"
    raw, _token = api_token_create(user=outsider, name="t", entry_point=EntryPoint.COMMAND)
    api = MlflowApi(client, raw)
    grant_experiment(victim["experiment"], outsider, "READ")
    assert api.get("runs/get", run_id=victim["run"].pk).status_code == 200
    _refused(api.post("runs/set-tag", {"run_id": victim["run"].pk, "key": "k", "value": "v"}), "reader")
    grant_experiment(victim["experiment"], outsider, "EDIT")
    assert api.post("runs/set-tag", {"run_id": victim["run"].pk, "key": "k", "value": "v"}).status_code == 200
    refused = api.post("experiments/delete", {"experiment_id": str(victim["experiment"].pk)})
    assert refused.status_code == 403 and "needs MANAGE" in json.loads(refused.content)["message"]


def test_the_permissions_api_answers_managers_only(victim, owner, outsider, settings):
    from rest_framework.test import APIClient

    url = f"/api/v1/experiments/{victim['experiment'].pk}/permissions/"
    attacker = APIClient()
    attacker.force_authenticate(outsider)
    assert attacker.get(url).status_code == 403  # a reader of the experiment, not its manager
    assert attacker.put(url, {"user": "outsider", "level": "MANAGE"}, format="json").status_code == 403
    settings.REGISTRY_DEFAULT_EXPERIMENT_PERMISSION = "NO_PERMISSIONS"
    assert attacker.get(url).status_code == 404
    manager = APIClient()
    manager.force_authenticate(owner)
    granted = manager.put(url, {"user": "outsider", "level": "edit"}, format="json")
    assert granted.status_code == 200
    assert {(row["user"], row["level"]) for row in granted.json()} == {("owner", "MANAGE"), ("outsider", "EDIT")}
    assert manager.put(url, {"user": "outsider", "level": "CAN_FLY"}, format="json").status_code == 400
    removed = manager.put(url, {"user": "outsider", "level": None}, format="json").json()
    assert [(row["user"], row["level"]) for row in removed] == [("owner", "MANAGE")]


def test_a_readable_versions_lineage_hides_an_unreadable_run(victim, settings, outsider, grant_model):
    from rest_framework.test import APIClient

    settings.REGISTRY_DEFAULT_EXPERIMENT_PERMISSION = "NO_PERMISSIONS"
    grant_model(victim["logged"].model_versions.get().registered_model, outsider, "CAN_READ")
    client = APIClient()
    client.force_authenticate(outsider)
    body = client.get("/api/v1/models/fraud/versions/1/").json()
    assert body["lineage"] == {"experiment": None, "run": None, "logged_model": None}
