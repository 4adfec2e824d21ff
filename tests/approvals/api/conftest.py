"""Fixtures for the approvals API tests: clients signed in as a persona, a stricter default level."""
import pytest
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _read_only_by_default(settings, iris):
    """Once iris exists (owner manages it), everyone may read and every other right must be granted,
    so the permission trio can be tested."""
    settings.REGISTRY_DEFAULT_PERMISSION = "CAN_READ"


@pytest.fixture
def client_as():
    def make(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make
