"""Demo-like registry data for page tests, written through the services as an MLflow client would."""
from dataclasses import dataclass, field
from io import BytesIO

from models_app.choices import EntryPoint, RunStatus
from models_app.models import Experiment, ModelVersion, RegisteredModel, Run
from models_app.models.base import now_ms
from models_app.services.artifacts import artifact_uri_to_path, artifact_write
from models_app.services.experiments import experiment_create
from models_app.services.registry import model_version_create, registered_model_create
from models_app.services.runs import DatasetInput, MetricPoint, run_create, run_log_batch, run_log_inputs, run_update
from models_app.services.stages import model_version_transition_stage, registered_model_alias_set

ENTRY = EntryPoint.SYSTEM
IRIS_DATASET = DatasetInput(name="iris", digest="4f1c2a9e", source_type="code", source='{"uri": "sklearn"}')
MLMODEL = b"flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n"


@dataclass
class DemoRegistry:
    experiment: Experiment
    model: RegisteredModel
    runs: list[Run] = field(default_factory=list)
    versions: list[ModelVersion] = field(default_factory=list)


def demo_run(experiment: Experiment, *, actor, name: str, accuracy: float, params: dict, steps: int = 5,
             parent: Run | None = None) -> Run:
    """A finished run with a metric history over `steps` steps, params, and a model folder of artifacts."""
    tags = [("mlflow.parentRunId", parent.pk)] if parent else []
    run = run_create(experiment=experiment, actor=actor, user_id=actor.get_username(), run_name=name, tags=tags)
    points = [MetricPoint(key="accuracy", value=accuracy * (step + 1) / steps, timestamp=now_ms() + step,
                          step=step) for step in range(steps)]
    points.append(MetricPoint(key="loss", value=1 - accuracy, timestamp=now_ms(), step=0))
    run_log_batch(actor=None, run=run, metrics=points, params=list(params.items()))
    run_log_inputs(actor=None, run=run, inputs=[IRIS_DATASET])
    root = artifact_uri_to_path(run.artifact_uri)
    artifact_write(path=f"{root}/model/MLmodel", stream=BytesIO(MLMODEL), actor=actor)
    artifact_write(path=f"{root}/model/model.pkl", stream=BytesIO(b"pickled-bytes"), actor=actor)
    run_update(actor=None, run=run, status=RunStatus.FINISHED, end_time=now_ms())
    return run


def demo_registry(*, actor, model_name: str = "iris_classifier", versions: int = 2) -> DemoRegistry:
    """An experiment, one run per version (the second a child of the first), version 1 in Production @champion."""
    experiment = experiment_create(name=f"{model_name} experiment", actor=actor, entry_point=ENTRY)
    model = registered_model_create(name=model_name, actor=actor, entry_point=ENTRY,
                                    description="Random forest on iris.", tags=[("team", "data_science")])
    demo = DemoRegistry(experiment=experiment, model=model)
    for number in range(versions):
        run = demo_run(experiment, actor=actor, name=f"train-{number + 1}", accuracy=0.9 + number / 100,
                       params={"n_estimators": str(100 + 10 * number), "max_depth": "5"},
                       parent=demo.runs[0] if demo.runs else None)
        demo.runs.append(run)
        demo.versions.append(model_version_create(name=model_name, source=f"{run.artifact_uri}/model", actor=actor,
                                                  entry_point=ENTRY, run_id=run.pk, tags=[("validated", "yes")]))
    model_version_transition_stage(version=demo.versions[0], to_stage="Production", actor=actor, entry_point=ENTRY)
    registered_model_alias_set(registered_model=model, alias="champion", version_number=1, actor=actor,
                               entry_point=ENTRY)
    return demo
