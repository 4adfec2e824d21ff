import pytest

from models_app.choices import EntryPoint
from models_app.services import evaluation_datasets, experiments, logged_models, registry, runs, stages
from models_app.services.tokens import api_token_create

NATIVE = {"entry_point": EntryPoint.NATIVE_API}


def _run_with_everything(experiment, owner, name: str):
    """A run with params, tags, metrics, a dataset input and a logged model that logs metrics too."""
    run = runs.run_create(experiment=experiment, actor=owner, run_name=name, tags=[("team", "risk")])
    model = logged_models.logged_model_create(actor=None, experiment=experiment, name="model", source_run=run,
                                              params=[("depth", "3")], tags=[("flavor", "sklearn")])
    runs.run_log_batch(actor=None, run=run, params=[("alpha", "0.5")], metrics=[
        runs.MetricPoint(key="rmse", value=1.5, timestamp=1, step=step, model_id=model.pk) for step in range(2)
    ])
    runs.run_log_inputs(actor=None,
                        run=run, inputs=[runs.DatasetInput(name=f"{name}-data", digest="abc", source_type="local",
                                                           source="/data.csv")])
    runs.run_log_outputs(actor=None, run=run, outputs=[(model.pk, 0)])
    runs.run_log_inputs(actor=None, run=run, inputs=[], model_ids=[model.pk])
    dataset = evaluation_datasets.evaluation_dataset_create(name=f"{name}-eval", actor=owner, tags={"k": "v"},
                                                            experiment_ids=[experiment.pk])
    evaluation_datasets.evaluation_dataset_upsert_records(dataset=dataset, records=[{"inputs": {"q": name}}])
    return run, model


@pytest.fixture
def registry_rows(owner):
    """At least two rows of every registry model, written through the services."""
    experiment = experiments.experiment_create(name="fraud-exp", actor=owner,
                                               tags=[("area", "risk"), ("owner", "risk-team")], **NATIVE)
    for model_name in ("fraud", "churn"):
        registry.registered_model_create(name=model_name, actor=owner, tags=[("team", "risk")], **NATIVE)
        for run_name in ("first", "second"):
            run, logged_model = _run_with_everything(experiment, owner, f"{model_name}-{run_name}")
            version = registry.model_version_create(name=model_name, source=f"models:/{logged_model.pk}",
                                                    actor=owner, tags=[("k", "v")], **NATIVE)
            stages.model_version_transition_stage(version=version, to_stage="Staging", actor=owner, **NATIVE)
            stages.registered_model_alias_set(registered_model=version.registered_model, alias="champion",
                                              version_number=version.version, actor=owner, **NATIVE)
    for token_name in ("ci", "laptop"):
        api_token_create(user=owner, name=token_name, **NATIVE)
    return experiment
