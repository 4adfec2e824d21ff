"""A hostile model against the real sandbox (bubblewrap): each escape of the threat model is tried from the model's
own code, and checked from the host afterwards. The verdict comes from the model's real predictions. No database.

The model reports what each attempt got on its stderr (ATTACK_MARKER + JSON), which the outcome's log tail keeps.
"""
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import mlflow.pyfunc
import pytest
import sklearn.metrics

from approvals.validation.isolation import BUBBLEWRAP, SUBPROCESS
from approvals.validation.sandbox import score_in_sandbox
from tests.approvals.validation.test_sandbox import GENEROUS_TIMEOUT_SECONDS, write_csv

ATTACK_MARKER = "ATTACK-REPORT "
SECRETS = {"DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/stolen", "DJANGO_SECRET_KEY": "stolen-secret-key"}
SERVICES = {"postgresql": 5432, "redis": 6379}
FORKS = 1000
TEN_GB = 10 * 1024 ** 3


class UntypedPythonModel(mlflow.pyfunc.PythonModel):
    # Defined here, not imported: the models are pickled by value with this module (see python_model_save).
    _skip_type_hint_validation = True


class HostileModel(UntypedPythonModel):
    """Tries every escape while loading, then predicts one class for every row (accuracy 1/3 on iris)."""

    def __init__(self, *, parent_pid: int, targets: list[str], token: str):
        self.parent_pid, self.targets, self.token = parent_pid, targets, token

    def load_context(self, context):
        self.report = {"parent_environ": self._read(f"/proc/{self.parent_pid}/environ"),
                       "secrets_in_environ": sorted(set(SECRETS) & set(os.environ)),
                       "secrets_in_proc": self._secrets_in_proc(), "sockets": self._sockets(),
                       "writes": {target: self._write(target) for target in self.targets},
                       "forks": self._fork_bomb(), "ten_gb": self._allocate(), "sleeper": self._sleeper()}
        sklearn.metrics.accuracy_score = lambda *args, **kwargs: 1.0  # grade itself
        self.report["patched_accuracy"] = sklearn.metrics.accuracy_score([0], [1])

    def predict(self, context, model_input, params=None):
        sys.stderr.write(f"\n{ATTACK_MARKER}{json.dumps(self.report)}\n")
        sys.stderr.flush()
        return [0] * len(model_input)

    @staticmethod
    def _read(path: str) -> str:
        try:
            return open(path, "rb").read().decode(errors="replace")
        except OSError as error:
            return f"refused: {error}"

    def _secrets_in_proc(self) -> list[str]:
        found = set()
        for pid in filter(str.isdigit, os.listdir("/proc")):
            found |= {name for name in SECRETS if name in self._read(f"/proc/{pid}/environ")}
        return sorted(found)

    @staticmethod
    def _sockets() -> dict:
        answers = {}
        for name, port in SERVICES.items():
            try:
                socket.create_connection(("127.0.0.1", port), timeout=3).close()
                answers[name] = "connected"
            except OSError as error:
                answers[name] = f"refused: {error}"
        return answers

    @staticmethod
    def _write(target: str) -> str:
        try:
            with open(target, "a") as handle:
                handle.write("pwned\n")
            return "written"
        except OSError as error:
            return f"refused: {error}"

    @staticmethod
    def _fork_bomb() -> int:
        children = []
        try:
            for _ in range(FORKS):
                pid = os.fork()
                if pid == 0:
                    time.sleep(60)
                    os._exit(0)
                children.append(pid)
        except OSError:
            pass
        for pid in children:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        return len(children)

    @staticmethod
    def _allocate() -> str:
        try:
            hoard = bytearray(TEN_GB)
            return f"allocated {len(hoard)}"
        except MemoryError:
            return "refused: MemoryError"

    def _sleeper(self) -> str:
        """A process of its own session that sleeps forever, to outlive the scoring."""
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)", self.token], start_new_session=True)
        return "started"


def _report(outcome) -> dict:
    line = next(line for line in outcome.log_tail.splitlines() if line.startswith(ATTACK_MARKER))
    return json.loads(line[len(ATTACK_MARKER):])


def _processes_with(marker: str) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                found.append(int(pid))
        except OSError:
            pass
    return found


@pytest.fixture
def secrets_in_environment(monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)


