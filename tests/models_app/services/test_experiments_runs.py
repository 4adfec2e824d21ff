import pytest

from models_app.choices import AuditAction, EntryPoint, LifecycleStage, RunStatus
from models_app.exceptions import AlreadyExists, InvalidParameter
from models_app.models import AuditEvent, Dataset, Experiment, Run, RunInput, RunOutput, RunTag
from models_app.services.experiments import experiment_create, experiment_delete, experiment_restore
from models_app.services.runs import (
    DatasetInput,
    MetricPoint,
    run_create,
    run_delete,
    run_log_batch,
    run_log_inputs,
    run_log_outputs,
    run_restore,
    run_update,
)
from tests.models_app.factories import ExperimentFactory, RunFactory

pytestmark = pytest.mark.django_db
SYSTEM = {"actor": None, "entry_point": EntryPoint.SYSTEM}


def _run_name_tag(run):
    return RunTag.objects.filter(run=run, key="mlflow.runName").values_list("value", flat=True).first()


def test_it_creates_an_experiment_with_its_artifact_location_tags_and_audit(owner):
    experiment = experiment_create(name="churn", actor=owner, entry_point=EntryPoint.MLFLOW_API,
                                   tags=[("team", "growth")])

    assert experiment.artifact_location == f"mlflow-artifacts:/{experiment.pk}"
    assert experiment.created_by == owner
    assert list(experiment.tags.values_list("key", "value")) == [("team", "growth")]
    assert AuditEvent.objects.filter(action=AuditAction.EXPERIMENT_CREATED, object_id=str(experiment.pk)).exists()


def test_it_refuses_a_duplicate_experiment_name():
    experiment_create(name="churn", **SYSTEM)

    with pytest.raises(AlreadyExists, match=r"Experiment\(name=churn\) already exists."):
        experiment_create(name="churn", **SYSTEM)
    assert Experiment.objects.filter(name="churn").count() == 1


def test_it_has_the_default_experiment_after_migrations():
    default = Experiment.objects.get(pk=0)

    assert (default.name, default.lifecycle_stage) == ("Default", LifecycleStage.ACTIVE)


def test_it_soft_deletes_and_restores_an_experiment_with_its_runs():
    run = RunFactory()
    experiment = run.experiment

    experiment_delete(experiment=experiment, **SYSTEM)
    run.refresh_from_db()
    assert (experiment.lifecycle_stage, run.lifecycle_stage) == (LifecycleStage.DELETED, LifecycleStage.DELETED)

    experiment_restore(experiment=experiment, **SYSTEM)
    run.refresh_from_db()
    assert Experiment.objects.get(pk=experiment.pk).lifecycle_stage == LifecycleStage.ACTIVE
    assert run.lifecycle_stage == LifecycleStage.ACTIVE
    actions = list(AuditEvent.objects.filter(object_type="experiment").values_list("action", flat=True))
    assert actions == [AuditAction.EXPERIMENT_DELETED, AuditAction.EXPERIMENT_RESTORED]


def test_it_refuses_to_delete_the_default_experiment():
    with pytest.raises(InvalidParameter, match="Cannot delete the default experiment '0'"):
        experiment_delete(experiment=Experiment.objects.get(pk=0), **SYSTEM)
    assert Experiment.objects.get(pk=0).lifecycle_stage == LifecycleStage.ACTIVE


def test_it_refuses_to_restore_an_active_experiment():
    experiment = ExperimentFactory()

    with pytest.raises(InvalidParameter, match=f"Cannot restore an active experiment \\({experiment.pk}\\)"):
        experiment_restore(experiment=experiment, **SYSTEM)


def test_it_creates_a_run_named_by_the_run_name_tag():
    experiment = ExperimentFactory()

    run = run_create(experiment=experiment, actor=None, tags=[("mlflow.runName", "baseline")], start_time=5)

    assert (run.name, run.start_time, run.status) == ("baseline", 5, RunStatus.RUNNING)
    assert run.artifact_uri == f"{experiment.artifact_location}/{run.run_uuid}/artifacts"
    assert _run_name_tag(run) == "baseline"


def test_it_writes_the_run_name_tag_when_a_run_is_created_with_a_name():
    run = run_create(experiment=ExperimentFactory(), actor=None, run_name="baseline")

    assert _run_name_tag(Run.objects.get(pk=run.pk)) == "baseline"


def test_it_refuses_to_create_a_run_in_a_deleted_experiment():
    experiment = ExperimentFactory(lifecycle_stage=LifecycleStage.DELETED)

    with pytest.raises(InvalidParameter, match=f"The experiment {experiment.pk} must be in the 'active' state"):
        run_create(experiment=experiment, actor=None)


def test_it_updates_status_end_time_and_name_of_a_run():
    run = RunFactory()

    run_update(actor=None, run=run, status=RunStatus.FINISHED, end_time=99, run_name="renamed")

    stored = Run.objects.get(pk=run.pk)
    assert (stored.status, stored.end_time, stored.name) == (RunStatus.FINISHED, 99, "renamed")
    assert _run_name_tag(stored) == "renamed"


