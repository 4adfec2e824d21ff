"""The evidence of a validation run cannot be bent by the model or by whoever reaches the disk: a model that grades
itself is judged by its real predictions in the real sandbox, and a dataset changed on disk fails the run by its
hash. Runs execute in-process here (the worker tests run the same checks in a real Celery worker)."""
from pathlib import Path

import mlflow.pyfunc
import pytest

from approvals.choices import CheckStatus, ValidationStatus
from approvals.datasets_storage import dataset_storage
from approvals.services import policy_update, validation_run_create, validation_run_execute
from tests.approvals.conftest import API
from tests.approvals.validation_support import (
    register_iris_version,
    register_python_model_version,
    upload_iris_dataset,
)

pytestmark = pytest.mark.django_db
ON_DATASETS = [{"metric": "accuracy", "op": ">=", "value": 0.9, "on": "datasets"}]


class SelfGradingModel(mlflow.pyfunc.PythonModel):
    """Replaces sklearn's scores with perfect ones, then predicts one class for every row."""

    _skip_type_hint_validation = True

    def load_context(self, context):
        import sklearn.metrics

        for name in ("accuracy_score", "precision_score", "recall_score", "f1_score"):
            setattr(sklearn.metrics, name, lambda *args, **kwargs: 1.0)

    def predict(self, context, model_input, params=None):
        return [0] * len(model_input)


def _self_grading_version(model_name: str, owner):
    # It logged a perfect accuracy on its run too: only the dataset threshold is asked about here.
    return register_python_model_version(model_name, SelfGradingModel(), actor=owner, metrics={"accuracy": 1.0})


def _run(version, owner):
    return validation_run_execute(run_id=validation_run_create(version=version, actor=owner, entry_point=API,
                                                               stage="Production").pk)


def test_a_model_that_patches_sklearn_fails_on_its_real_predictions_in_bubblewrap(prod_policy, iris, owner):
    dataset = upload_iris_dataset(actor=None)
    policy_update(policy=prod_policy, actor=None, entry_point=API, validation_datasets=[dataset],
                  metric_thresholds=ON_DATASETS)
    run = _run(_self_grading_version(iris.name, owner), owner)

    assert run.status == ValidationStatus.FAILED
    scored = run.checks.get(name="Load and score on iris-holdout")
    assert scored.status == CheckStatus.PASSED  # it loaded and predicted; the figures are the worker's
    assert scored.observed.startswith("accuracy=0.333333")
    assert scored.message == "scored 150 rows (sandbox: bubblewrap)"
    assert scored.details["isolation"] == "bubblewrap"
    assert scored.details["isolation_detail"].startswith("bubblewrap (/usr/bin/bwrap): own ")
    assert scored.details["dataset_content_hash"] == dataset.content_hash
    assert scored.details["limits"]["processes"] == 64
    threshold = run.checks.get(name="iris-holdout: accuracy >= 0.9")
    assert (threshold.status, threshold.observed) == (CheckStatus.FAILED, "0.333333")
    assert threshold.details["isolation"] == "bubblewrap"


def test_a_dataset_tampered_on_disk_fails_the_run_naming_the_hash_mismatch(prod_policy, iris, owner):
    dataset = upload_iris_dataset(actor=None)
    policy_update(policy=prod_policy, actor=None, entry_point=API, validation_datasets=[dataset],
                  metric_thresholds=ON_DATASETS)
    # Someone with the disk relabels every row as the class a worse model predicts.
    stored = Path(dataset_storage().path(dataset.storage_path))
    lines = stored.read_text().splitlines()
    stored.write_text("\n".join([lines[0], *(line.rpartition(",")[0] + ",0" for line in lines[1:])]) + "\n")
    run = _run(register_iris_version(iris.name, actor=owner, good=False), owner)

    assert run.status == ValidationStatus.FAILED
    scored = run.checks.get(name="Load and score on iris-holdout")
    assert scored.status == CheckStatus.FAILED
    assert scored.message.startswith("Validation dataset 'iris-holdout' failed its hash check: its file hashes to "
                                     "sha256 ")
    assert f"the hash recorded at upload is {dataset.content_hash[:12]} (hash mismatch" in scored.message
    assert "iris-holdout: accuracy >= 0.9" in run.summary
