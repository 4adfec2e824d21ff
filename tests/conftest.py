"""Shared fixtures: fast hashing, an artifact folder and a validation dataset folder per test, personas."""
import os

import pytest
from django.core.cache import cache

from models_app.governance import current_governance, register_governance

# Playwright's sync API runs an event loop in the test thread; Django must still allow ORM calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counts and login lockouts live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ARTIFACTS_ROOT = tmp_path / "artifacts"
    settings.STORAGES = {
        **settings.STORAGES,
        "artifacts": {
            "BACKEND": "models_app.storage.ContainedFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "artifacts"), "allow_overwrite": True},
        },
        "validation_datasets": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "validation-datasets"), "allow_overwrite": False},
        },
    }
    settings.VALIDATION_DATASET_ROOT = tmp_path / "validation-datasets"
    settings.REGISTRY_SINGLE_OCCUPANCY_STAGES = True
    settings.AUDIT_CHECKPOINT_PATH = tmp_path / "audit-checkpoint.json"


@pytest.fixture
def governance():
    """Lets a test register its own Governance; the one registered before (the approvals app's) is put back."""
    previous = current_governance()
    yield register_governance
    register_governance(previous)


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user("owner", "owner@example.com", "owner-pass")


@pytest.fixture
def reviewer(django_user_model):
    return django_user_model.objects.create_user("reviewer", "reviewer@example.com", "reviewer-pass")


@pytest.fixture
def outsider(django_user_model):
    return django_user_model.objects.create_user("outsider", "outsider@example.com", "outsider-pass")
