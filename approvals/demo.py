"""The governance part of the demo: a Production policy on wine_classifier that requires validation (scores on
the held-out wine split, against the champion), a reviewer's grant, one pending request, and the grants the
demo's story needs under the safe defaults (signed-in users read everything and change only what they own):
alice edits the demo experiments and the Default one, promotes the two seed articles' models, and edits
wine_classifier (she asks for its promotion, rita approves it).

The governed model is not one of the seed articles' models, so their scripts run against the demo unchanged.
Kept out of models_app's seed_demo because models_app never imports approvals. Safe to run again.
"""
import io
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from models_app.choices import EntryPoint, Stage
from models_app.demo.seed import APPROVERS_GROUP, DEMO_MODELS
from models_app.demo.training import wine_split
from models_app.exceptions import NotFound
from models_app.governance import ExperimentLevel, PermissionLevel
from models_app.models import Experiment, RegisteredModel
from models_app.selectors.registry import model_version_get

from .models import ApprovalPolicy, ExperimentPermission, ModelPermission, ReviewRequest, ValidationDataset
from .selectors import review_request_open_for
from .services import (
    experiment_permission_set,
    permission_set,
    policy_create,
    review_request_create,
    validation_dataset_create,
)

DEMO_MODEL = "wine_classifier"
DEMO_VERSION = 2
POLICY_NAME = f"Production needs 1 approval from group {APPROVERS_GROUP}"
REQUEST_COMMENT = "v2 (rf_deep) beats v1 on accuracy on the held-out split; please promote it to Production."
ENTRY_POINT = EntryPoint.COMMAND
DATASET_NAME = "wine-holdout"
DEFAULT_EXPERIMENT_NAME = "Default"
# alice's model levels: the seed articles promote their models themselves; wine_classifier's promotion is governed.
ALICE_MODEL_LEVELS = {"iris_classifier": PermissionLevel.CAN_MANAGE_PRODUCTION_VERSIONS,
                      "HousePricePredictor": PermissionLevel.CAN_MANAGE_PRODUCTION_VERSIONS,
                      DEMO_MODEL: PermissionLevel.CAN_EDIT}
# The thresholds apply to the scores the validation run measures itself on the held-out split, not to what the
# runs logged: the evidence does not depend on the training script's honesty.
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
    policy = ApprovalPolicy.objects.filter(model_pattern=model.name, name=POLICY_NAME).first()
    policy_created = policy is None
    if policy_created:
        policy = policy_create(name=POLICY_NAME, model_pattern=model.name, protected_stages=[Stage.PRODUCTION],
                               protected_aliases=["champion"], required_approvals=1,
                               approver_group=Group.objects.get_or_create(name=APPROVERS_GROUP)[0],
                               require_validation=True, metric_thresholds=METRIC_THRESHOLDS,
                               champion_thresholds=CHAMPION_THRESHOLDS,
                               validation_datasets=[_holdout_dataset(users["admin"])],
                               actor=users["admin"], entry_point=ENTRY_POINT)
    _story_grants(alice=users["alice"], admin=users["admin"])
    reviewer_level = PermissionLevel.CAN_MANAGE_PRODUCTION_VERSIONS
    if not ModelPermission.objects.filter(registered_model=model, user=users["rita"], level=reviewer_level).exists():
        permission_set(registered_model=model, level=reviewer_level, user=users["rita"], actor=users["admin"],
                       entry_point=ENTRY_POINT)
    request = review_request_open_for(registered_model=model, version=version, stage=Stage.PRODUCTION)
    request_created = request is None and version.stage != Stage.PRODUCTION
    if request_created:
        request = review_request_create(version=version, stage=Stage.PRODUCTION, comment=REQUEST_COMMENT,
                                        actor=users["alice"], entry_point=ENTRY_POINT)
    return GovernanceSeedResult(policy, policy_created, request, request_created)


def demo_governance_report(result: GovernanceSeedResult) -> list[str]:
    policy, request = result.policy, result.review_request
    model_name = policy.model_pattern
    lines = [f"{'Created' if result.policy_created else 'Kept'} policy '{policy.name}' on {model_name} "
             "(protects Production and @champion; requires validation)",
             f"Granted rita CAN_MANAGE_PRODUCTION_VERSIONS on {model_name}",
             "Granted alice EDIT on the Default and demo experiments, CAN_MANAGE_PRODUCTION_VERSIONS on "
             f"iris_classifier and HousePricePredictor, CAN_EDIT on {model_name}"]
    if request is None:
        return [*lines, f"{model_name} v{DEMO_VERSION} is already in Production: no request opened"]
    validation = request.validation_runs.first()
    verdict = f"; validation run #{validation.pk}: {validation.status}" if validation else ""
    return [*lines, f"{'Opened' if result.request_created else 'Kept'} review request #{request.pk} by "
                    f"{request.requester_name}: {request} ({request.status}{verdict}); log in as rita / rita-pass "
                    "and approve it at /approvals/"]


def _story_grants(*, alice, admin) -> None:
    """alice's grants (see the module's docstring), each given once and audited as granted by admin."""
    names = [DEFAULT_EXPERIMENT_NAME, *(spec.experiment_name for spec in DEMO_MODELS)]
    for experiment in Experiment.objects.filter(name__in=names):
        if not ExperimentPermission.objects.filter(experiment=experiment, user=alice,
                                                   level__gte=ExperimentLevel.EDIT).exists():
            experiment_permission_set(experiment=experiment, level=ExperimentLevel.EDIT, user=alice, actor=admin,
                                      entry_point=ENTRY_POINT)
    for model in RegisteredModel.objects.filter(name__in=ALICE_MODEL_LEVELS):
        level = ALICE_MODEL_LEVELS[model.name]
        if not ModelPermission.objects.filter(registered_model=model, user=alice, level__gte=level).exists():
            permission_set(registered_model=model, level=level, user=alice, actor=admin, entry_point=ENTRY_POINT)


def _holdout_dataset(actor) -> ValidationDataset:
    """The 20% of the wine data the demo models were not trained on (models_app.demo.training's split)."""
    existing = ValidationDataset.objects.filter(name=DATASET_NAME).first()
    if existing is not None:
        return existing
    _, x_test, _, y_test = wine_split()
    buffer = io.BytesIO()
    x_test.assign(target=y_test).to_csv(buffer, index=False)
    return validation_dataset_create(
        name=DATASET_NAME, upload=SimpleUploadedFile(f"{DATASET_NAME}.csv", buffer.getvalue()), target_column="target",
        task_type="classification", actor=actor, entry_point=ENTRY_POINT,
        description=f"Wine test split ({len(x_test)} rows) held out from the demo's training.")


def _demo_users(*usernames: str) -> dict:
    found = {user.username: user for user in get_user_model().objects.filter(username__in=usernames)}
    missing = sorted(set(usernames) - set(found))
    if missing:
        raise NotFound(f"Demo users {', '.join(missing)} do not exist: run `manage.py seed_demo` first.")
    return found
