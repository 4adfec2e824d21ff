"""`make bench`: this server and MLflow's own, side by side, on the same MLflow-REST workload.

Each round starts both servers on fresh PostgreSQL databases (MLflow 3.17.2 under uvicorn with 2 workers,
this server under gunicorn with 2 workers, a Celery worker and beat), drives them with the same operations
from 4 keep-alive clients, and stops them. Rounds alternate which server goes first. It prints, per
operation, ops/s, p50/p95/p99 latency, server CPU ms per operation, errors and the ratio ours/MLflow;
each server's resident memory (whole process tree) and its growth during a 200 MB transfer; the COPY
ceiling of the metric table on the same database; and whether each target of the benchmark is met.
Results go to bench/results/ as JSON and a markdown table. Nothing here is part of `make test`.

    make bench                      # full size, two rounds
    BENCH_SCALE=0.1 make bench      # a quick look (a tenth of every count)
"""
from __future__ import annotations

import io
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
RESULTS = ROOT / "bench" / "results"
MLFLOW_VERSION = "3.17.2"
PG = os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
SCALE = float(os.environ.get("BENCH_SCALE", "1"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
CLIENTS = 4
TRANSFER_MB = int(os.environ.get("BENCH_TRANSFER_MB", "200"))
BENCH_USER, BENCH_PASSWORD = "bench", "bench-pass"


def count(n: int) -> int:
    return max(4, int(n * SCALE))


# --- processes -----------------------------------------------------------------------------------

def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def process_tree(pid: int) -> list[int]:
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(_children(current))
    return tree


def cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    return total


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


@dataclass
class Server:
    name: str
    port: int
    auth: tuple | None
    processes: list = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> list[int]:
        return [pid for process in self.processes for pid in process_tree(process.pid)]

    def cpu(self) -> float:
        return cpu_seconds(self.pids())

    def rss(self) -> int:
        return rss_bytes(self.pids())

    def session(self) -> requests.Session:
        session = requests.Session()
        session.auth = self.auth
        return session

    def wait_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/api/2.0/mlflow/experiments/search?max_results=1", auth=self.auth,
                                timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {process.returncode}; see {VAR}/{self.name}*.log")
            time.sleep(0.5)
        raise RuntimeError(f"{self.name} did not answer within {timeout} s")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def _spawn(args: list[str], env: dict, log_name: str) -> subprocess.Popen:
    log = open(VAR / f"{log_name}.log", "w")  # noqa: SIM115 - the server outlives this call
    return subprocess.Popen(args, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                            start_new_session=True)


def fresh_database(name: str) -> str:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{PG}/{name}"


def mlflow_venv() -> Path:
    venv = VAR / f"mlflow-{MLFLOW_VERSION}"
    python = venv / "bin" / "python"
    if not (venv / "bin" / "mlflow").exists():
        uv = ROOT / ".venv" / "bin" / "uv"
        subprocess.run([str(uv), "venv", "-q", "--python", sys.executable, str(venv)], check=True)
        subprocess.run([str(uv), "pip", "install", "-q", "--python", str(python), f"mlflow=={MLFLOW_VERSION}",
                        "psycopg2-binary==2.9.11"], check=True)
    return venv


def start_mlflow(port: int) -> Server:
    database = fresh_database("bench_mlflow").replace("postgresql://", "postgresql+psycopg2://")
    artifacts = VAR / "mlflow-artifacts"
    shutil.rmtree(artifacts, ignore_errors=True)
    server = Server("mlflow", port, None)
    server.processes.append(_spawn([
        str(mlflow_venv() / "bin" / "mlflow"), "server", "--backend-store-uri", database,
        "--artifacts-destination", str(artifacts), "--serve-artifacts", "--workers", "2",
        "--host", "127.0.0.1", "--port", str(port)], {}, "mlflow"))
    server.wait_ready()
    return server


def start_ours(port: int) -> Server:
    database = fresh_database("bench_registry")
    artifacts = VAR / "registry-artifacts"
    shutil.rmtree(artifacts, ignore_errors=True)
    env = {
        "DATABASE_URL": database, "DATABASE_CONN_MAX_AGE": "60", "DJANGO_DEBUG": "false",
        "ARTIFACTS_ROOT": str(artifacts), "CELERY_BROKER_URL": REDIS, "DJANGO_LOG_LEVEL": "WARNING",
        "REGISTRY_DEFAULT_PERMISSION": "CAN_MANAGE", "REGISTRY_DEFAULT_EXPERIMENT_PERMISSION": "EDIT",
        # The benchmark is four clients hammering one account: rate limits would measure themselves.
        "REGISTRY_API_THROTTLE_RATE": "", "REGISTRY_MLFLOW_API_THROTTLE_RATE": "", "REGISTRY_LOGIN_THROTTLE": "false",
    }
    python = str(ROOT / ".venv" / "bin" / "python")
    subprocess.run([python, "manage.py", "migrate", "--no-input", "-v0"], env={**os.environ, **env}, cwd=ROOT,
                   check=True)
    subprocess.run([python, "manage.py", "shell", "-c", (
        "from django.contrib.auth import get_user_model; from django.contrib.auth.models import Group; "
        f"get_user_model().objects.create_superuser('{BENCH_USER}', 'bench@example.com', '{BENCH_PASSWORD}'); "
        "approver = get_user_model().objects.create_user('bench-approver', password='bench-approver-pass'); "
        "Group.objects.create(name='bench-approvers').user_set.add(approver)")],
        env={**os.environ, **env}, cwd=ROOT, check=True)
    bin_dir = ROOT / ".venv" / "bin"
    server = Server("registry", port, (BENCH_USER, BENCH_PASSWORD))
    server.processes.append(_spawn([str(bin_dir / "gunicorn"), "registry_site.wsgi", "--workers", "2",
                                    "--bind", f"127.0.0.1:{port}", "--keep-alive", "30"], env, "registry-web"))
    server.processes.append(_spawn([str(bin_dir / "celery"), "-A", "registry_site", "worker", "--concurrency", "1",
                                    "--loglevel", "WARNING"], {**env, "PATH": f"{bin_dir}:{os.environ['PATH']}"},
                                   "registry-worker"))
    server.processes.append(_spawn([str(bin_dir / "celery"), "-A", "registry_site", "beat", "--loglevel", "WARNING",
                                    "--schedule", str(VAR / "beat-schedule")], env, "registry-beat"))
    server.wait_ready()
    return server


# --- the workload ------------------------------------------------------------------------------

class RequestFailed(Exception):
    pass


def call(session: requests.Session, server: Server, method: str, path: str, payload=None, **kwargs):
    url = f"{server.url}/api/2.0/{path}"
    if method == "GET":
        response = session.get(url, params=payload, timeout=120, **kwargs)
    else:
        response = session.request(method, url, json=payload, timeout=120, **kwargs)
    if response.status_code != 200:
        raise RequestFailed(f"{method} {path}: {response.status_code} {response.text[:200]}")
    return response.json() if response.headers.get("content-type", "").startswith("application/json") else response


def measure(server: Server, name: str, operation, total: int, *, clients: int = CLIENTS, rows_per_op: int = 0) -> dict:
    """Run `operation(session, index)` `total` times from `clients` threads; latencies, throughput, CPU."""
    sessions = [server.session() for _ in range(clients)]
    latencies, errors, lock = [], [], threading.Lock()

    def worker(client_index: int) -> None:
        session = sessions[client_index]
        for index in range(client_index, total, clients):
            started = time.perf_counter()
            try:
                operation(session, index)
            except (RequestFailed, requests.RequestException) as error:
                with lock:
                    errors.append(str(error))
                continue
            with lock:
                latencies.append(time.perf_counter() - started)

    cpu_before, started = server.cpu(), time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, range(clients)))
    wall = time.perf_counter() - started
    cpu_used = server.cpu() - cpu_before
    latencies.sort()
    print(f"  {name}: {total} ops in {wall:.1f} s, {len(errors)} errors", flush=True)

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000 if latencies else float("nan")

    result = {
        "ops": total, "ops_per_s": len(latencies) / wall, "p50_ms": percentile(0.50), "p95_ms": percentile(0.95),
        "p99_ms": percentile(0.99), "cpu_ms_per_op": cpu_used * 1000 / max(1, total), "errors": len(errors),
        "first_error": errors[0] if errors else "",
    }
    if rows_per_op:
        result["rows_per_s"] = result["ops_per_s"] * rows_per_op
    return result


