"""Fixtures for the dashboard's page tests: demo data and a governance that refuses stage changes."""
import pytest

from models_app.exceptions import PermissionDenied
from models_app.governance import Governance

from .demo import demo_registry

REFUSAL = "Production is protected by policy 'prod-gate': ask for a review first."


class RefusingGovernance(Governance):
    """Refuses every stage change with a message naming why, as the approvals gate does."""

    def check_stage_change(self, change) -> None:
        raise PermissionDenied(REFUSAL)


@pytest.fixture
def demo(owner):
    return demo_registry(actor=owner)


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def refusing_governance(governance):
    governance(RefusingGovernance())
