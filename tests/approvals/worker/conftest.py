"""Fixtures for validation runs executed end to end: a Redis server started by the test, the test process's Celery
app publishing to it, and real `celery worker` / `celery beat` processes sharing the test's database and artifacts.

The worker and beat are other processes that only see committed rows: these tests use `transactional_db`.
"""
import contextlib
import itertools
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.db import connection
from kombu import pools

from registry_site.celery import app as celery_app
from tests.models_app.mlflow_api.processes import PROJECT_ROOT, child_env, free_port, stop_process_group

REDIS_SERVER = "/usr/bin/redis-server"
START_TIMEOUT_SECONDS = 60
LOG_TAIL_CHARS = 4000
# Short timings: a lost worker is noticed after 4 s, and beat runs the dispatcher and the sweeper every second.
WORKER_TIMINGS = {
    "VALIDATION_HEARTBEAT_SECONDS": "1",
    "VALIDATION_HEARTBEAT_TIMEOUT_SECONDS": "4",
    "VALIDATION_MAINTENANCE_INTERVAL_SECONDS": "1",
    "AUDIT_CHECKPOINT_INTERVAL_SECONDS": "1",
}


class RedisServer:
    """A redis-server without persistence on a free port; stop() then start() keeps the port (not the data)."""

    def __init__(self, folder: Path):
        self.log_path = folder / "redis.log"
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_until_answering()

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process)
            self.process = None

    def _wait_until_answering(self) -> None:
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        try:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    pytest.fail(f"redis-server exited with {self.process.returncode}:\n{_tail(self.log_path)}")
                with contextlib.suppress(redis.ConnectionError):
                    if client.ping():
                        return
                time.sleep(0.05)
        finally:
            client.close()
        pytest.fail(f"redis-server did not answer on port {self.port} within {START_TIMEOUT_SECONDS} s")


class CeleryProcess:
    """One `celery` command in its own process group, its output in a log file."""

    def __init__(self, name: str, arguments: list[str], *, env: dict, folder: Path):
        self.name = name
        self.log_path = folder / f"{name}.log"
        self.killed = False
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "celery", "-A", "registry_site", *arguments],
                                            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, pattern: str, *, timeout_seconds: float = START_TIMEOUT_SECONDS) -> re.Match:
        """The first match of `pattern` in the log, once it is written."""
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            found = re.search(pattern, self.log())
            if found:
                return found
            self.check_alive()
            time.sleep(0.1)
        pytest.fail(f"{self.name} did not log {pattern!r} within {timeout_seconds} s:\n{_tail(self.log_path)}")

    def check_alive(self) -> None:
        if not self.killed and self.process.poll() is not None:
            pytest.fail(f"{self.name} exited with {self.process.returncode}:\n{_tail(self.log_path)}")

    def descendants(self) -> dict[int, str]:
        """Pid -> command line of every live process below this one (a process in another session included)."""
        parents = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    # the command name in field 2 may hold spaces and parentheses: split after its last ")"
                    stat = Path(f"/proc/{entry}/stat").read_text()
                    parents[int(entry)] = int(stat[stat.rindex(")") + 2:].split()[1])
        found, frontier = {}, {self.pid}
        while frontier:
            frontier = {pid for pid, parent in parents.items() if parent in frontier and pid not in found}
            for pid in frontier:
                with contextlib.suppress(OSError):
                    found[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        return found

    def kill(self) -> None:
        """SIGKILL the whole process group: no warm shutdown, no message acknowledged or given back."""
        self.killed = True
        stop_process_group(self.process)


class CeleryProcesses:
    """Starts `celery worker` and `celery beat` for one test; everything started is killed when the test ends."""

    def __init__(self, *, env: dict, folder: Path):
        self.env, self.folder = env, folder
        self.started: list[CeleryProcess] = []
        self._numbers = itertools.count(1)

    def worker(self) -> CeleryProcess:
        number = next(self._numbers)
        # prefork with one child, as deployed; mingle, gossip and worker events only slow the start down here.
        return self._start(f"worker-{number}", [
            "worker", "--pool", "prefork", "--concurrency", "1", "--loglevel", "INFO",
            "-n", f"validation-test-{number}@%h", "--without-mingle", "--without-gossip", "--without-heartbeat"])

    def beat(self) -> CeleryProcess:
        number = next(self._numbers)
        return self._start(f"beat-{number}", [
            "beat", "--schedule", str(self.folder / f"beat-{number}-schedule"), "--loglevel", "INFO"])

    def _start(self, name: str, arguments: list[str]) -> CeleryProcess:
        process = CeleryProcess(name, arguments, env=self.env, folder=self.folder)
        self.started.append(process)
        return process

    def check_alive(self) -> None:
        for process in self.started:
            process.check_alive()

    def logs(self) -> str:
        return "\n".join(f"--- {process.name} ---\n{_tail(process.log_path)}" for process in self.started)

    def stop_all(self) -> None:
        for process in self.started:
            if process.process.poll() is None:
                process.kill()


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-LOG_TAIL_CHARS:] if path.exists() else "(no log)"


