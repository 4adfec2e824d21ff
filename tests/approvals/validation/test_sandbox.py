"""The load-and-score sandbox: real MLflow models scored in a limited child process. No database."""
import math
import os
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import mlflow.pyfunc
import pandas as pd
import pytest
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    mean_squared_error,
    precision_score,
    r2_score,
    recall_score,
)

from approvals.validation.isolation import sandbox_environment
from approvals.validation.sandbox import (
    CLASSIFICATION_METRICS,
    REGRESSION_METRICS,
    metrics_for_task,
    score_in_sandbox,
)

SECRET_NAMES = ("DATABASE_URL", "DJANGO_SECRET_KEY", "MLFLOW_TRACKING_TOKEN", "AWS_SECRET_ACCESS_KEY",
                "CELERY_BROKER_URL")
GENEROUS_TIMEOUT_SECONDS = 120
MEMORY_LIMIT_MB = 1024
# The limit covers the child's whole life: starting Python and importing mlflow take 3-4 s before the model loads
# (over 10 s on a busy machine).
HANG_TIMEOUT_SECONDS = 15


def score(model_dir: Path, dataset_path: Path, *, target_column: str, task_type: str = "classification",
          timeout_seconds: float = GENEROUS_TIMEOUT_SECONDS, memory_limit_mb: int = MEMORY_LIMIT_MB):
    return score_in_sandbox(model_dir=model_dir, dataset_path=dataset_path,
                            dataset_format="parquet" if dataset_path.suffix == ".parquet" else "csv",
                            target_column=target_column, task_type=task_type, timeout_seconds=timeout_seconds,
                            memory_limit_mb=memory_limit_mb)