def _metrics(count_: int, step0: int = 0) -> list[dict]:
    return [{"key": f"m{i % 10}", "value": random.random(), "timestamp": 1_700_000_000_000 + i, "step": step0 + i}
            for i in range(count_)]


def workload(server: Server) -> dict:
    """Every operation of the comparison, on one server; returns {operation: figures}."""
    setup = server.session()
    results = {}
    tag = uuid.uuid4().hex[:8]

    def timed(name: str, operation, total: int, **options) -> None:
        results[name] = measure(server, name, operation, total, **options)

    experiment_id = call(setup, server, "POST", "mlflow/experiments/create", {"name": f"bench-{tag}"})["experiment_id"]

    timed("experiments/create", lambda s, i: call(
        s, server, "POST", "mlflow/experiments/create", {"name": f"exp-{tag}-{i}"}), count(200))

    run_ids = []

    def create_run(session, index):
        run = call(session, server, "POST", "mlflow/runs/create",
                   {"experiment_id": experiment_id, "start_time": 1_700_000_000_000 + index, "run_name": f"r{index}"})
        run_ids.append(run["run"]["info"]["run_id"])

    timed("runs/create", create_run, count(400))
    for size, total in ((100, count(200)), (1000, count(50))):
        timed(f"runs/log-batch ({size} metrics)", lambda s, i, size=size: call(
            s, server, "POST", "mlflow/runs/log-batch",
            {"run_id": run_ids[i % len(run_ids)], "metrics": _metrics(size, step0=i * size)}), total, rows_per_op=size)
    timed("runs/log-metric", lambda s, i: call(
        s, server, "POST", "mlflow/runs/log-metric",
        {"run_id": run_ids[i % len(run_ids)], "key": "single", "value": i * 0.1, "timestamp": i, "step": i}),
        count(1000))

    # Versions of one model from 4 clients at once: numbers must come out 1..n, no duplicate, no gap.
    call(setup, server, "POST", "mlflow/registered-models/create", {"name": f"race-{tag}"})
    source_run = run_ids[0]
    timed("model-versions/create (4 clients, one model)", lambda s, i: call(
        s, server, "POST", "mlflow/model-versions/create",
        {"name": f"race-{tag}", "source": f"runs:/{source_run}/model", "run_id": source_run}), count(200))
    numbers = [int(v["version"]) for v in _all_versions(setup, server, f"race-{tag}")]
    results["model-versions/create (4 clients, one model)"].update(
        duplicates=len(numbers) - len(set(numbers)), gaps=(max(numbers) - len(set(numbers))) if numbers else 0)

    timed("model-versions/transition-stage (archive existing)", lambda s, i: call(
        s, server, "POST", "mlflow/model-versions/transition-stage",
        {"name": f"race-{tag}", "version": str(1 + i % max(1, len(numbers))), "stage": "Production",
         "archive_existing_versions": True}), count(200), clients=1)

    # Reads over 20 models x 25 versions, 500 runs with a metric, a 10k-step history.
    for model_index in range(20):
        name = f"read-{tag}-{model_index:02d}"
        call(setup, server, "POST", "mlflow/registered-models/create", {"name": name})
        for _ in range(25):
            call(setup, server, "POST", "mlflow/model-versions/create",
                 {"name": name, "source": f"runs:/{source_run}/model", "run_id": source_run})
    search_experiment = call(setup, server, "POST", "mlflow/experiments/create", {"name": f"search-{tag}"})[
        "experiment_id"]
    for index in range(count(500)):
        run_id = call(setup, server, "POST", "mlflow/runs/create",
                      {"experiment_id": search_experiment, "start_time": index})["run"]["info"]["run_id"]
        call(setup, server, "POST", "mlflow/runs/log-batch", {"run_id": run_id, "metrics": [
            {"key": "acc", "value": random.random(), "timestamp": 1, "step": 0}]})
    history_run = run_ids[1]
    for chunk in range(10):
        call(setup, server, "POST", "mlflow/runs/log-batch", {"run_id": history_run, "metrics": [
            {"key": "history", "value": i * 0.5, "timestamp": i, "step": chunk * 1000 + i} for i in range(1000)]})

    timed("model-versions/search (by name)", lambda s, i: call(
        s, server, "GET", "mlflow/model-versions/search", {"filter": f"name='read-{tag}-{i % 20:02d}'"}), count(300))
    for page in (100, 5):
        timed(f"registered-models/search (max_results={page})", lambda s, i, page=page: call(
            s, server, "GET", "mlflow/registered-models/search", {"max_results": page}), count(200))
    timed("registered-models/get-latest-versions", lambda s, i: call(
        s, server, "POST", "mlflow/registered-models/get-latest-versions", {"name": f"read-{tag}-{i % 20:02d}"}),
        count(300))
    timed("runs/search (metric filter, order_by)", lambda s, i: call(
        s, server, "POST", "mlflow/runs/search", {"experiment_ids": [search_experiment],
                                                  "filter": "metrics.acc > 0.5", "order_by": ["metrics.acc DESC"],
                                                  "max_results": 100}), count(200))
    timed("metrics/get-history (10k steps)", lambda s, i: call(
        s, server, "GET", "mlflow/metrics/get-history", {"run_id": history_run, "metric_key": "history"}), count(50))
    results.update(transfer(server, experiment_id))
    return results


