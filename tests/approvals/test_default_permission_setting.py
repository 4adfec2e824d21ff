"""REGISTRY_DEFAULT_PERMISSION: read from the environment, checked against the level names."""
import importlib.util
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

import registry_site
from models_app.governance import PermissionLevel

SETTINGS_FILE = Path(registry_site.__file__).parent / "settings.py"


def _settings_with(monkeypatch, value: str | None):
    if value is None:
        monkeypatch.delenv("REGISTRY_DEFAULT_PERMISSION", raising=False)
    else:
        monkeypatch.setenv("REGISTRY_DEFAULT_PERMISSION", value)
    spec = importlib.util.spec_from_file_location("registry_site.settings_under_test", SETTINGS_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_it_defaults_to_managing_production_versions_so_mlflow_workflows_keep_working(monkeypatch):
    assert _settings_with(monkeypatch, None).REGISTRY_DEFAULT_PERMISSION == "CAN_MANAGE_PRODUCTION_VERSIONS"


def test_it_reads_a_level_name_in_any_case(monkeypatch):
    assert _settings_with(monkeypatch, " can_read ").REGISTRY_DEFAULT_PERMISSION == "CAN_READ"


def test_it_refuses_an_unknown_level(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="REGISTRY_DEFAULT_PERMISSION must be one of NONE, CAN_READ"):
        _settings_with(monkeypatch, "CAN_FLY")


def test_its_names_are_the_permission_levels(monkeypatch):
    names = _settings_with(monkeypatch, None).REGISTRY_PERMISSION_LEVEL_NAMES
    assert names == tuple(PermissionLevel.names)
