import pytest

from models_app.choices import EntryPoint
from models_app.services import registry, stages


@pytest.fixture
def audited_history(owner):
    """A model with one version moved to Staging: six audit events in the chain (the creator's grant is one)."""
    actor = {"actor": owner, "entry_point": EntryPoint.NATIVE_API}
    model = registry.registered_model_create(name="fraud", **actor)
    version = registry.model_version_create(name="fraud", source="mlflow-artifacts:/0/fraud", **actor)
    registry.model_version_set_tag(version=version, key="team", value="risk", **actor)
    stages.model_version_transition_stage(version=version, to_stage="Staging", **actor)
    registry.registered_model_update(registered_model=model, description="scores payments", **actor)
    return model