def write_csv(frame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


# PythonModels whose own code is what a test is about. They are pickled by value (see python_model_save): what they
# use must be importable in the child (the standard library, mlflow, pandas).

class UntypedPythonModel(mlflow.pyfunc.PythonModel):
    # These predict() take whatever DataFrame they are given: no type hints, and (through this private flag of
    # mlflow's) no warning about their absence at every class definition.
    _skip_type_hint_validation = True


class HangingLoad(UntypedPythonModel):
    """Starts a helper process (marked with `token` on its command line), then never finishes loading."""

    def __init__(self, token: str):
        self.token = token

    def load_context(self, context):
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", self.token])
        while True:
            time.sleep(60)

    def predict(self, context, model_input, params=None):
        return model_input.iloc[:, 0]


class GreedyLoad(UntypedPythonModel):
    def load_context(self, context):
        hoard = []
        while True:
            hoard.append(bytearray(100 * 1024 * 1024))

    def predict(self, context, model_input, params=None):
        return model_input.iloc[:, 0]


class EnvironmentProbe(UntypedPythonModel):
    """Predicts the 'label_copy' feature if none of the `hidden` names is in its environment, else the opposite."""

    def __init__(self, hidden: frozenset[str]):
        self.hidden = hidden

    def predict(self, context, model_input, params=None):
        labels = model_input["label_copy"]
        return 1 - labels if self.hidden & set(os.environ) else labels


class ChattyShortPredictions(UntypedPythonModel):
    """Floods standard output (Python's and file descriptor 1) and stderr, and returns one prediction too few."""

    def predict(self, context, model_input, params=None):
        print('{"status": "ok"} from print')
        os.write(1, b'{"status": "ok"} from fd 1' + b"!" * 3_000_000)
        sys.stderr.write("noise without a newline " * 200_000)
        return model_input.iloc[:-1, 0]


class CrashingLoad(UntypedPythonModel):
    def load_context(self, context):
        sys.stderr.write("native library says goodbye\n")
        sys.stderr.flush()
        os.abort()

    def predict(self, context, model_input, params=None):
        return model_input.iloc[:, 0]


def test_metrics_for_task():
    assert metrics_for_task("classification") == CLASSIFICATION_METRICS == ("accuracy", "precision", "recall", "f1")
    assert metrics_for_task("regression") == REGRESSION_METRICS == ("rmse", "mae", "r2")
    with pytest.raises(ValueError, match="unknown task type 'ranking'"):
        metrics_for_task("ranking")


def test_classification_scored_with_weighted_metrics(iris_model, iris_dataset, tmp_path):
    model_dir, estimator = iris_model
    # Columns in another order plus one the signature does not know: scored on the signature's columns.
    shuffled = iris_dataset[list(reversed(iris_dataset.columns))].assign(sample_id=range(len(iris_dataset)))
    dataset = write_csv(shuffled, tmp_path / "iris.csv")

    outcome = score(model_dir, dataset, target_column="species")

    features, target = iris_dataset.drop(columns=["species"]), iris_dataset["species"]
    predicted = estimator.predict(features)
    assert (outcome.status, outcome.message, outcome.rows) == ("ok", "scored 150 rows", 150)
    assert outcome.metrics == pytest.approx({
        "accuracy": accuracy_score(target, predicted),
        "precision": precision_score(target, predicted, average="weighted", zero_division=0),
        "recall": recall_score(target, predicted, average="weighted", zero_division=0),
        "f1": f1_score(target, predicted, average="weighted", zero_division=0),
    })
    assert 0.9 < outcome.metrics["accuracy"] < 1.0


def test_regression_scored_from_parquet(diabetes_model, diabetes_dataset, tmp_path):
    model_dir, estimator = diabetes_model
    dataset = tmp_path / "diabetes.parquet"
    diabetes_dataset.to_parquet(dataset)

    outcome = score(model_dir, dataset, target_column="progression", task_type="regression")

    target = diabetes_dataset["progression"]
    predicted = estimator.predict(diabetes_dataset.drop(columns=["progression"]))
    assert (outcome.status, outcome.message, outcome.rows) == ("ok", "scored 442 rows", 442)
    assert outcome.metrics == pytest.approx({
        "rmse": math.sqrt(mean_squared_error(target, predicted)),
        "mae": mean_absolute_error(target, predicted),
        "r2": r2_score(target, predicted),
    })


def test_dataset_missing_a_signature_column_fails(iris_model, iris_dataset, tmp_path):
    dataset = write_csv(iris_dataset.drop(columns=["petal width (cm)"]), tmp_path / "iris.csv")

    outcome = score(iris_model[0], dataset, target_column="species")

    assert (outcome.status, outcome.metrics) == ("failed", {})
    assert outcome.message == "dataset lacks columns the model's signature needs: petal width (cm)"


def test_dataset_missing_the_target_column_fails(iris_model, iris_dataset, tmp_path):
    dataset = write_csv(iris_dataset.drop(columns=["species"]), tmp_path / "iris.csv")

    outcome = score(iris_model[0], dataset, target_column="species")

    assert (outcome.status, outcome.metrics) == ("failed", {})
    assert outcome.message == "dataset has no target column 'species'"


def test_unusable_predictions_fail_and_output_noise_is_ignored(python_model_save, iris_dataset, tmp_path):
    model_dir = python_model_save(ChattyShortPredictions())
    dataset = write_csv(iris_dataset, tmp_path / "iris.csv")

    outcome = score(model_dir, dataset, target_column="species")

    assert (outcome.status, outcome.metrics) == ("failed", {})
    assert outcome.message == "the model returned 149 predictions for 150 rows"


def test_a_crash_is_an_error_with_the_end_of_its_output(python_model_save, iris_dataset, tmp_path):
    model_dir = python_model_save(CrashingLoad())
    dataset = write_csv(iris_dataset, tmp_path / "iris.csv")

    outcome = score(model_dir, dataset, target_column="species")

    assert (outcome.status, outcome.metrics) == ("error", {})
    assert outcome.message.startswith("the scoring process was killed by SIGABRT while loading the model: ")
    assert outcome.message.endswith("native library says goodbye")


def test_loading_that_never_ends_is_stopped_at_the_time_limit_with_its_whole_process_group(
        python_model_save, iris_dataset, tmp_path):
    token = f"sandbox-helper-{uuid.uuid4().hex}"
    model_dir = python_model_save(HangingLoad(token))
    dataset = write_csv(iris_dataset, tmp_path / "iris.csv")

    with ThreadPoolExecutor(max_workers=1) as pool:
        started = time.monotonic()
        scoring = pool.submit(score, model_dir, dataset, target_column="species",
                              timeout_seconds=HANG_TIMEOUT_SECONDS)
        helper = wait_for_process_with(token, until=scoring)
        group = os.getpgid(helper)
        outcome = scoring.result()
        elapsed = time.monotonic() - started
    survivors = wait_until_no_live_process_in(group)
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)  # not left behind for the rest of the session

    assert group != os.getpgrp()  # the child leads a group of its own...
    assert survivors == []  # ...and nothing of it survives, not even the helper
    assert (outcome.status, outcome.metrics) == ("error", {})
    assert outcome.message == f"loading the model did not finish within {HANG_TIMEOUT_SECONDS} s"
    assert HANG_TIMEOUT_SECONDS <= elapsed < HANG_TIMEOUT_SECONDS + 5


