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


def test_it_defaults_to_reading_so_nobody_changes_other_peoples_models(monkeypatch):
    assert _settings_with(monkeypatch, None).REGISTRY_DEFAULT_PERMISSION == "CAN_READ"


def test_experiments_default_to_read_and_refuse_unknown_levels(monkeypatch):
    assert _settings_with(monkeypatch, None).REGISTRY_DEFAULT_EXPERIMENT_PERMISSION == "READ"
    monkeypatch.setenv("REGISTRY_DEFAULT_EXPERIMENT_PERMISSION", " edit ")
    assert _settings_with(monkeypatch, None).REGISTRY_DEFAULT_EXPERIMENT_PERMISSION == "EDIT"
    monkeypatch.setenv("REGISTRY_DEFAULT_EXPERIMENT_PERMISSION", "CAN_READ")
    with pytest.raises(ImproperlyConfigured, match="REGISTRY_DEFAULT_EXPERIMENT_PERMISSION must be one of "
                                                   "NO_PERMISSIONS, READ, EDIT, MANAGE"):
        _settings_with(monkeypatch, None)


def test_it_reads_a_level_name_in_any_case(monkeypatch):
    assert _settings_with(monkeypatch, " can_read ").REGISTRY_DEFAULT_PERMISSION == "CAN_READ"


def test_it_refuses_an_unknown_level(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="REGISTRY_DEFAULT_PERMISSION must be one of NONE, CAN_READ"):
        _settings_with(monkeypatch, "CAN_FLY")


def test_its_names_are_the_permission_levels(monkeypatch):
    names = _settings_with(monkeypatch, None).REGISTRY_PERMISSION_LEVEL_NAMES
    assert names == tuple(PermissionLevel.names)
