"""Load and score a model version in a separate, limited process: the "load and score" check of validation runs.

Loading an MLflow model runs the model's own code (unpickling, a PythonModel's load_context), so it happens in a
child process (score_child.py) with a time limit, an address-space limit, no core dumps and an environment built
from an allow-list: none of the registry's secrets, connections or settings reach it.
"""
import contextlib
import json
import logging
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

CLASSIFICATION_METRICS = ("accuracy", "precision", "recall", "f1")
REGRESSION_METRICS = ("rmse", "mae", "r2")
_METRICS_BY_TASK = {"classification": CLASSIFICATION_METRICS, "regression": REGRESSION_METRICS}
DATASET_FORMATS = ("csv", "parquet")
OUTCOME_STATUSES = ("ok", "failed", "error")

CHILD_SCRIPT = Path(__file__).with_name("score_child.py")
# The child announces each step on stderr with this prefix (score_child.PHASE_MARKER).
PHASE_MARKER = "score_child phase: "
FIRST_PHASE = "starting the scoring process"
STDERR_TAIL_CHARS = 2000
# The result is one small JSON object; more than this on stdout is not one.
RESULT_LIMIT_BYTES = 1024 * 1024
PIPE_CHUNK_BYTES = 64 * 1024
# After killing the group, how long to wait for the pipes to close before giving up on the output.
KILL_GRACE_SECONDS = 5
# Threads reserve address space (stacks, BLAS buffers) that RLIMIT_AS counts.
THREAD_LIMIT_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# How running out of address space shows when it kills the child before it can answer.
OUT_OF_MEMORY_SIGNS = ("MemoryError", "std::bad_alloc", "Cannot allocate memory", "failed to map segment",
                       "out of memory")


@dataclass(frozen=True)
class ScoreOutcome:
    # "ok"; "failed": the model or the dataset is wrong (columns, target, unusable predictions);
    # "error": the scoring could not be done (time or memory limit, crash, model cannot be loaded).
    status: str
    # When ok: CLASSIFICATION_METRICS or REGRESSION_METRICS, by task type.
    metrics: dict[str, float]
    # What happened, for people: "scored 150 rows", "loading the model did not finish within 5 s", ...
    message: str
    rows: int = 0


@dataclass(frozen=True)
class _ChildRun:
    returncode: int
    stdout: bytes
    phase: str  # the step the child announced last
    stderr_tail: str
    timed_out: bool


def metrics_for_task(task_type: str) -> tuple[str, ...]:
    try:
        return _METRICS_BY_TASK[task_type]
    except KeyError:
        raise ValueError(f"unknown task type {task_type!r}; expected one of {', '.join(_METRICS_BY_TASK)}") from None