def test_loading_that_allocates_without_bound_is_stopped_at_the_memory_limit(python_model_save, iris_dataset,
                                                                             tmp_path):
    model_dir = python_model_save(GreedyLoad())
    dataset = write_csv(iris_dataset, tmp_path / "iris.csv")

    started = time.monotonic()
    outcome = score(model_dir, dataset, target_column="species", memory_limit_mb=MEMORY_LIMIT_MB)

    assert (outcome.status, outcome.metrics) == ("error", {})
    assert outcome.message == f"the memory limit ({MEMORY_LIMIT_MB} MiB) was reached while loading the model"
    assert time.monotonic() - started < GENEROUS_TIMEOUT_SECONDS / 2  # the memory limit stopped it, not the clock


def test_sandbox_environment_is_an_allow_list_without_secrets(monkeypatch, tmp_path):
    for name in (*SECRET_NAMES, "REDIS_URL", "MLFLOW_TRACKING_URI", "SOME_UNRELATED_SETTING"):
        monkeypatch.setenv(name, "visible-to-the-parent")

    environment = sandbox_environment(tmp_path)

    assert environment == {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "TMPDIR": str(tmp_path / "tmp"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }
    assert not set(SECRET_NAMES) & set(sandbox_environment(Path("/tmp")))


def test_the_model_sees_no_secret_of_the_parent(monkeypatch, python_model_save, tmp_path):
    # A name of this test's own as well: the child's environment is no copy of the parent's.
    hidden = frozenset({*SECRET_NAMES, f"PARENT_ONLY_{uuid.uuid4().hex}"})
    for name in hidden:
        monkeypatch.setenv(name, "must-not-reach-the-model")
    model_dir = python_model_save(EnvironmentProbe(hidden))
    labels = [0, 1] * 10
    dataset = write_csv(pd.DataFrame({"label_copy": labels, "label": labels}), tmp_path / "labels.csv")

    outcome = score(model_dir, dataset, target_column="label")

    assert outcome.status == "ok", outcome.message
    assert outcome.metrics["accuracy"] == 1.0  # 0.0 had any of those names reached the model


def wait_for_process_with(marker: str, *, until, timeout_seconds: float = 60) -> int:
    """The pid of the process whose command line holds `marker`, once it runs."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        for pid in os.listdir("/proc"):
            if pid.isdigit() and marker in _read_proc(pid, "cmdline"):
                return int(pid)
        if until.done():
            pytest.fail(f"the model never started its helper process: {until.result()}")
        time.sleep(0.05)
    pytest.fail("the model never started its helper process")


def wait_until_no_live_process_in(group: int, *, timeout_seconds: float = 5) -> list[int]:
    """Pids still running in the process group (zombies waiting for their reaper count as gone)."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        members = []
        for pid in os.listdir("/proc"):
            # /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses.
            fields = _read_proc(pid, "stat").rpartition(")")[2].split() if pid.isdigit() else []
            if len(fields) > 2 and int(fields[2]) == group and fields[0] != "Z":
                members.append(int(pid))
        if not members or time.monotonic() > deadline:
            return members
        time.sleep(0.1)


def _read_proc(pid: str, name: str) -> str:
    try:
        return Path(f"/proc/{pid}/{name}").read_bytes().decode(errors="replace")
    except OSError:
        return ""
