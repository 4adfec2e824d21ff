"""The governance part of the demo: a Production policy on iris_classifier that requires validation (run metrics
and scores on a held-out iris split, against the champion), a reviewer's grant, one pending request.

Kept out of models_app's seed_demo because models_app never imports approvals. Safe to run again.
"""
import io
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split

from models_app.choices import EntryPoint, Stage
from models_app.demo.seed import APPROVERS_GROUP
from models_app.demo.training import SEED
from models_app.exceptions import NotFound
from models_app.governance import PermissionLevel
from models_app.selectors.registry import model_version_get

from .models import ApprovalPolicy, ModelPermission, ReviewRequest, ValidationDataset
from .selectors import review_request_open_for
from .services import permission_set, policy_create, review_request_create, validation_dataset_create

DEMO_MODEL = "iris_classifier"
DEMO_VERSION = 2
POLICY_NAME = f"Production needs 1 approval from group {APPROVERS_GROUP}"
REQUEST_COMMENT = "v2 beats v1 on accuracy on the held-out split; please promote it to Production."
ENTRY_POINT = EntryPoint.COMMAND
DATASET_NAME = "iris-holdout"
# v1 logged "accuracy", the v2 candidate "test_accuracy" (as in the seed articles): the thresholds apply to the
# scores on the held-out split, which both are measured on.
METRIC_THRESHOLDS = [
    {"metric": "accuracy", "op": ">=", "value": 0.9, "on": "datasets"},
    {"metric": "f1", "op": ">=", "value": 0.9, "on": "datasets"},
]
CHAMPION_THRESHOLDS = [
    {"metric": "accuracy", "greater_is_better": True, "min_relative_change": 0.0, "on": "datasets"},
]


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
                               require_validation=True, metric_thresholds=METRIC_THRESHOLDS,
                               champion_thresholds=CHAMPION_THRESHOLDS,
                               validation_datasets=[_holdout_dataset(users["admin"])],
                               actor=users["admin"], entry_point=ENTRY_POINT)
    reviewer_level = PermissionLevel.CAN_MANAGE_PRODUCTION_VERSIONS
    if not ModelPermission.objects.filter(registered_model=model, user=users["rita"], level=reviewer_level).exists():
        permission_set(registered_model=model, level=reviewer_level, user=users["rita"], actor=users["admin"],
                       entry_point=ENTRY_POINT)
    request = review_request_open_for(version=version, stage=Stage.PRODUCTION)
    request_created = request is None and version.stage != Stage.PRODUCTION
    if request_created:
        request = review_request_create(version=version, stage=Stage.PRODUCTION, comment=REQUEST_COMMENT,
                                        actor=users["alice"], entry_point=ENTRY_POINT)
    return GovernanceSeedResult(policy, policy_created, request, request_created)


def demo_governance_report(result: GovernanceSeedResult) -> list[str]:
    policy, request = result.policy, result.review_request
    model_name = policy.registered_model.name
    lines = [f"{'Created' if result.policy_created else 'Kept'} policy '{policy.name}' on {model_name} "
             "(protects Production and @champion; requires validation)",
             f"Granted rita CAN_MANAGE_PRODUCTION_VERSIONS on {model_name}"]
    if request is None:
        return [*lines, f"{model_name} v{DEMO_VERSION} is already in Production: no request opened"]
    validation = request.validation_runs.first()
    verdict = f"; validation run #{validation.pk}: {validation.status}" if validation else ""
    return [*lines, f"{'Opened' if result.request_created else 'Kept'} review request #{request.pk} by "
                    f"{request.requester_name}: {request} ({request.status}{verdict}); log in as rita / rita-pass "
                    "and approve it at /approvals/"]


def _holdout_dataset(actor) -> ValidationDataset:
    """The 20% of iris the demo models were not trained on (same split as models_app.demo.training)."""
    existing = ValidationDataset.objects.filter(name=DATASET_NAME).first()
    if existing is not None:
        return existing
    iris = load_iris(as_frame=True)
    _, x_test, _, y_test = train_test_split(iris.data, iris.target, test_size=0.2, random_state=SEED)
    buffer = io.BytesIO()
    x_test.assign(target=y_test).to_csv(buffer, index=False)
    return validation_dataset_create(
        name=DATASET_NAME, upload=SimpleUploadedFile(f"{DATASET_NAME}.csv", buffer.getvalue()), target_column="target",
        task_type="classification", description="Iris test split (30 rows) held out from the demo's training.",
        actor=actor, entry_point=ENTRY_POINT)


def _demo_users(*usernames: str) -> dict:
    found = {user.username: user for user in get_user_model().objects.filter(username__in=usernames)}
    missing = sorted(set(usernames) - set(found))
    if missing:
        raise NotFound(f"Demo users {', '.join(missing)} do not exist: run `manage.py seed_demo` first.")
    return found
