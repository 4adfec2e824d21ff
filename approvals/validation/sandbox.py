"""Load and score a model version in a confined child process: the "load and score" check of validation runs.

Loading an MLflow model runs the model's own code (unpickling, a PythonModel's load_context), so it happens in a
child process (score_child.py) confined as isolation.py says (bubblewrap where available). The worker reads the
dataset and keeps its labels: the child gets a file of the features only and writes a file of predictions only
(a .npy file, loaded here without pickle); the metrics are computed here (metrics.py), where the model's code
never runs, so a model that patches sklearn or lies in its answer gains nothing.
"""
import contextlib
import dataclasses
import json
import logging
import os
import signal
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from .isolation import (
    KILL_GRACE_SECONDS,
    MIB,
    Isolation,
    Limits,
    child_command,
    child_script_path,
    isolation_choose,
    layout_create,
    layout_share,
)
from .metrics import (
    CLASSIFICATION_METRICS,
    DATASET_FORMATS,
    REGRESSION_METRICS,
    ScoringFailed,
    dataset_read,
    features_write,
    metrics_compute,
    metrics_for_task,
    predictions_read,
)

logger = logging.getLogger(__name__)

__all__ = ["CLASSIFICATION_METRICS", "REGRESSION_METRICS", "ScoreOutcome", "metrics_for_task", "score_in_sandbox"]

OUTCOME_STATUSES = ("ok", "failed", "error")
PREDICTIONS_FILE = "predictions.npy"
# The child announces each step on stderr with this prefix (score_child.PHASE_MARKER).
PHASE_MARKER = "score_child phase: "
FIRST_PHASE = "starting the scoring process"
STDERR_TAIL_CHARS = 2000
# The child's answer is one small JSON object; more than this on stdout is not one.
RESULT_LIMIT_BYTES = 64 * 1024
PIPE_CHUNK_BYTES = 64 * 1024
BWRAP_SIGNAL_BASE = 128
MAX_SIGNAL = 64
# How running out of address space shows when it kills the child before it can answer.
OUT_OF_MEMORY_SIGNS = ("MemoryError", "std::bad_alloc", "Cannot allocate memory", "failed to map segment",
                       "out of memory")


@dataclass(frozen=True)
class ScoreOutcome:
    # "ok"; "failed": the model or the dataset is wrong (columns, target, unusable predictions);
    # "error": the scoring could not be done (time or memory limit, crash, model cannot be loaded, no sandbox).
    status: str
    # When ok: CLASSIFICATION_METRICS or REGRESSION_METRICS by task type, computed by the worker.
    metrics: dict[str, float]
    # What happened, for people: "scored 150 rows", "loading the model did not finish within 5 s", ...
    message: str
    rows: int = 0
    # The confinement the model's code ran in (None: it never ran), and its limits.
    isolation: Isolation | None = None
    limits: Limits | None = field(default=None, compare=False)
    # The end of what the model's process wrote to stderr: for people reading logs, never part of the verdict.
    log_tail: str = field(default="", compare=False)

    def evidence(self) -> dict:
        """What the check records about how the scoring was done."""
        if self.isolation is None:
            return {}
        return {"isolation": self.isolation.kind, "isolation_detail": self.isolation.description,
                "limits": self.limits.evidence() if self.limits else {}}


@dataclass(frozen=True)
class _ChildRun:
    returncode: int
    stdout: bytes
    phase: str  # the step the child announced last
    stderr_tail: str
    timed_out: bool


def sandbox_limits(*, timeout_seconds: float | None = None, memory_limit_mb: int | None = None) -> Limits:
    """The limits from the settings; the time and memory ones may be given."""
    return Limits(
        timeout_seconds=settings.VALIDATION_SCORE_TIMEOUT_SECONDS if timeout_seconds is None else timeout_seconds,
        memory_limit_mb=settings.VALIDATION_SCORE_MEMORY_MB if memory_limit_mb is None else memory_limit_mb,
        max_processes=settings.VALIDATION_SCORE_MAX_PROCESSES, max_file_mb=settings.VALIDATION_SCORE_FILE_SIZE_MB)


def sandbox_isolation() -> Isolation:
    return isolation_choose(bwrap=settings.VALIDATION_SANDBOX_BWRAP, uid=settings.VALIDATION_SANDBOX_UID)


