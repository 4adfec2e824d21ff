import pytest

from models_app.governance import current_governance, register_governance


@pytest.fixture
def governance():
    """Lets a test register its own Governance; the one registered before (the approvals app's) is put back."""
    previous = current_governance()
    yield register_governance
    register_governance(previous)
