"""Benchmark: what a search filter of N clauses costs, and how fast the limits refuse one.

Sends runs/search with N `metrics.a > 0` clauses through the real HTTP stack, first with the configured limits
(SEARCH_FILTER_MAX_CLAUSES: more clauses are a 400 before any query), then with the clause limit lifted, to show
why it exists (PostgreSQL's planning time grows faster than the clause count; past DATABASE_STATEMENT_TIMEOUT_MS
the statement is stopped and the answer is a 503). Prints status and time per request. Not a test: it asserts
nothing. Needs a migrated database:

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/registry_bench .venv/bin/python manage.py migrate
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/registry_bench .venv/bin/python bench/filter_limits.py
"""
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry_site.settings")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

from models_app.choices import EntryPoint  # noqa: E402
from models_app.models import Experiment  # noqa: E402
from models_app.services.tokens import api_token_create  # noqa: E402

CLAUSE_COUNTS = (10, 30, 50, 100, 200)


def _search(client: Client, headers: dict, experiment_id: int, clauses: int) -> tuple[int, float, str]:
    body = {"experiment_ids": [str(experiment_id)], "filter": " and ".join(["metrics.a > 0"] * clauses)}
    started = time.perf_counter()
    response = client.post("/api/2.0/mlflow/runs/search", json.dumps(body), content_type="application/json",
                           headers=headers)
    elapsed = time.perf_counter() - started
    message = response.json().get("message", "")[:70] if response.status_code >= 400 else ""
    return response.status_code, elapsed, message


def main() -> None:
    user, _ = get_user_model().objects.get_or_create(username="bench-filters")
    raw, _token = api_token_create(user=user, name="bench", entry_point=EntryPoint.COMMAND)
    headers = {"Authorization": f"Bearer {raw}"}
    experiment = Experiment.objects.order_by("pk").first()
    client = Client()
    for label, overrides in (("configured limits", {}), ("clause limit lifted", {"SEARCH_FILTER_MAX_CLAUSES": 10**6})):
        print(f"-- {label}")
        with override_settings(**overrides):
            for clauses in CLAUSE_COUNTS:
                status, elapsed, message = _search(client, headers, experiment.pk, clauses)
                print(f"{clauses:>4} clauses: {status} in {elapsed * 1000:8.1f} ms  {message}")


if __name__ == "__main__":
    main()
