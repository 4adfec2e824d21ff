"""Production settings: what a deployment's environment (DEBUG off, docs/deployment.md) gives.

`check --deploy` runs as a separate process on exactly that environment; headers and cookies are checked on
requests served with the settings module loaded under it.
"""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

import registry_site

PROJECT_ROOT = Path(registry_site.__file__).resolve().parent.parent
SETTINGS_FILE = PROJECT_ROOT / "registry_site" / "settings.py"
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "x7Rq2-production-like-secret-key-with-enough-length-and-variety-9fKz",
    "DJANGO_REQUIRE_SECRET_KEY": "true",
    "AUDIT_HMAC_KEY": "a-production-like-audit-key-of-forty-odd-characters-kept-apart",
    "DJANGO_ALLOWED_HOSTS": "registry.example.com,testserver",
    "DJANGO_SECURE_SSL_REDIRECT": "true",
    "DJANGO_CACHE_URL": "redis://127.0.0.1:6379/15",
    "DATABASE_URL": "sqlite:///:memory:",
}
SECURITY_SETTINGS = [
    "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SAMESITE", "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY",
]


def _check_deploy(**environ) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_"))}
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=PROJECT_ROOT, env={**env, **environ}, capture_output=True, text=True, timeout=120)


def _production_settings(monkeypatch, **overrides):
    for name, value in {**PRODUCTION_ENV, **overrides}.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("registry_site.production_settings_under_test", SETTINGS_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def production(monkeypatch, settings):
    """This process's settings with the security settings the production environment gives."""

    def apply(**overrides):
        loaded = _production_settings(monkeypatch, **overrides)
        for name in SECURITY_SETTINGS:
            setattr(settings, name, getattr(loaded, name))
        if hasattr(loaded, "SECURE_PROXY_SSL_HEADER"):
            settings.SECURE_PROXY_SSL_HEADER = loaded.SECURE_PROXY_SSL_HEADER
        return loaded

    return apply


def test_check_deploy_is_clean_under_production_settings():
    result = _check_deploy(**PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_names_what_a_deployment_left_out():
    result = _check_deploy(**{**PRODUCTION_ENV, "DJANGO_SECURE_SSL_REDIRECT": "false", "DJANGO_SECURE_COOKIES": "false",
                              "DJANGO_SECURE_HSTS_SECONDS": "0", "DJANGO_CACHE_URL": ""})

    assert result.returncode != 0
    for code in ("security.W004", "security.W008", "security.W012", "security.W016", "axes.W001"):
        assert code in result.stderr, code


def test_debug_off_means_secure_cookies_and_hsts_by_default(monkeypatch):
    monkeypatch.delenv("DJANGO_SECURE_COOKIES", raising=False)
    monkeypatch.delenv("DJANGO_SECURE_HSTS_SECONDS", raising=False)
    loaded = _production_settings(monkeypatch)

    assert loaded.SESSION_COOKIE_SECURE and loaded.CSRF_COOKIE_SECURE
    assert loaded.SECURE_HSTS_SECONDS >= 31536000 and loaded.SECURE_HSTS_INCLUDE_SUBDOMAINS
    assert loaded.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"


def test_debug_on_keeps_plain_http_working(monkeypatch):
    loaded = _production_settings(monkeypatch, DJANGO_DEBUG="true", DJANGO_SECURE_SSL_REDIRECT="false")

    assert not loaded.SESSION_COOKIE_SECURE and loaded.SECURE_HSTS_SECONDS == 0


def test_https_answers_carry_hsts_and_secure_http_only_same_site_cookies(production, owner):
    production()
    client = Client(enforce_csrf_checks=False)

    response = client.post("/accounts/login/", {"username": "owner", "password": "owner-pass"}, secure=True)

    assert response.status_code == 302
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    csrf = client.get("/accounts/login/", secure=True).cookies.get("csrftoken") or response.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"


def test_plain_http_is_redirected_to_https(production, db):
    production()

    response = Client().get("/accounts/login/")

    assert response.status_code == 301 and response.headers["Location"] == "https://testserver/accounts/login/"


def test_behind_a_proxy_the_forwarded_scheme_counts_only_with_the_setting(production, db):
    production(DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto: https")
    proxied = Client().get("/accounts/login/", headers={"X-Forwarded-Proto": "https"})
    assert proxied.status_code == 200 and "Strict-Transport-Security" in proxied.headers
    assert Client().get("/accounts/login/", headers={"X-Forwarded-Proto": "http"}).status_code == 301


def test_a_malformed_proxy_header_setting_is_refused(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECURE_PROXY_SSL_HEADER must look like"):
        _production_settings(monkeypatch, DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")


def test_a_malformed_rate_is_refused(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="REGISTRY_API_THROTTLE_RATE must look like"):
        _production_settings(monkeypatch, REGISTRY_API_THROTTLE_RATE="lots")
