"""Benchmark: searches, pages and metric history at scale (design target: 100k runs, 10M metric points).

Fills one experiment with BENCH_RUNS runs (default 100,000), each with BENCH_POINTS_PER_RUN metric points
(default 100, split over two keys: 10M points) plus params, bulk-loaded with PostgreSQL's COPY; a second
invocation with the same sizes reuses them. Then times what users do against that experiment, through the
real HTTP stack (MLflow API and dashboard pages), and prints the median time and the SQL statements each
takes. Not a test: it asserts nothing. PostgreSQL only:

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/registry_bench .venv/bin/python bench/search_at_scale.py

Drop the database to start over (`dropdb -h 127.0.0.1 -U postgres registry_bench`).
"""
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry_site.settings")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from models_app.choices import EntryPoint, LifecycleStage, RunStatus  # noqa: E402
from models_app.models import Experiment, LatestMetric, Metric, Param, Run  # noqa: E402
from models_app.services.experiments import experiment_create  # noqa: E402
from models_app.services.tokens import api_token_create  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "100000"))
POINTS_PER_RUN = int(os.environ.get("BENCH_POINTS_PER_RUN", "100"))
KEYS = ("loss", "accuracy")
MODELS = ("rf", "gbm", "logreg", "mlp")
ROUNDS = 5
START_MS = 1_700_000_000_000
MLFLOW = "/api/2.0/mlflow"


def _copy(table_model, columns: list[str], rows) -> None:
    """COPY `rows` into the model's table (psycopg 3's copy protocol, far faster than INSERTs)."""
    table = table_model._meta.db_table
    with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _runs(experiment: Experiment, run_ids: list[str]):
    for index, run_id in enumerate(run_ids):
        start = START_MS + index * 1000
        yield (run_id, experiment.pk, f"run-{index}", "bench", RunStatus.FINISHED, start, start + 500,
               LifecycleStage.ACTIVE, f"{experiment.artifact_location}/{run_id}/artifacts")


def _params(run_ids: list[str]):
    for index, run_id in enumerate(run_ids):
        yield run_id, "model", MODELS[index % len(MODELS)]
        yield run_id, "alpha", str(round((index % 100) * 0.01, 2))


def _metric_value(key: str, run_index: int, step: int) -> float:
    """Loss falls and accuracy rises with the step; each run ends somewhere between 0.5 and 1."""
    quality = 0.5 + (run_index * 7919 % 10_000) / 20_000
    progress = (step + 1) / (POINTS_PER_RUN // len(KEYS))
    return quality * progress if key == "accuracy" else (1 - quality * progress)


def _metrics(run_ids: list[str]):
    steps = POINTS_PER_RUN // len(KEYS)
    for index, run_id in enumerate(run_ids):
        for key in KEYS:
            for step in range(steps):
                yield run_id, key, _metric_value(key, index, step), False, START_MS + index * 1000 + step, step, ""


def _latest_metrics(run_ids: list[str]):
    last = POINTS_PER_RUN // len(KEYS) - 1
    for index, run_id in enumerate(run_ids):
        for key in KEYS:
            yield run_id, key, _metric_value(key, index, last), False, START_MS + index * 1000 + last, last


def populate() -> Experiment:
    name = f"bench-scale-{RUNS}x{POINTS_PER_RUN}"
    experiment = Experiment.objects.filter(name=name).first()
    if experiment is not None and experiment.runs.count() == RUNS:
        print(f"reusing experiment {name!r}")
        return experiment
    if experiment is not None:
        experiment.delete()
    experiment = experiment_create(name=name, actor=None, entry_point=EntryPoint.COMMAND)
    run_ids = [uuid.uuid4().hex for _ in range(RUNS)]
    started = time.perf_counter()
    _copy(Run, ["run_uuid", "experiment_id", "name", "user_id", "status", "start_time", "end_time",
                "lifecycle_stage", "artifact_uri"], _runs(experiment, run_ids))
    _copy(Param, ["run_id", "key", "value"], _params(run_ids))
    _copy(Metric, ["run_id", "key", "value", "is_nan", "timestamp", "step", "model_id"], _metrics(run_ids))
    _copy(LatestMetric, ["run_id", "key", "value", "is_nan", "timestamp", "step"], _latest_metrics(run_ids))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"loaded {RUNS:,} runs and {RUNS * POINTS_PER_RUN:,} metric points in {time.perf_counter() - started:.0f} s")
    return experiment