def score_in_sandbox(*, model_dir: Path, dataset_path: Path, dataset_format: str, target_column: str,
                     task_type: str, timeout_seconds: float | None = None,
                     memory_limit_mb: int | None = None) -> ScoreOutcome:
    """Load the MLflow model in `model_dir` in a confined child, have it predict the dataset's features, score here.

    Steps: choose the isolation (refuse without the full sandbox when VALIDATION_REQUIRE_FULL_SANDBOX is on); read
    the dataset and split off its target; write the features for the child; run it; read its predictions file;
    compute the metrics against the target.
    """
    metrics_for_task(task_type)
    if dataset_format not in DATASET_FORMATS:
        raise ValueError(f"unknown dataset format {dataset_format!r}; expected one of {', '.join(DATASET_FORMATS)}")
    limits = sandbox_limits(timeout_seconds=timeout_seconds, memory_limit_mb=memory_limit_mb)
    isolation = sandbox_isolation()
    if settings.VALIDATION_REQUIRE_FULL_SANDBOX and not isolation.full:
        return ScoreOutcome("error", {}, "the full sandbox (bubblewrap) is required (VALIDATION_REQUIRE_FULL_SANDBOX) "
                                         f"and not available: {isolation.description}")
    model_dir = Path(model_dir).resolve()
    if not (model_dir / "MLmodel").is_file():
        return ScoreOutcome("error", {}, f"the model cannot be loaded: {model_dir} has no MLmodel file")
    if not Path(dataset_path).is_file():
        return ScoreOutcome("error", {}, f"the dataset file {dataset_path} does not exist")
    try:
        labelled = dataset_read(Path(dataset_path), file_format=dataset_format, target_column=target_column)
    except ScoringFailed as failure:
        return ScoreOutcome("failed", {}, str(failure))
    with tempfile.TemporaryDirectory(prefix="score-sandbox-", ignore_cleanup_errors=True) as workdir:
        layout = layout_create(Path(workdir), model_dir=model_dir)
        features = features_write(labelled.features, layout.input_dir, file_format=dataset_format)
        layout_share(layout, isolation)
        outcome = _score_confined(isolation, layout, limits, features_name=features.name, task_type=task_type,
                                  target=labelled.target, rows=len(labelled.target))
    if outcome.status == "error":
        logger.warning("Scoring %s on %s: %s", model_dir, dataset_path, outcome.message)
    return ScoreOutcome(outcome.status, outcome.metrics, outcome.message, outcome.rows, isolation, limits,
                        outcome.log_tail)


def _score_confined(isolation: Isolation, layout, limits: Limits, *, features_name: str, task_type: str,
                    target, rows: int) -> ScoreOutcome:
    command = child_command(isolation, layout, [child_script_path(isolation)], limits)
    job = {"model_dir": command.model_dir, "features_path": f"{command.input_dir}/{features_name}",
           "features_format": features_name.rpartition(".")[2],
           "predictions_path": f"{command.output_dir}/{PREDICTIONS_FILE}"}
    try:
        run = _run_child(command, job, timeout_seconds=limits.timeout_seconds)
    except (OSError, subprocess.SubprocessError) as error:
        return ScoreOutcome("error", {}, f"the scoring process could not be started: {error}")
    if isolation.full and BWRAP_SIGNAL_BASE < run.returncode <= BWRAP_SIGNAL_BASE + MAX_SIGNAL:
        # bwrap passes on a child killed by a signal as the shell does: 128 + the signal's number.
        run = dataclasses.replace(run, returncode=BWRAP_SIGNAL_BASE - run.returncode)
    answer = _outcome(run, timeout_seconds=limits.timeout_seconds, memory_limit_mb=limits.memory_limit_mb)
    if answer.status != "ok":
        return dataclasses.replace(answer, log_tail=run.stderr_tail)
    try:
        predicted = predictions_read(layout.output_dir / PREDICTIONS_FILE, rows=rows,
                                     max_bytes=limits.max_file_mb * MIB)
        metrics = metrics_compute(task_type, target, predicted)
    except ScoringFailed as failure:
        return ScoreOutcome("failed", {}, str(failure), log_tail=run.stderr_tail)
    return ScoreOutcome("ok", metrics, f"scored {rows} rows", rows=rows, log_tail=run.stderr_tail)


def _run_child(command, job: dict, *, timeout_seconds: float) -> _ChildRun:
    process = subprocess.Popen(
        command.argv,
        cwd=command.cwd,
        env=command.env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # Its own process group, so whatever the model starts is killed with it.
        start_new_session=True,
        preexec_fn=command.preexec_fn,
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


def _kill_group(process_group: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
        os.killpg(process_group, signal.SIGKILL)


def _outcome(run: _ChildRun, *, timeout_seconds: float, memory_limit_mb: int) -> ScoreOutcome:
    """What the child's exit and answer say; "ok" only means its predictions file is there to be read."""
    if run.timed_out:
        return ScoreOutcome("error", {}, f"{run.phase} did not finish within {timeout_seconds:g} s")
    result = _parse_result(run.stdout) if run.returncode == 0 else None
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
    return ScoreOutcome(result["status"], {}, result["message"])


def _parse_result(stdout: bytes) -> dict | None:
    """The child's answer, or None when it is not one (the child's own code is not trusted to be well-formed)."""
    if len(stdout) > RESULT_LIMIT_BYTES:
        return None
    try:
        result = json.loads(stdout)
        status, message = result["status"], str(result["message"])[:STDERR_TAIL_CHARS]
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    if status not in OUTCOME_STATUSES:
        return None
    return {**result, "message": message}


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