def _all_versions(session, server, name: str) -> list[dict]:
    versions, token = [], None
    while True:
        payload = {"filter": f"name='{name}'", "max_results": 200, **({"page_token": token} if token else {})}
        page = call(session, server, "GET", "mlflow/model-versions/search", payload)
        versions += page.get("model_versions", [])
        token = page.get("next_page_token")
        if not token:
            return versions


class _Payload(io.RawIOBase):
    """A stream of `size` pseudo-random bytes that is never held whole in memory."""

    def __init__(self, size: int):
        self.remaining = size
        self.block = os.urandom(1 << 20)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.remaining, len(self.block))
        buffer[:n] = self.block[:n]
        self.remaining -= n
        return n


def transfer(server: Server, experiment_id: str) -> dict:
    """A 200 MB artifact up and down, with the server's resident memory sampled meanwhile."""
    size = TRANSFER_MB << 20
    session = server.session()
    path = f"{experiment_id}/bench-transfer/artifacts/blob.bin"
    baseline, peak, sampling = server.rss(), [0], [True]

    def sample():
        while sampling[0]:
            peak[0] = max(peak[0], server.rss())
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    cpu_before = server.cpu()
    started = time.perf_counter()
    upload = session.put(f"{server.url}/api/2.0/mlflow-artifacts/artifacts/{path}", data=_Payload(size),
                         headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
                         timeout=600)
    up = time.perf_counter() - started
    started = time.perf_counter()
    received = 0
    with session.get(f"{server.url}/api/2.0/mlflow-artifacts/artifacts/{path}", stream=True, timeout=600) as download:
        for chunk in download.iter_content(1 << 20):
            received += len(chunk)
    down = time.perf_counter() - started
    cpu_used = server.cpu() - cpu_before
    sampling[0] = False
    sampler.join()
    errors = int(upload.status_code != 200) + int(received != size)
    return {
        f"artifact upload ({TRANSFER_MB} MB)": {"ops": 1, "mb_per_s": TRANSFER_MB / up, "errors": errors,
                                                "cpu_ms_per_op": cpu_used * 1000 / 2},
        f"artifact download ({TRANSFER_MB} MB)": {"ops": 1, "mb_per_s": TRANSFER_MB / down, "errors": errors,
                                                  "cpu_ms_per_op": cpu_used * 1000 / 2},
        "memory": {"resident_mb": baseline / 2**20, "growth_during_transfer_mb": max(0, peak[0] - baseline) / 2**20},
    }


