"""AUDIT_HMAC_KEY: required in deployments, derived for `make run`, never short."""
import pytest
from django.core.exceptions import ImproperlyConfigured

from .test_settings_env import _settings_under


@pytest.fixture(autouse=True)
def _no_audit_environment(monkeypatch):
    for name in ("AUDIT_HMAC_KEY", "AUDIT_HMAC_KEY_FILE", "DJANGO_SECRET_KEY", "DJANGO_REQUIRE_SECRET_KEY",
                 "DJANGO_DEBUG"):
        monkeypatch.delenv(name, raising=False)


def test_a_deployment_refuses_to_start_without_the_audit_key(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="AUDIT_HMAC_KEY must be set"):
        _settings_under(monkeypatch, DJANGO_SECRET_KEY="s" * 50, DJANGO_REQUIRE_SECRET_KEY="true")


def test_the_embedded_default_derives_a_key_from_the_secret_key(monkeypatch):
    first = _settings_under(monkeypatch, DJANGO_SECRET_KEY="a" * 50).AUDIT_HMAC_KEY
    second = _settings_under(monkeypatch, DJANGO_SECRET_KEY="b" * 50).AUDIT_HMAC_KEY

    assert len(first) == 64 and first != second and "a" * 50 not in first


def test_debug_runs_with_the_derived_key_even_when_keys_are_required(monkeypatch):
    loaded = _settings_under(monkeypatch, DJANGO_DEBUG="true", DJANGO_REQUIRE_SECRET_KEY="true")

    assert len(loaded.AUDIT_HMAC_KEY) == 64


def test_it_reads_the_audit_key_and_refuses_a_short_one(monkeypatch):
    loaded = _settings_under(monkeypatch, AUDIT_HMAC_KEY="k" * 40, DJANGO_REQUIRE_SECRET_KEY="true",
                             DJANGO_SECRET_KEY="s" * 50)
    assert len(loaded.AUDIT_HMAC_KEY) == 40 and set(loaded.AUDIT_HMAC_KEY) == {"k"}
    with pytest.raises(ImproperlyConfigured, match="AUDIT_HMAC_KEY must be at least 32 characters"):
        _settings_under(monkeypatch, AUDIT_HMAC_KEY="short")
