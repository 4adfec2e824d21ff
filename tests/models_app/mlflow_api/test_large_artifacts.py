"""A file over 100 MB goes up and down through the real client while the server's memory stays flat.

The server runs as its own process (runserver --noreload against the test database) so that its
resident memory can be read from /proc without the test process and the client mixed in.
"""
import contextlib
import hashlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import mlflow
import pytest
import requests
from django.db import connection
from mlflow import MlflowClient

from models_app.choices import EntryPoint
from models_app.services.tokens import api_token_create

from .processes import PROJECT_ROOT, child_env, free_port, stop_process_group

pytestmark = pytest.mark.mlflow_client

FILE_SIZE = 101 * 1024 * 1024
CHUNK_SIZE = 1024 * 1024
# The whole file in memory would add ~101 MB; a streaming server stays within buffers and allocator noise.
MAX_SERVER_GROWTH = 50 * 1024 * 1024
SERVER_START_TIMEOUT_SECONDS = 30


def database_url() -> str:
    """The test database pytest-django created (test_<name>, or test_<name>_gw<n> under xdist)."""
    db = connection.settings_dict
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or "5432"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgresql://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


def wait_until_listening(process: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"runserver exited {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    pytest.fail(f"runserver did not listen on {url} within {SERVER_START_TIMEOUT_SECONDS} s")


@pytest.fixture
def server(transactional_db, tmp_path):
    """A separate server process on a free port; yields (url, pid). Its process group is killed afterwards."""
    port = free_port()
    log = tmp_path / "runserver.log"
    env = child_env(DATABASE_URL=database_url(), DJANGO_DEBUG="false",
                    ARTIFACTS_ROOT=str(tmp_path / "server-artifacts"))
    env.pop("ARTIFACTS_S3_BUCKET", None)
    command = [sys.executable, str(PROJECT_ROOT / "manage.py"), "runserver", f"127.0.0.1:{port}", "--noreload",
               "--skip-checks"]
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_listening(process, url, log)
        yield url, process.pid
    finally:
        stop_process_group(process)


@pytest.fixture
def tracking(server, owner, monkeypatch):
    url, _pid = server
    raw, _token = api_token_create(user=owner, name="large files", entry_point=EntryPoint.COMMAND)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", raw)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    mlflow.set_tracking_uri(url)
    yield MlflowClient(tracking_uri=url)
    mlflow.set_tracking_uri(None)  # later tests must not talk to this test's server


def write_random_file(path: Path, size: int) -> str:
    """Write `size` random bytes chunk by chunk; returns their sha256."""
    digest = hashlib.sha256()
    with path.open("wb") as handle:
        for offset in range(0, size, CHUNK_SIZE):
            chunk = os.urandom(min(CHUNK_SIZE, size - offset))
            digest.update(chunk)
            handle.write(chunk)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.hexdigest()


def memory_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"/proc/{pid}/status has no {field}")


class RssSampler(threading.Thread):
    """Polls a process's resident memory and keeps the highest value seen."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kib = memory_kib(pid, "VmRSS")
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.wait(0.02):
            self.peak_kib = max(self.peak_kib, memory_kib(self.pid, "VmRSS"))

    def stop(self) -> int:
        self.stopped.set()
        self.join()
        return self.peak_kib


def reset_peak_rss(pid: int) -> None:
    # Writing 5 to clear_refs resets VmHWM (Linux >= 4.0); where refused, VmHWM still bounds the peak from above.
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


def warm_up(tracking: MlflowClient, run_id: str, tmp_path: Path) -> None:
    """One small round trip first, so lazy imports and first-request caches are not counted as growth."""
    small = tmp_path / "warm-up.txt"
    small.write_text("warm up")
    tracking.log_artifact(run_id, str(small))
    mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="warm-up.txt", dst_path=str(tmp_path / "w"))


def test_it_streams_a_file_over_100_mb_both_ways_without_growing_the_server(tracking, server, tmp_path):
    _url, pid = server
    experiment_id = tracking.create_experiment("Large artifacts")
    run_id = tracking.create_run(experiment_id).info.run_id
    warm_up(tracking, run_id, tmp_path)
    upload = tmp_path / "weights.bin"
    expected_sha256 = write_random_file(upload, FILE_SIZE)

    baseline_kib = memory_kib(pid, "VmRSS")
    reset_peak_rss(pid)
    sampler = RssSampler(pid)
    sampler.start()
    try:
        tracking.log_artifact(run_id, str(upload), artifact_path="big")
        downloaded = mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path="big/weights.bin", dst_path=str(tmp_path / "down")
        )
    finally:
        sampled_peak_kib = sampler.stop()
    peak_kib = max(sampled_peak_kib, memory_kib(pid, "VmHWM"))

    assert Path(downloaded).stat().st_size == FILE_SIZE
    assert file_sha256(Path(downloaded)) == expected_sha256
    listed = {entry.path: entry.file_size for entry in tracking.list_artifacts(run_id, "big")}
    assert listed == {"big/weights.bin": FILE_SIZE}
    growth = (peak_kib - baseline_kib) * 1024
    assert growth < MAX_SERVER_GROWTH, f"server RSS grew by {growth / 2**20:.1f} MiB for a {FILE_SIZE / 2**20} MiB file"