def governed_promotion(server: Server) -> dict:
    """This server only: request -> validation -> approve -> applied, for a small scikit-learn model."""
    script = ROOT / "bench" / "governed_promotion.py"
    completed = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), str(script), server.url, BENCH_USER,
                                BENCH_PASSWORD], capture_output=True, text=True, cwd=ROOT, timeout=600)
    if completed.returncode != 0:
        return {"errors": 1, "first_error": (completed.stderr or completed.stdout)[-500:]}
    return json.loads(completed.stdout.strip().splitlines()[-1])


def copy_ceiling() -> dict:
    """Rows/s that PostgreSQL COPY reaches into a table shaped and indexed like this server's metric table."""
    rows = int(500_000 * max(SCALE, 0.2))
    with psycopg.connect(f"{PG}/bench_registry") as connection:
        connection.execute("CREATE TEMP TABLE copy_ceiling (LIKE models_app_metric INCLUDING ALL)")
        columns = [row[0] for row in connection.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'models_app_metric' "
            "AND column_name <> 'id' ORDER BY ordinal_position")]
        run_pk = connection.execute("SELECT id FROM models_app_run LIMIT 1").fetchone()[0]
        values = {"key": lambda i: f"m{i % 10}", "value": lambda i: i * 0.5, "timestamp": lambda i: i,
                  "step": lambda i: i, "is_nan": lambda i: False, "run_id": lambda i: run_pk}
        started = time.perf_counter()
        with connection.cursor().copy(f"COPY copy_ceiling ({', '.join(columns)}) FROM STDIN") as copy:
            for i in range(rows):
                copy.write_row([values.get(column, lambda i: None)(i) for column in columns])
        elapsed = time.perf_counter() - started
        connection.rollback()
    return {"rows": rows, "rows_per_s": rows / elapsed}