def test_a_hostile_model_gains_nothing_and_is_judged_by_its_real_predictions(
        secrets_in_environment, python_model_save, iris_dataset, tmp_path):
    token = f"hostile-{uuid.uuid4().hex}"
    host_tmp = Path("/tmp") / f"{token}.txt"
    metrics_source = Path(sklearn.metrics.__file__)
    before = metrics_source.read_bytes()
    model_dir = tmp_path / "python-model"
    targets = [str(model_dir / "pwned.txt"), "/sandbox/model/pwned.txt", str(host_tmp), str(metrics_source),
               str(Path(sys.prefix) / "pwned.txt")]
    python_model_save(HostileModel(parent_pid=os.getpid(), targets=targets, token=token))
    dataset = write_csv(iris_dataset, tmp_path / "iris.csv")

    outcome = score_in_sandbox(model_dir=model_dir, dataset_path=dataset, dataset_format="csv",
                               target_column="species", task_type="classification",
                               timeout_seconds=GENEROUS_TIMEOUT_SECONDS, memory_limit_mb=1024)

    assert outcome.isolation.kind == BUBBLEWRAP, outcome.isolation.description
    assert outcome.status == "ok", outcome.message
    report = _report(outcome)
    assert report["parent_environ"].startswith("refused: [Errno 2]")  # the worker is not even visible
    assert (report["secrets_in_environ"], report["secrets_in_proc"]) == ([], [])
    assert all(answer.startswith("refused") for answer in report["sockets"].values()), report["sockets"]
    # Read-only binds, and a uid that owns nothing: the model folder, the installation, sklearn's own source.
    for target in ("/sandbox/model/pwned.txt", str(metrics_source), str(Path(sys.prefix) / "pwned.txt")):
        assert report["writes"][target].startswith(("refused: [Errno 30]", "refused: [Errno 13]")), target
    assert 0 < report["forks"] <= 64
    assert report["ten_gb"] == "refused: MemoryError"
    assert report["patched_accuracy"] == 1.0  # the patch worked where the model runs...
    assert outcome.metrics["accuracy"] == pytest.approx(1 / 3)  # ...and not where the figures are computed
    # Nothing reached the host: no file outside the sandbox's scratch, no process left behind.
    assert not host_tmp.exists() and not (model_dir / "pwned.txt").exists()
    assert not (Path(sys.prefix) / "pwned.txt").exists() and metrics_source.read_bytes() == before
    assert _processes_with(token) == []


def test_without_bubblewrap_scoring_works_and_says_its_isolation_is_weaker(settings, python_model_save,
                                                                          iris_model, iris_dataset, tmp_path):
    settings.VALIDATION_SANDBOX_BWRAP = "/nonexistent/bwrap"
    dataset = write_csv(iris_dataset, tmp_path / "iris.csv")

    outcome = score_in_sandbox(model_dir=iris_model[0], dataset_path=dataset, dataset_format="csv",
                               target_column="species", task_type="classification")

    assert outcome.status == "ok", outcome.message
    assert outcome.isolation.kind == SUBPROCESS
    assert outcome.evidence()["isolation_detail"].startswith(
        "subprocess without bubblewrap (/nonexistent/bwrap is not installed): cleared environment")


def test_a_deployment_requiring_the_full_sandbox_refuses_to_score_without_it(settings, iris_model, iris_dataset,
                                                                            tmp_path):
    settings.VALIDATION_SANDBOX_BWRAP = ""
    settings.VALIDATION_REQUIRE_FULL_SANDBOX = True
    dataset = write_csv(iris_dataset, tmp_path / "iris.csv")

    outcome = score_in_sandbox(model_dir=iris_model[0], dataset_path=dataset, dataset_format="csv",
                               target_column="species", task_type="classification")

    assert (outcome.status, outcome.isolation) == ("error", None)
    assert outcome.message == ("the full sandbox (bubblewrap) is required (VALIDATION_REQUIRE_FULL_SANDBOX) and not "
                               "available: subprocess without bubblewrap (VALIDATION_SANDBOX_BWRAP is empty): "
                               "cleared environment, own session and resource limits; shares the worker's user "
                               f"(uid {os.geteuid()}), network and file system")


def test_the_child_never_receives_the_labels(python_model_save, iris_dataset, tmp_path):
    """The features file is all the model gets: the target column is not among its columns."""

    class ColumnsProbe(UntypedPythonModel):
        def predict(self, context, model_input, params=None):
            sys.stderr.write(f"\n{ATTACK_MARKER}{json.dumps(sorted(map(str, model_input.columns)))}\n")
            return [0] * len(model_input)

    model_dir = python_model_save(ColumnsProbe())
    dataset = write_csv(iris_dataset, tmp_path / "iris.csv")
    outcome = score_in_sandbox(model_dir=model_dir, dataset_path=dataset, dataset_format="csv",
                               target_column="species", task_type="classification")
    assert outcome.status == "ok", outcome.message
    assert _report(outcome) == sorted(iris_dataset.drop(columns=["species"]).columns)
