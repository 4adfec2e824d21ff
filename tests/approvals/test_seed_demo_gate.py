"""seed_demo under a global policy: its Production moves pass the gate as audited superuser bypasses."""
import pytest

from approvals.services import policy_create
from models_app.choices import AuditAction
from models_app.demo.seed import DEMO_MODELS, DEMO_USERS, demo_seed, demo_user_ensure
from models_app.models import AuditEvent, ModelVersion
from models_app.services.audit import audit_chain_verify
from models_app.services.audit_checkpoint import audit_checkpoint_write
from tests.approvals.conftest import API

pytestmark = pytest.mark.django_db


def test_it_seeds_through_the_gate_with_audited_bypasses():
    admin = demo_user_ensure(next(user for user in DEMO_USERS if user.is_superuser))
    policy_create(name="global-gate", model_pattern="*",
                  protected_stages=["Production"], protected_aliases=["champion"],
                  actor=admin, entry_point=API)

    demo_seed()

    assert ModelVersion.objects.filter(stage="Production").count() == len(DEMO_MODELS)
    bypasses = AuditEvent.objects.filter(action=AuditAction.GATE_BYPASSED)
    assert {event.details["target"] for event in bypasses} == {"Production", "@champion"}
    assert bypasses.count() == 2 * len(DEMO_MODELS)
    audit_checkpoint_write()  # what the beat task does; the test's transaction never commits
    assert audit_chain_verify() is None
