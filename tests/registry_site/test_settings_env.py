import importlib.util
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

import registry_site
from registry_site.celery import app
from registry_site.env import env_bool, env_int, env_list, env_str

SETTINGS_FILE = Path(registry_site.__file__).parent / "settings.py"


def _settings_under(monkeypatch, **environ):
    """Execute registry_site/settings.py afresh with `environ` as the only broker variables."""
    for name in ("CELERY_BROKER_URL", "REDIS_URL", "CELERY_BROKER_URL_FILE", "REDIS_URL_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("registry_site.settings_under_test", SETTINGS_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("Yes", True), (" on ", True), ("false", False),
                                               ("0", False), ("", False)])
def test_it_reads_booleans(monkeypatch, raw, expected):
    monkeypatch.setenv("REGISTRY_FLAG", raw)

    assert env_bool("REGISTRY_FLAG", not expected) is expected


def test_it_uses_the_default_for_a_missing_boolean(monkeypatch):
    monkeypatch.delenv("REGISTRY_FLAG", raising=False)

    assert env_bool("REGISTRY_FLAG", True) is True


def test_it_refuses_a_malformed_boolean(monkeypatch):
    monkeypatch.setenv("REGISTRY_FLAG", "maybe")

    with pytest.raises(ImproperlyConfigured, match="REGISTRY_FLAG must be one of .* got 'maybe'"):
        env_bool("REGISTRY_FLAG", False)


def test_it_reads_integers_and_refuses_malformed_ones(monkeypatch):
    monkeypatch.setenv("REGISTRY_NUMBER", "42")
    assert env_int("REGISTRY_NUMBER", 1) == 42
    monkeypatch.setenv("REGISTRY_NUMBER", "")
    assert env_int("REGISTRY_NUMBER", 1) == 1
    monkeypatch.setenv("REGISTRY_NUMBER", "4.2")

    with pytest.raises(ImproperlyConfigured, match="REGISTRY_NUMBER must be an integer, got '4.2'"):
        env_int("REGISTRY_NUMBER", 1)


def test_it_reads_a_secret_from_the_file_named_by_the_file_variable(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("REGISTRY_SECRET", "from-env")
    monkeypatch.setenv("REGISTRY_SECRET_FILE", str(secret))

    assert env_str("REGISTRY_SECRET") == "s3cret"


def test_it_reads_comma_separated_lists(monkeypatch):
    monkeypatch.setenv("REGISTRY_HOSTS", " a.example , ,b.example")

    assert env_list("REGISTRY_HOSTS", []) == ["a.example", "b.example"]


def test_it_refuses_to_start_with_a_malformed_setting(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_CONN_MAX_AGE must be an integer"):
        _settings_under(monkeypatch, DATABASE_CONN_MAX_AGE="forever")


def test_it_runs_celery_tasks_eagerly_without_a_broker(monkeypatch):
    loaded = _settings_under(monkeypatch)

    assert loaded.CELERY_BROKER_URL == ""
    assert loaded.CELERY_TASK_ALWAYS_EAGER is True


@pytest.mark.parametrize("variable", ["CELERY_BROKER_URL", "REDIS_URL"])
def test_it_sends_celery_tasks_to_a_configured_broker(monkeypatch, variable):
    loaded = _settings_under(monkeypatch, **{variable: "redis://127.0.0.1:6379/0"})

    assert loaded.CELERY_BROKER_URL == "redis://127.0.0.1:6379/0"
    assert loaded.CELERY_TASK_ALWAYS_EAGER is False


def test_it_configures_the_celery_app_from_django_settings():
    assert app.main == "registry_site"
    assert app.conf.task_always_eager is settings.CELERY_TASK_ALWAYS_EAGER
    assert app.conf.task_eager_propagates is True


def test_it_creates_the_folder_of_a_sqlite_database_that_a_fresh_clone_lacks(monkeypatch, tmp_path):
    database_file = tmp_path / "fresh-clone" / "var" / "registry.sqlite3"
    loaded = _settings_under(monkeypatch, DATABASE_URL=f"sqlite:///{database_file}")

    assert loaded.DATABASES["default"]["NAME"] == str(database_file)
    assert database_file.parent.is_dir()


def test_it_turns_postgresql_jit_off_for_the_registrys_short_queries(monkeypatch):
    loaded = _settings_under(monkeypatch, DATABASE_URL="postgresql://postgres@127.0.0.1:5432/registry")

    assert "-c jit=off" in loaded.DATABASES["default"]["OPTIONS"]["options"]