def test_it_renames_a_run_when_the_run_name_tag_is_set():
    run = RunFactory(name="before")

    run_log_batch(actor=None, run=run, tags=[("mlflow.runName", "after")])

    assert Run.objects.get(pk=run.pk).name == "after"


def test_it_refuses_an_unknown_run_status():
    with pytest.raises(InvalidParameter, match="Invalid run status 'DONE'"):
        run_update(actor=None, run=RunFactory(), status="DONE")


def test_it_soft_deletes_and_restores_a_run_with_audit():
    run = RunFactory()

    run_delete(run=run, **SYSTEM)
    assert (run.lifecycle_stage, run.deleted_time is not None) == (LifecycleStage.DELETED, True)
    run_restore(run=run, **SYSTEM)

    stored = Run.objects.get(pk=run.pk)
    assert (stored.lifecycle_stage, stored.deleted_time) == (LifecycleStage.ACTIVE, None)
    actions = list(AuditEvent.objects.filter(object_id=run.pk).values_list("action", flat=True))
    assert actions == [AuditAction.RUN_DELETED, AuditAction.RUN_RESTORED]


@pytest.mark.parametrize("write", [
    lambda run: run_log_batch(actor=None, run=run, metrics=[MetricPoint(key="loss", value=1.0, timestamp=1)]),
    lambda run: run_log_batch(actor=None, run=run, params=[("alpha", "1")]),
    lambda run: run_update(actor=None, run=run, status=RunStatus.FINISHED),
    lambda run: run_log_inputs(actor=None,
                               run=run, inputs=[DatasetInput(name="d", digest="x", source_type="s", source="s")]),
    lambda run: run_log_outputs(actor=None, run=run, outputs=[("m-1", 0)]),
], ids=["metrics", "params", "update", "inputs", "outputs"])
def test_it_refuses_writes_to_a_deleted_run(write):
    run = RunFactory()
    run_delete(run=run, **SYSTEM)

    with pytest.raises(InvalidParameter, match=f"The run {run.pk} must be in the 'active' state"):
        write(run)
    assert Run.objects.get(pk=run.pk).status == RunStatus.RUNNING


def test_it_logs_dataset_inputs_once_per_dataset():
    run = RunFactory()
    other_run = RunFactory(experiment=run.experiment)
    dataset = DatasetInput(name="train", digest="abc123", source_type="local", source="/data/train.csv",
                           tags=(("mlflow.data.context", "training"),))

    run_log_inputs(actor=None, run=run, inputs=[dataset])
    run_log_inputs(actor=None, run=run, inputs=[dataset])
    run_log_inputs(actor=None, run=other_run, inputs=[dataset])

    stored = Dataset.objects.get()
    assert (stored.name, stored.digest, stored.source) == ("train", "abc123", "/data/train.csv")
    assert RunInput.objects.filter(dataset=stored).count() == 2
    assert RunInput.objects.get(run=run).tags == [{"key": "mlflow.data.context", "value": "training"}]


def test_it_logs_run_outputs_once_per_model():
    run = RunFactory()

    run_log_outputs(actor=None, run=run, outputs=[("m-a", 1), ("m-b", 2)])
    run_log_outputs(actor=None, run=run, outputs=[("m-a", 1)])

    assert sorted(RunOutput.objects.filter(run=run).values_list("model_id", "step")) == [("m-a", 1), ("m-b", 2)]


@pytest.mark.parametrize(("write", "field"), [
    (lambda: run_create(experiment=ExperimentFactory(), actor=None, run_name="n" * 251), "run_name"),
    (lambda: run_update(actor=None, run=RunFactory(), run_name="n" * 251), "run_name"),
    (lambda: run_log_batch(actor=None, run=RunFactory(), tags=[("mlflow.runName", "n" * 251)]), "run_name"),
    (lambda: run_log_inputs(actor=None, run=RunFactory(), inputs=[
        DatasetInput(name="d", digest="x" * 37, source_type="local", source="s")]), "dataset digest"),
    (lambda: run_log_inputs(actor=None, run=RunFactory(), inputs=[
        DatasetInput(name="d" * 501, digest="x", source_type="local", source="s")]), "dataset name"),
    (lambda: run_log_inputs(actor=None, run=RunFactory(), inputs=[
        DatasetInput(name="d", digest="x", source_type="s" * 37, source="s")]), "dataset source_type"),
    (lambda: run_log_outputs(actor=None, run=RunFactory(), outputs=[("m" * 65, 0)]), "model_id"),
], ids=["create-name", "update-name", "tag-name", "digest", "dataset-name", "source-type", "output-model-id"])
def test_it_refuses_values_longer_than_their_column_with_a_message_naming_the_field(write, field):
    with pytest.raises(InvalidParameter, match=f"Parameter '{field}' is longer than"):
        write()
    assert not RunTag.objects.filter(key="mlflow.runName").exists()
    assert not Dataset.objects.exists() and not RunOutput.objects.exists()