def sandbox_environment(workdir: Path | None = None) -> dict[str, str]:
    """The child's whole environment: an allow-list, never a copy of os.environ.

    `workdir` is the child's temporary directory (HOME and TMPDIR live in it); without one, they point into the
    system's temporary directory, which is enough to inspect the allow-list.
    """
    base = Path(workdir) if workdir is not None else Path(tempfile.gettempdir())
    return {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
        "HOME": str(base / "home"),
        "TMPDIR": str(base / "tmp"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        **{variable: "1" for variable in THREAD_LIMIT_VARIABLES},
        # mlflow 3 otherwise sends usage telemetry from background threads: no network traffic from the sandbox.
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }


def score_in_sandbox(*, model_dir: Path, dataset_path: Path, dataset_format: str, target_column: str,
                     task_type: str, timeout_seconds: float, memory_limit_mb: int) -> ScoreOutcome:
    """Load the MLflow model in `model_dir` in a limited child process and score the dataset with it."""
    expected_metrics = metrics_for_task(task_type)
    if dataset_format not in DATASET_FORMATS:
        raise ValueError(f"unknown dataset format {dataset_format!r}; expected one of {', '.join(DATASET_FORMATS)}")
    # The child runs in another directory: relative paths would point elsewhere.
    model_dir = Path(model_dir).resolve()
    dataset_path = Path(dataset_path).resolve()
    if not (model_dir / "MLmodel").is_file():
        return ScoreOutcome("error", {}, f"the model cannot be loaded: {model_dir} has no MLmodel file")
    if not dataset_path.is_file():
        return ScoreOutcome("error", {}, f"the dataset file {dataset_path} does not exist")
    job = {"model_dir": str(model_dir), "dataset_path": str(dataset_path), "dataset_format": dataset_format,
           "target_column": target_column, "task_type": task_type}

    with tempfile.TemporaryDirectory(prefix="score-sandbox-", ignore_cleanup_errors=True) as workdir:
        workdir = Path(workdir)
        (workdir / "home").mkdir()
        (workdir / "tmp").mkdir()
        try:
            run = _run_child(job, workdir=workdir, timeout_seconds=timeout_seconds, memory_limit_mb=memory_limit_mb)
        except (OSError, subprocess.SubprocessError) as error:
            return ScoreOutcome("error", {}, f"the scoring process could not be started: {error}")
    outcome = _outcome(run, expected_metrics=expected_metrics, timeout_seconds=timeout_seconds,
                       memory_limit_mb=memory_limit_mb)
    if outcome.status == "error":
        logger.warning("Scoring %s on %s: %s. The scoring process's last output: %s", model_dir, dataset_path,
                       outcome.message, run.stderr_tail or "(none)")
    return outcome


def _run_child(job: dict, *, workdir: Path, timeout_seconds: float, memory_limit_mb: int) -> _ChildRun:
    process = subprocess.Popen(
        [sys.executable, "-I", str(CHILD_SCRIPT)],
        cwd=workdir,
        env=sandbox_environment(workdir),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # Its own process group, so whatever the model starts is killed with it.
        start_new_session=True,
        preexec_fn=_child_limits(memory_limit_mb=memory_limit_mb, timeout_seconds=timeout_seconds),
    )
    result_reader, log_reader = _ResultReader(process.stdout), _LogReader(process.stderr)
    result_reader.start()
    log_reader.start()
    timed_out = False
    try:
        _send_job(process, job)
        process.wait(timeout=timeout_seconds)
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        # The child after a timeout or when the worker itself is stopped (e.g. by Celery's soft time limit), and
        # in any case whatever the model started and left behind.
        _kill_group(process.pid)
        process.wait()
        for reader in (result_reader, log_reader):
            # A process that left the group may still hold the pipe: then keep what was read by now.
            reader.join(KILL_GRACE_SECONDS)
            if not reader.is_alive():
                reader.pipe.close()
    return _ChildRun(process.returncode, result_reader.data, log_reader.phase, log_reader.tail, timed_out)


def _send_job(process: subprocess.Popen, job: dict) -> None:
    # A child that dies before reading its job breaks the pipe; its exit status says why.
    with contextlib.suppress(BrokenPipeError):
        process.stdin.write(json.dumps(job).encode())
    with contextlib.suppress(BrokenPipeError):
        process.stdin.close()


class _ResultReader(threading.Thread):
    """Reads the child's stdout to its end, keeping at most RESULT_LIMIT_BYTES: the model may write without end."""

    def __init__(self, pipe):
        super().__init__(daemon=True)
        self.pipe = pipe
        self.data = b""

    def run(self) -> None:
        self.data = self.pipe.read(RESULT_LIMIT_BYTES + 1)
        while self.pipe.read(PIPE_CHUNK_BYTES):
            pass


class _LogReader(threading.Thread):
    """Reads the child's stderr to its end, keeping the phase it announced last and the tail of everything else."""

    def __init__(self, pipe):
        super().__init__(daemon=True)
        self.pipe = pipe
        self.phase = FIRST_PHASE
        self._tail = bytearray()

    def run(self) -> None:
        marker = PHASE_MARKER.encode()
        # Bounded lines: a model may write without end, newlines or not.
        while line := self.pipe.readline(PIPE_CHUNK_BYTES):
            if line.startswith(marker):
                self.phase = line[len(marker):].decode(errors="replace").strip()
            else:
                self._tail += line
                del self._tail[:-PIPE_CHUNK_BYTES]

    @property
    def tail(self) -> str:
        return bytes(self._tail).decode(errors="replace").strip()[-STDERR_TAIL_CHARS:]


def _child_limits(*, memory_limit_mb: int, timeout_seconds: float):
    """What the child sets on itself between fork and exec."""
    address_space = memory_limit_mb * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        address_space = min(address_space, hard)
    # A pending alarm survives exec and SIGALRM ends the process: the child stops itself even if the worker is
    # killed before it can stop the child (the child's own session keeps it out of the worker's group).
    self_destruct_seconds = math.ceil(timeout_seconds) + KILL_GRACE_SECONDS

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        signal.alarm(self_destruct_seconds)

    return apply


def _kill_group(process_group: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
        os.killpg(process_group, signal.SIGKILL)


def _outcome(run: _ChildRun, *, expected_metrics: tuple[str, ...], timeout_seconds: float,
             memory_limit_mb: int) -> ScoreOutcome:
    if run.timed_out:
        return ScoreOutcome("error", {}, f"{run.phase} did not finish within {timeout_seconds:g} s")
    result = _parse_result(run.stdout, expected_metrics) if run.returncode == 0 else None
    if result is None:
        if any(sign in run.stderr_tail for sign in OUT_OF_MEMORY_SIGNS):
            return ScoreOutcome("error", {}, f"the memory limit ({memory_limit_mb} MiB) was reached while {run.phase}")
        if run.returncode < 0:
            ended = f"the scoring process was killed by {_signal_name(-run.returncode)} while {run.phase}"
        elif run.returncode:
            ended = f"the scoring process exited with status {run.returncode} while {run.phase}"
        else:
            ended = "the scoring process returned no usable result"
        return ScoreOutcome("error", {}, f"{ended}: {run.stderr_tail}" if run.stderr_tail else ended)
    if result.get("out_of_memory"):
        return ScoreOutcome("error", {}, f"the memory limit ({memory_limit_mb} MiB) was reached while "
                                         f"{result.get('phase') or run.phase}")
    return ScoreOutcome(result["status"], result["metrics"], result["message"], rows=result["rows"])


def _parse_result(stdout: bytes, expected_metrics: tuple[str, ...]) -> dict | None:
    """The child's answer, or None when it is not one (the child's own code is not trusted to be well-formed)."""
    if len(stdout) > RESULT_LIMIT_BYTES:
        return None
    try:
        result = json.loads(stdout)
        status, message = result["status"], str(result["message"])
        metrics = {str(name): float(value) for name, value in result.get("metrics", {}).items()}
        rows = int(result.get("rows", 0))
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    if status not in OUTCOME_STATUSES or (status == "ok" and set(metrics) != set(expected_metrics)):
        return None
    return {**result, "message": message, "metrics": metrics, "rows": rows}


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
