"""Fixtures shared by the registry's test folders."""
import pytest

from models_app.choices import EntryPoint
from models_app.services.registry import model_version_create, registered_model_create


@pytest.fixture
def described_model(owner):
    """iris_classifier and its version 1, both described "kept" (what a refused edit must leave)."""
    created = registered_model_create(name="iris_classifier", actor=owner, entry_point=EntryPoint.COMMAND,
                                      description="kept")
    model_version_create(name=created.name, source="mlflow-artifacts:/0/models/v1/artifacts", actor=owner,
                         entry_point=EntryPoint.COMMAND, description="kept")
    return created
