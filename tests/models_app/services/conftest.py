import pytest

from models_app.governance import Governance, register_governance


@pytest.fixture
def governance():
    """Lets a test register its own Governance; the default one is put back afterwards."""
    yield register_governance
    register_governance(Governance())
