"""Benchmark: metric ingestion through run_log_batch (the service behind runs/log-batch).

Prints points per second and statements per batch for a few batch sizes. Not a test: it asserts
nothing. Run against PostgreSQL for meaningful figures:

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/registry_bench .venv/bin/python bench/log_batch.py
"""
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry_site.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from models_app.choices import EntryPoint  # noqa: E402
from models_app.services.experiments import experiment_create  # noqa: E402
from models_app.services.runs import MetricPoint, run_create, run_log_batch  # noqa: E402

BATCH_SIZES = (100, 1_000, 10_000)
ROUNDS = 5
KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")


def bench_batch(run, batch_size: int, round_index: int) -> tuple[float, int]:
    base_step = round_index * batch_size
    points = [
        MetricPoint(key=KEYS[i % len(KEYS)], value=i * 0.001, timestamp=1_700_000_000_000 + i, step=base_step + i)
        for i in range(batch_size)
    ]
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        run_log_batch(actor=None, run=run, metrics=points)
        elapsed = time.perf_counter() - started
    return elapsed, len(queries)


def main() -> None:
    call_command("migrate", verbosity=0)
    experiment = experiment_create(name=f"bench-{time.time_ns()}", actor=None, entry_point=EntryPoint.COMMAND)
    print(f"database: {connection.vendor}")
    print(f"{'batch size':>10} {'points/s':>12} {'ms/batch':>10} {'statements':>10}")
    for size in BATCH_SIZES:
        run = run_create(experiment=experiment, actor=None, run_name=f"bench-{size}")
        timings = [bench_batch(run, size, i) for i in range(ROUNDS)]
        total = sum(t for t, _ in timings)
        statements = max(count for _, count in timings)
        print(f"{size:>10} {size * ROUNDS / total:>12.0f} {total / ROUNDS * 1000:>10.1f} {statements:>10}")


if __name__ == "__main__":
    main()