def measure(label: str, request) -> None:
    """Median wall time over ROUNDS calls of `request` (after one warm-up) and its SQL statement count."""
    response = request()
    assert response.status_code == 200, (label, response.status_code, response.content[:500])
    timings, statements = [], 0
    for _ in range(ROUNDS):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            request()
            timings.append(time.perf_counter() - started)
        statements = max(statements, len(queries))
    print(f"{label:<62} {statistics.median(timings) * 1000:>9.1f} ms {statements:>6}")


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("This benchmark loads data with PostgreSQL's COPY: set DATABASE_URL to a PostgreSQL database.")
    call_command("migrate", verbosity=0)
    experiment = populate()
    user, _ = get_user_model().objects.get_or_create(username="bench", defaults={"is_superuser": True,
                                                                                 "is_staff": True})
    raw_token, _ = api_token_create(user=user, name=f"bench-{time.time_ns()}", entry_point=EntryPoint.COMMAND)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw_token}")
    pages = Client()
    pages.force_login(user)
    some_run = Run.objects.filter(experiment=experiment).order_by("run_uuid").first()
    experiment_id = str(experiment.pk)

    def search(filter_string: str = "", order_by: tuple[str, ...] = (), page_token: str = ""):
        body = {"experiment_ids": [experiment_id], "filter": filter_string, "order_by": list(order_by),
                "max_results": 100}
        if page_token:
            body["page_token"] = page_token
        return lambda: api.post(f"{MLFLOW}/runs/search", body, content_type="application/json")

    second_page_token = search()().json()["next_page_token"]
    print(f"database: {connection.vendor}; {RUNS:,} runs, {RUNS * POINTS_PER_RUN:,} metric points; "
          f"median of {ROUNDS}")
    print(f"{'operation':<62} {'time':>12} {'SQL':>6}")
    measure("runs/search: newest 100", search())
    measure("runs/search: second page", search(page_token=second_page_token))
    measure("runs/search: metrics.accuracy > 0.99, best first",
            search("metrics.accuracy > 0.99", ("metrics.accuracy DESC",)))
    measure("runs/search: params.model = 'gbm' and metrics.loss < 0.05",
            search("params.model = 'gbm' and metrics.loss < 0.05"))
    measure("runs/search: order by metrics.loss, no filter", search(order_by=("metrics.loss ASC",)))
    measure("runs/search: attributes.run_name LIKE 'run-9999%'", search("attributes.run_name LIKE 'run-9999%'"))
    measure(f"metrics/get-history: one run's loss ({POINTS_PER_RUN // len(KEYS)} points)",
            lambda: api.get(f"{MLFLOW}/metrics/get-history", {"run_id": some_run.pk, "metric_key": "loss"}))
    measure("runs/get: one run", lambda: api.get(f"{MLFLOW}/runs/get", {"run_id": some_run.pk}))
    measure("page: experiment (newest runs, metric and param columns)",
            lambda: pages.get(f"/experiments/{experiment.pk}/"))
    measure("page: experiment filtered and sorted by a metric",
            lambda: pages.get(f"/experiments/{experiment.pk}/", {"filter": "metrics.accuracy > 0.99",
                                                                  "sort": "-metric:accuracy"}))
    measure("page: run (metric history charts, params, tags)", lambda: pages.get(f"/runs/{some_run.pk}/"))
    measure("page: experiments list", lambda: pages.get("/experiments/"))


if __name__ == "__main__":
    main()