# --- the report --------------------------------------------------------------------------------

def merge_rounds(rounds: list[dict]) -> dict:
    """Median of each figure over the rounds, errors summed."""
    merged = {}
    for operation in rounds[0]:
        merged[operation] = {}
        for key, value in rounds[0][operation].items():
            values = [r[operation].get(key) for r in rounds if operation in r]
            if key in ("errors", "duplicates", "gaps"):
                merged[operation][key] = sum(v or 0 for v in values)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                merged[operation][key] = statistics.median(v for v in values if v is not None)
            else:
                merged[operation][key] = next((v for v in values if v), value)
    return merged


def targets(ours: dict, theirs: dict, ceiling: dict) -> list[tuple[str, bool, str]]:
    checks = []
    for operation, figures in ours.items():
        if operation in ("memory", "governed promotion") or operation not in theirs:
            continue
        if "mb_per_s" in figures:
            ratio = figures["mb_per_s"] / theirs[operation]["mb_per_s"]
            checks.append((f"{operation}: throughput >= 1.5x MLflow", ratio >= 1.5, f"{ratio:.2f}x"))
            continue
        ratio = figures["ops_per_s"] / theirs[operation]["ops_per_s"]
        p95 = figures["p95_ms"] / theirs[operation]["p95_ms"]
        checks.append((f"{operation}: throughput >= 1.5x and p95 <= 2/3 of MLflow's", ratio >= 1.5 and p95 <= 2 / 3,
                       f"{ratio:.2f}x, p95 {p95:.2f}"))
    batch = "runs/log-batch (1000 metrics)"
    rows_ratio = ours[batch]["rows_per_s"] / theirs[batch]["rows_per_s"]
    checks.append(("log-batch rows/s >= 5x MLflow's", rows_ratio >= 5, f"{rows_ratio:.2f}x"))
    share = ours[batch]["rows_per_s"] / ceiling["rows_per_s"]
    checks.append(("log-batch (1000) >= 50% of the indexed COPY ceiling", share >= 0.5, f"{share:.0%}"))
    memory = ours["memory"]
    checks.append(("server resident memory < 600 MB", memory["resident_mb"] < 600, f"{memory['resident_mb']:.0f} MB"))
    checks.append(("memory growth during the transfer < 64 MB", memory["growth_during_transfer_mb"] < 64,
                   f"{memory['growth_during_transfer_mb']:.0f} MB"))
    errors = sum(f.get("errors", 0) for f in ours.values())
    race = ours["model-versions/create (4 clients, one model)"]
    checks.append(("zero errors, duplicate or skipped version numbers",
                   errors == 0 and race["duplicates"] == 0 and race["gaps"] == 0,
                   f"{errors} errors, {race['duplicates']} duplicates, {race['gaps']} gaps"))
    promotion = ours.get("governed promotion", {})
    if "total_s" in promotion:
        checks.append(("governed promotion < 15 s, validation < 10 s",
                       promotion["total_s"] < 15 and promotion["validation_s"] < 10,
                       f"{promotion['total_s']:.1f} s, validation {promotion['validation_s']:.1f} s"))
    else:
        checks.append(("governed promotion < 15 s, validation < 10 s", False, promotion.get("first_error", "")))
    return checks


