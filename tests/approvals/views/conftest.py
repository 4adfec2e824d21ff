"""Fixtures for the approvals pages: the dashboard's demo registry under a 1-approval Production policy."""
import pytest

from approvals.services import policy_create, review_request_create
from models_app.choices import EntryPoint
from models_app.services.registry import model_version_create
from tests.approvals.conftest import grant_approvers
from tests.models_app.views.demo import demo_registry

PAGE = EntryPoint.PAGE


@pytest.fixture
def demo(owner):
    """iris_classifier: v1 in Production @champion (run accuracy 0.9), v2 in None (accuracy 0.91)."""
    return demo_registry(actor=owner)


@pytest.fixture
def gate_policy(demo, owner, approvers):
    grant_approvers(demo.model, approvers)
    return policy_create(name="prod-gate", model_pattern=demo.model.name, protected_stages=["Production"],
                         protected_aliases=["champion"], required_approvals=1, approver_group=approvers,
                         actor=None, entry_point=PAGE)


@pytest.fixture
def pending(demo, owner, gate_policy):
    """owner asks for v2 -> Production."""
    return review_request_create(version=demo.versions[1], stage="Production", comment="v2 is more accurate",
                                 actor=owner, entry_point=PAGE)


@pytest.fixture
def make_pending(demo, owner, gate_policy):
    """`count` pending requests, each for a new version of iris_classifier registered from run train-2."""

    def make(count: int):
        run = demo.runs[1]
        for _ in range(count):
            version = model_version_create(name=demo.model.name, source=f"{run.artifact_uri}/model", actor=owner,
                                           entry_point=PAGE, run_id=run.pk)
            review_request_create(version=version, stage="Production", comment="please", actor=owner,
                                  entry_point=PAGE)

    return make


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user
