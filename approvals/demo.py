"""The governance part of the demo: a Production policy on iris_classifier, a reviewer's grant, one pending request.

Kept out of models_app's seed_demo because models_app never imports approvals. Safe to run again.
"""
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from models_app.choices import EntryPoint, Stage
from models_app.demo.seed import APPROVERS_GROUP
from models_app.exceptions import NotFound
from models_app.governance import PermissionLevel
from models_app.selectors.registry import model_version_get

from .models import ApprovalPolicy, ReviewRequest
from .selectors import review_request_open_for
from .services import permission_set, policy_create, review_request_create

DEMO_MODEL = "iris_classifier"
DEMO_VERSION = 2
POLICY_NAME = f"Production needs 1 approval from group {APPROVERS_GROUP}"
REQUEST_COMMENT = "v2 beats v1 on accuracy on the held-out split; please promote it to Production."
ENTRY_POINT = EntryPoint.COMMAND


@dataclass(frozen=True)
class GovernanceSeedResult:
    policy: ApprovalPolicy
    policy_created: bool
    review_request: ReviewRequest | None  # None once v2 reached Production (the demo flow was followed)
    request_created: bool


def demo_governance_seed() -> GovernanceSeedResult:
    """Needs seed_demo's users and models; raises NotFound naming what is missing otherwise."""
    users = _demo_users("admin", "alice", "rita")
    version = model_version_get(name=DEMO_MODEL, version=DEMO_VERSION, actor=users["admin"])
    model = version.registered_model
    policy = ApprovalPolicy.objects.filter(registered_model=model, name=POLICY_NAME).first()
    policy_created = policy is None
    if policy_created:
        policy = policy_create(name=POLICY_NAME, registered_model=model, protected_stages=[Stage.PRODUCTION],
                               protected_aliases=["champion"], required_approvals=1,
                               approver_group=Group.objects.get_or_create(name=APPROVERS_GROUP)[0],
                               actor=users["admin"], entry_point=ENTRY_POINT)
    permission_set(registered_model=model, level=PermissionLevel.CAN_MANAGE_PRODUCTION_VERSIONS, user=users["rita"],
                   actor=users["admin"], entry_point=ENTRY_POINT)
    request = review_request_open_for(version=version, stage=Stage.PRODUCTION)
    request_created = request is None and version.stage != Stage.PRODUCTION
    if request_created:
        request = review_request_create(version=version, stage=Stage.PRODUCTION, comment=REQUEST_COMMENT,
                                        actor=users["alice"], entry_point=ENTRY_POINT)
    return GovernanceSeedResult(policy, policy_created, request, request_created)


def _demo_users(*usernames: str) -> dict:
    found = {user.username: user for user in get_user_model().objects.filter(username__in=usernames)}
    missing = sorted(set(usernames) - set(found))
    if missing:
        raise NotFound(f"Demo users {', '.join(missing)} do not exist: run `manage.py seed_demo` first.")
    return found