def _test_database_url() -> str:
    """The database this test uses (test_…, with the xdist suffix), as a URL for the other processes."""
    database = connection.settings_dict
    credentials = quote(database["USER"] or "", safe="")
    if database["PASSWORD"]:
        credentials += f":{quote(database['PASSWORD'], safe='')}"
    host = database["HOST"] or ""
    port = f":{database['PORT']}" if database["PORT"] else ""
    return f"postgresql://{credentials}@{host}{port}/{quote(database['NAME'], safe='')}"


def _forget_broker_connections() -> None:
    """Drop pooled broker connections (as Celery does after a fork): the next publish uses the current broker_url."""
    celery_app._pool = None
    amqp = celery_app.__dict__.get("amqp")  # a cached property: absent until something published
    if amqp is not None:
        amqp._producer_pool = None
    pools.reset()  # closes kombu's pools, which are kept per broker URL for the whole process


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def broker(redis_server):
    """The test process publishes tasks to `redis_server` instead of running them in-process (eager)."""
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url")}
    celery_app.conf.update(task_always_eager=False, broker_url=redis_server.url)
    _forget_broker_connections()
    try:
        yield redis_server
    finally:
        _forget_broker_connections()
        celery_app.conf.update(saved)  # later tests in this process run eager again


@pytest.fixture
def celery_processes(broker, transactional_db, settings, tmp_path):
    """Starts workers and beat against `broker`, the test's database and artifact folder; stopped before the
    database is flushed (this fixture depends on transactional_db, so it is torn down first)."""
    if connection.vendor != "postgresql":
        pytest.skip("a worker process needs a database it can share with the test: PostgreSQL")
    env = child_env(
        CELERY_BROKER_URL=broker.url, DATABASE_URL=_test_database_url(),
        # where this test's artifact storage writes (tests/conftest.py's _fast_settings); no S3 for the children
        ARTIFACTS_ROOT=str(settings.STORAGES["artifacts"]["OPTIONS"]["location"]), ARTIFACTS_S3_BUCKET="",
        VALIDATION_DATASET_ROOT=str(settings.STORAGES["validation_datasets"]["OPTIONS"]["location"]),
        # the test's audit key and checkpoint file, so that the children's checkpoints are the test's
        AUDIT_HMAC_KEY=settings.AUDIT_HMAC_KEY, AUDIT_CHECKPOINT_PATH=str(settings.AUDIT_CHECKPOINT_PATH),
        AUDIT_CHECKPOINT_S3_BUCKET="",
        DJANGO_SETTINGS_MODULE="registry_site.settings", **WORKER_TIMINGS)
    env.pop("REDIS_URL", None)
    processes = CeleryProcesses(env=env, folder=tmp_path)
    try:
        yield processes
    finally:
        processes.stop_all()
