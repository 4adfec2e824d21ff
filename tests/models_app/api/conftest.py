import pytest
from rest_framework.test import APIClient

from models_app.choices import EntryPoint
from models_app.services.registry import model_version_create, registered_model_create
from models_app.services.stages import model_version_transition_stage, registered_model_alias_set


@pytest.fixture
def api(owner) -> APIClient:
    client = APIClient()
    client.force_authenticate(owner)
    return client


@pytest.fixture
def make_model(owner):
    """A registered model created by owner (who manages it) with `versions` versions; the first in Production
    behind @champion."""

    def make(name: str = "iris", versions: int = 2):
        model = registered_model_create(name=name, actor=owner, entry_point=EntryPoint.SYSTEM)
        created = [
            model_version_create(name=name, source=f"mlflow-artifacts:/0/{name}/{n}", actor=None,
                                 entry_point=EntryPoint.SYSTEM, tags=[("team", "ds")])
            for n in range(versions)
        ]
        model_version_transition_stage(version=created[0], to_stage="Production", actor=None,
                                       entry_point=EntryPoint.SYSTEM)
        registered_model_alias_set(registered_model=model, alias="champion", version_number=1, actor=None,
                                   entry_point=EntryPoint.SYSTEM)
        return model

    return make
