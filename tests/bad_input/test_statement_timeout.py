"""A statement timeout backs every query of a web request; a cancelled statement is a 503 that says why."""
import importlib.util
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection

import registry_site
from tests.models_app.mlflow_api.conftest import assert_error

from .conftest import assert_native_error, assert_page_error

SETTINGS_FILE = Path(registry_site.__file__).parent / "settings.py"
POSTGRES = "postgresql://postgres@127.0.0.1:5432/registry"


def _settings_for(monkeypatch, argv: list[str], **environ):
    monkeypatch.setattr(sys, "argv", argv)
    for name, value in {"DATABASE_URL": POSTGRES, **environ}.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("registry_site.settings_for_timeout", SETTINGS_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("argv", [["/venv/bin/gunicorn", "registry_site.wsgi"], ["manage.py", "runserver"],
                                  ["/venv/bin/pytest"]])
def test_web_processes_connect_with_the_statement_timeout(monkeypatch, argv):
    loaded = _settings_for(monkeypatch, argv)

    assert loaded.DATABASE_STATEMENT_TIMEOUT_MS == 30_000
    assert "-c statement_timeout=30000" in loaded.DATABASES["default"]["OPTIONS"]["options"]
    assert "-c jit=off" in loaded.DATABASES["default"]["OPTIONS"]["options"]


def test_the_web_timeout_is_a_setting(monkeypatch):
    loaded = _settings_for(monkeypatch, ["/venv/bin/gunicorn"], DATABASE_STATEMENT_TIMEOUT_MS="5000")

    assert "-c statement_timeout=5000" in loaded.DATABASES["default"]["OPTIONS"]["options"]


@pytest.mark.parametrize("argv", [["/venv/bin/celery", "-A", "registry_site", "worker"],
                                  ["/venv/lib/python3.11/site-packages/celery/__main__.py", "beat"],
                                  ["manage.py", "migrate"], ["manage.py", "seed_demo"]])
def test_workers_and_commands_have_no_limit_unless_configured(monkeypatch, argv):
    loaded = _settings_for(monkeypatch, argv)
    assert "statement_timeout" not in loaded.DATABASES["default"]["OPTIONS"]["options"]

    limited = _settings_for(monkeypatch, argv, WORKER_DATABASE_STATEMENT_TIMEOUT_MS="600000")
    assert "-c statement_timeout=600000" in limited.DATABASES["default"]["OPTIONS"]["options"]


@pytest.mark.django_db
def test_the_test_servers_connection_runs_under_the_timeout():
    if connection.vendor != "postgresql":
        pytest.skip("statement_timeout is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "30s"


def _slow_search(registry) -> dict:
    # 30 EXISTS clauses take PostgreSQL far longer than 1 ms to plan.
    return {"experiment_ids": [str(registry["experiment"].pk)], "filter": " and ".join(["metrics.a > 0"] * 30)}


def _tight_timeout():
    # The test runs in one transaction; SET LOCAL holds for the rest of it, requests included.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 1")


@pytest.mark.django_db
def test_a_cancelled_statement_on_the_mlflow_api_is_a_503_in_its_error_shape(mlflow, registry):
    _tight_timeout()

    assert_error(mlflow.post("runs/search", _slow_search(registry)), 503, "TEMPORARILY_UNAVAILABLE",
                 "The database stopped this request's query after 30000 ms (DATABASE_STATEMENT_TIMEOUT_MS)")


@pytest.mark.django_db(transaction=True)
def test_a_query_held_up_by_a_lock_is_cancelled_and_the_native_api_answers_503(native, registry):
    """Waiting for a lock counts too: another session holds the audit table, the list query gives up."""
    settings_dict = connection.settings_dict
    locker = psycopg.connect(dbname=settings_dict["NAME"], user=settings_dict["USER"],
                             host=settings_dict["HOST"], port=settings_dict["PORT"] or 5432)
    try:
        locker.execute("LOCK TABLE models_app_auditevent IN ACCESS EXCLUSIVE MODE")
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 200")
        response = native.get("/api/v1/audit-events/")
    finally:
        locker.rollback()
        locker.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")

    assert_native_error(response, 503, "DATABASE_STATEMENT_TIMEOUT_MS")


@pytest.mark.django_db
def test_a_cancelled_statement_on_a_page_is_a_503_that_says_why(pages, registry):
    _tight_timeout()

    response = pages.get(f"/experiments/{registry['experiment'].pk}/", {"filter": _slow_search(registry)["filter"]})
    assert_page_error(response, 503, "DATABASE_STATEMENT_TIMEOUT_MS")
