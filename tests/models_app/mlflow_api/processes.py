"""Helpers for tests that run the mlflow client or the server as separate processes."""
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

VENV_BIN = Path(sys.executable).parent
PROJECT_ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def child_env(**overrides: str) -> dict:
    """The current environment without MLflow settings, plus `overrides`.

    Each child imports mlflow, sklearn and skops afresh; with bytecode writes off (as here) that means
    compiling thousands of modules per process. A private pycache folder, kept between sessions, lets
    later children reuse the bytecode without writing into the virtualenv (bytecode writes are atomic).
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / f"registry-tests-child-pycache-{os.getuid()}")
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    # A server error must fail the client at once instead of after minutes of retries.
    env["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
    return {**env, **overrides}


def stop_process_group(process: subprocess.Popen) -> None:
    """Kill the process and everything it started (mlflow models serve spawns uvicorn through bash)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)