def _fmt(value, digits=1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def report(ours: dict, theirs: dict, ceiling: dict) -> str:
    lines = ["| operation | ours ops/s | MLflow ops/s | ratio | ours p50/p95/p99 ms | MLflow p50/p95/p99 ms "
             "| ours CPU ms/op | MLflow CPU ms/op | errors (ours/MLflow) |", "|" + "---|" * 9]
    for operation, figures in ours.items():
        other = theirs.get(operation, {})
        if operation in ("memory", "governed promotion"):
            continue
        if "mb_per_s" in figures:
            lines.append(f"| {operation} | {_fmt(figures['mb_per_s'])} MB/s | {_fmt(other.get('mb_per_s'))} MB/s | "
                         f"{figures['mb_per_s'] / other['mb_per_s']:.2f}x | | | {_fmt(figures['cpu_ms_per_op'])} | "
                         f"{_fmt(other.get('cpu_ms_per_op'))} | {figures['errors']}/{other.get('errors')} |")
            continue
        rows = f" ({_fmt(figures['rows_per_s'], 0)} vs {_fmt(other.get('rows_per_s'), 0)} rows/s)" \
            if "rows_per_s" in figures else ""
        lines.append(
            f"| {operation}{rows} | {_fmt(figures['ops_per_s'])} | {_fmt(other.get('ops_per_s'))} | "
            f"{figures['ops_per_s'] / other['ops_per_s']:.2f}x | {_fmt(figures['p50_ms'])}/{_fmt(figures['p95_ms'])}/"
            f"{_fmt(figures['p99_ms'])} | {_fmt(other.get('p50_ms'))}/{_fmt(other.get('p95_ms'))}/"
            f"{_fmt(other.get('p99_ms'))} | {_fmt(figures['cpu_ms_per_op'])} | {_fmt(other.get('cpu_ms_per_op'))} | "
            f"{figures['errors']}/{other.get('errors')} |")
    lines += ["", f"Resident memory: ours {ours['memory']['resident_mb']:.0f} MB (web, Celery worker and beat), "
                  f"MLflow {theirs['memory']['resident_mb']:.0f} MB; growth during the {TRANSFER_MB} MB transfer: ours "
                  f"{ours['memory']['growth_during_transfer_mb']:.0f} MB, MLflow "
                  f"{theirs['memory']['growth_during_transfer_mb']:.0f} MB.",
              f"COPY ceiling into an indexed metric table: {ceiling['rows_per_s']:,.0f} rows/s.",
              f"Governed promotion (ours only): {json.dumps(ours.get('governed promotion', {}))}", "",
              "| target | met | figure |", "|---|---|---|"]
    lines += [f"| {name} | {'met' if met else 'NOT MET'} | {figure} |" for name, met, figure in targets(
        ours, theirs, ceiling)]
    return "\n".join(lines)


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    load = os.getloadavg()
    return (f"{os.cpu_count()} cores ({cpu}), {memory} MB RAM, {platform.platform()}, Python "
            f"{platform.python_version()}; load average at start {load[0]:.1f}")


def _stop_on_signal(signum, frame):
    raise SystemExit(f"stopped by signal {signum}")  # runs the `finally` that stops the servers


def main() -> None:
    signal.signal(signal.SIGTERM, _stop_on_signal)
    VAR.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    description = machine()
    print(f"machine: {description}\nscale {SCALE}, {ROUNDS} rounds, {CLIENTS} clients", flush=True)
    runs = {"registry": [], "mlflow": []}
    ceiling = None
    for round_index in range(ROUNDS):
        order = (start_mlflow, start_ours) if round_index % 2 == 0 else (start_ours, start_mlflow)
        for start in order:
            server = start(5400 + round_index * 2 + (start is start_ours))
            try:
                print(f"round {round_index + 1}: {server.name}", flush=True)
                figures = workload(server)
                if server.name == "registry":
                    figures["governed promotion"] = governed_promotion(server)
                    ceiling = ceiling or copy_ceiling()
                runs[server.name].append(figures)
            finally:
                server.stop()
    ours, theirs = merge_rounds(runs["registry"]), merge_rounds(runs["mlflow"])
    table = report(ours, theirs, ceiling)
    print(table)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    payload = {"machine": description, "scale": SCALE, "rounds": ROUNDS, "clients": CLIENTS,
               "mlflow_version": MLFLOW_VERSION, "registry": ours, "mlflow": theirs, "copy_ceiling": ceiling,
               "per_round": runs}
    (RESULTS / f"compare-{stamp}.json").write_text(json.dumps(payload, indent=2))
    (RESULTS / f"compare-{stamp}.md").write_text(
        f"# This server vs MLflow {MLFLOW_VERSION}, {stamp}\n\nMachine: {description}. Scale {SCALE}, {ROUNDS} rounds "
        f"alternating, {CLIENTS} keep-alive clients, fresh PostgreSQL database per server and round.\n\n{table}\n")


if __name__ == "__main__":
    main()
