import secrets

import pytest

from models_app.choices import EntryPoint
from models_app.services import registry, stages


@pytest.fixture(autouse=True)
def audit_key(settings):
    """A key of this test's own: an attacker may know the code and the embedded default, never this."""
    settings.AUDIT_HMAC_KEY = secrets.token_hex(32)
    settings.AUDIT_HMAC_PREVIOUS_KEY = ""
    return settings.AUDIT_HMAC_KEY


@pytest.fixture
def audited_history(owner, django_capture_on_commit_callbacks):
    """A model with one version moved to Staging: six audit events in the chain (the creator's grant is one).

    Each write commits as in production (its on_commit callbacks run), so the after-write checkpoint is written.
    """
    actor = {"actor": owner, "entry_point": EntryPoint.NATIVE_API}
    with django_capture_on_commit_callbacks(execute=True):
        model = registry.registered_model_create(name="fraud", **actor)
        version = registry.model_version_create(name="fraud", source="mlflow-artifacts:/0/fraud", **actor)
        registry.model_version_set_tag(version=version, key="team", value="risk", **actor)
        stages.model_version_transition_stage(version=version, to_stage="Staging", **actor)
        registry.registered_model_update(registered_model=model, description="scores payments", **actor)
    return model
