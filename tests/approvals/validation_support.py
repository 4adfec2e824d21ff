"""Real scikit-learn models and datasets for validation tests: trained here, stored through the registry's services."""
import io
import itertools
import sys
import tempfile
from pathlib import Path

import cloudpickle
import mlflow.pyfunc
import mlflow.sklearn
import pandas as pd
from django.core.files.uploadedfile import SimpleUploadedFile
from mlflow.models import infer_signature
from sklearn.datasets import load_iris
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

from approvals.services import validation_dataset_create
from models_app.choices import EntryPoint
from models_app.models import Experiment
from models_app.services.artifacts import artifact_write
from models_app.services.experiments import experiment_create
from models_app.services.registry import model_version_create
from models_app.services.runs import MetricPoint, run_create, run_log_batch

API = EntryPoint.NATIVE_API
_folders = itertools.count(1)


def iris_frame() -> pd.DataFrame:
    iris = load_iris(as_frame=True)
    return iris.frame  # four feature columns and "target"


def iris_classifier(*, good: bool = True):
    frame = iris_frame()
    features, target = frame.drop(columns=["target"]), frame["target"]
    model = LogisticRegression(max_iter=500) if good else DummyClassifier(strategy="most_frequent")
    return model.fit(features, target), features, target


def store_model_folder(local: Path) -> str:
    """Upload the files of an MLflow model saved in `local`; returns the artifact path in the store."""
    path = f"1/models/m-validation{next(_folders):022x}/artifacts"
    for file in sorted(p for p in Path(local).rglob("*") if p.is_file()):
        with open(file, "rb") as handle:
            artifact_write(path=f"{path}/{file.relative_to(local).as_posix()}", stream=handle, actor=None)
    return path


def store_sklearn_model(model, features, target) -> str:
    """Save `model` in MLflow's format and upload its files; returns the artifact path in the store."""
    with tempfile.TemporaryDirectory() as folder:
        local = Path(folder) / "model"
        # Explicit requirements: inferring them loads the model in a subprocess, seconds per save.
        mlflow.sklearn.save_model(model, local, signature=infer_signature(features, model.predict(features)),
                                  pip_requirements=["scikit-learn"])
        return store_model_folder(local)


def register_stored_version(model_name: str, path: str, *, actor, metrics: dict):
    """Register the model stored at `path` as a version of `model_name` whose source run logged `metrics`."""
    run = run_create(experiment=_experiment(actor), actor=actor, run_name=f"train-{path[-6:]}")
    run_log_batch(run=run, metrics=[MetricPoint(key=key, value=value, timestamp=1) for key, value in metrics.items()])
    return model_version_create(name=model_name, source=f"mlflow-artifacts:/{path}", run_id=run.pk, actor=actor,
                                entry_point=API)


def register_python_model_version(model_name: str, python_model, *, actor, metrics: dict):
    """Save an mlflow.pyfunc.PythonModel, store and register it; its source run logged `metrics`."""
    module = sys.modules[type(python_model).__module__]
    with tempfile.TemporaryDirectory() as folder:
        local = Path(folder) / "model"
        # By value: the sandbox runs `python -I` elsewhere, where the test modules cannot be imported.
        cloudpickle.register_pickle_by_value(module)
        try:
            mlflow.pyfunc.save_model(str(local), python_model=python_model, pip_requirements=[])
        finally:
            cloudpickle.unregister_pickle_by_value(module)
        path = store_model_folder(local)
    return register_stored_version(model_name, path, actor=actor, metrics=metrics)


def register_iris_version(model_name: str, *, actor, good: bool = True, metrics: dict | None = None):
    """Train, store and register a version of `model_name` whose source run logged `metrics`."""
    model, features, target = iris_classifier(good=good)
    path = store_sklearn_model(model, features, target)
    accuracy = float((model.predict(features) == target).mean())
    return register_stored_version(model_name, path, actor=actor, metrics={"accuracy": accuracy, **(metrics or {})})


def _experiment(actor):
    found = Experiment.objects.filter(name="validation-tests").first()
    return found or experiment_create(name="validation-tests", actor=actor, entry_point=API)


def upload_iris_dataset(*, actor, name: str = "iris-holdout", drop: tuple[str, ...] = (), file_format: str = "csv"):
    frame = iris_frame().drop(columns=list(drop))
    buffer = io.BytesIO()
    if file_format == "csv":
        frame.to_csv(buffer, index=False)
    else:
        frame.to_parquet(buffer, index=False)
    upload = SimpleUploadedFile(f"{name}.{file_format}", buffer.getvalue())
    return validation_dataset_create(name=name, upload=upload, target_column="target", task_type="classification",
                                     actor=actor, entry_point=API)
