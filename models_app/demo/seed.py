"""Build the demo: three users, a demo API token, and three registered models trained for real.

Everything is written through the registry's services (experiments, runs, logged models, artifacts,
versions, stages, aliases), as an MLflow client would, so the audit chain and history are real too.
Running it again changes nothing but the demo token (see `demo_token_issue`).
"""
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from ..choices import EntryPoint, LoggedModelStatus, RunStatus, Stage
from ..models import ApiToken, Experiment, ModelVersion, RegisteredModel
from ..models.base import now_ms
from ..services.artifacts import artifact_uri_to_path, artifact_write
from ..services.experiments import experiment_create
from ..services.logged_models import logged_model_create, logged_model_finalize
from ..services.registry import model_version_create, registered_model_create
from ..services.runs import MetricPoint, run_create, run_log_batch, run_log_outputs, run_update
from ..services.stages import model_version_transition_stage, registered_model_alias_set
from ..services.tokens import api_token_create
from . import training

APPROVERS_GROUP = "prod-approvers"
DEMO_TOKEN_NAME = "demo"
ENTRY_POINT = EntryPoint.COMMAND
SEED_REASON = "demo data seeded by `manage.py seed_demo`"


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str
    is_superuser: bool = False


DEMO_USERS = (
    DemoUser("admin", "admin-pass", "administrator (superuser, admin site)", is_superuser=True),
    DemoUser("alice", "alice-pass", "data scientist (MLflow scripts, API token below)"),
    DemoUser("rita", "rita-pass", f"reviewer (group {APPROVERS_GROUP})"),
)


@dataclass(frozen=True)
class DemoModel:
    """A registered model of the demo: where its runs go and how its versions end up."""

    name: str
    experiment_name: str
    description: str
    train: Callable[[], list[training.TrainedModel]]
    # Stage of version N (1-based) once seeded; the Production one also gets the alias.
    stages: tuple[Stage, ...] = (Stage.PRODUCTION, Stage.STAGING)
    alias: str = "champion"


DEMO_MODELS = (
    DemoModel("iris_classifier", "Iris Classification",
              "Random Forest trained on the Iris dataset (scikit-learn).", training.iris_models),
    DemoModel("HousePricePredictor", "House Prices",
              "Linear regression predicting house prices from three synthetic features.",
              training.house_price_models),
    DemoModel("wine_classifier", "Wine Classification",
              "Random Forest telling three wine cultivars apart from 13 measurements (scikit-learn's wine data). "
              "Its Production is governed: promotions need a review and a passed validation run.",
              training.wine_models),
)


@dataclass(frozen=True)
class SeedResult:
    users: tuple[DemoUser, ...]
    token: str
    seeded_models: list[str]
    skipped_models: list[str]


def demo_seed() -> SeedResult:
    """Create (or refresh) the users, issue the demo token, and seed each model that has no versions yet."""
    users = {user.username: demo_user_ensure(user) for user in DEMO_USERS}
    Group.objects.get_or_create(name=APPROVERS_GROUP)[0].user_set.add(users["rita"])
    token = demo_token_issue(users["alice"])
    seeded, skipped = [], []
    for spec in DEMO_MODELS:
        (seeded if demo_model_seed(spec, actor=users["admin"]) else skipped).append(spec.name)
    return SeedResult(users=DEMO_USERS, token=token, seeded_models=seeded, skipped_models=skipped)


def demo_user_ensure(demo: DemoUser):
    """The user, created if missing; the password is reset so the printed credentials always work."""
    user, _ = get_user_model().objects.get_or_create(
        username=demo.username, defaults={"email": f"{demo.username}@example.com"}
    )
    user.is_superuser = user.is_staff = demo.is_superuser
    user.set_password(demo.password)
    user.save()
    return user


def demo_token_issue(user) -> str:
    """A fresh demo token for `user`; the previous one is removed, so exactly one demo token exists.

    Only a hash of a token is stored, so an earlier run's token cannot be shown again: each run
    issues a new one (audited as token.created) and drops the one it replaces.
    """
    with transaction.atomic():
        ApiToken.objects.filter(user=user, name=DEMO_TOKEN_NAME).delete()
        raw, _token = api_token_create(user=user, name=DEMO_TOKEN_NAME, entry_point=ENTRY_POINT)
    return raw


def demo_model_seed(spec: DemoModel, *, actor) -> bool:
    """Train, log, register and stage `spec`'s versions; False (nothing done) if it has versions already."""
    if ModelVersion.objects.filter(registered_model__name=spec.name).exists():
        return False
    trained_models = spec.train()
    with transaction.atomic():
        experiment = Experiment.objects.filter(name=spec.experiment_name).first() or experiment_create(
            name=spec.experiment_name, actor=actor, entry_point=ENTRY_POINT
        )
        if not RegisteredModel.objects.filter(name=spec.name).exists():
            registered_model_create(name=spec.name, actor=actor, entry_point=ENTRY_POINT,
                                    description=spec.description, tags=[("team", "data_science")])
        versions = [_run_log_and_register(trained, experiment, spec, actor) for trained in trained_models]
        for version, stage in zip(versions, spec.stages, strict=False):
            _stage_apply(version, stage, spec, actor)
    return True


def _run_log_and_register(trained: training.TrainedModel, experiment, spec: DemoModel, actor) -> ModelVersion:
    """One run as an MLflow 3 script logs it: params, metrics, the model's files; then a new version of it."""
    run = run_create(experiment=experiment, actor=actor, user_id=actor.get_username(), run_name=trained.run_name,
                     tags=[("mlflow.source.type", "LOCAL"), ("mlflow.user", actor.get_username())])
    timestamp = now_ms()
    run_log_batch(run=run, actor=actor, params=list(trained.params.items()),
                  metrics=[MetricPoint(key=k, value=v, timestamp=timestamp) for k, v in trained.metrics.items()])
    logged_model = logged_model_create(experiment=experiment, actor=actor, name="model", source_run=run,
                                       model_type="sklearn")
    _logged_model_upload(trained, logged_model, run_id=run.pk, actor=actor)
    logged_model_finalize(logged_model=logged_model, status=LoggedModelStatus.READY, actor=actor)
    run_log_outputs(run=run, outputs=[(logged_model.pk, 0)], actor=actor)
    run_update(run=run, actor=actor, status=RunStatus.FINISHED, end_time=now_ms())
    return model_version_create(
        name=spec.name, source=f"models:/{logged_model.pk}", actor=actor, entry_point=ENTRY_POINT, run_id=run.pk,
        model_id=logged_model.pk, description=f"{trained.run_name}: {_metrics_summary(trained.metrics)}",
        tags=[("team", "data_science")],
    )


def _logged_model_upload(trained: training.TrainedModel, logged_model, *, run_id: str, actor) -> None:
    """Save the model in MLflow's format in a temporary folder, then store each file under the logged model."""
    root = artifact_uri_to_path(logged_model.artifact_location)
    with tempfile.TemporaryDirectory(prefix="seed-demo-") as folder:
        saved = training.model_save(trained, Path(folder), run_id=run_id, model_id=logged_model.pk)
        for file in sorted(path for path in saved.rglob("*") if path.is_file()):
            with file.open("rb") as stream:
                artifact_write(path=f"{root}/{file.relative_to(saved).as_posix()}", stream=stream, actor=actor)


def _stage_apply(version: ModelVersion, stage: Stage, spec: DemoModel, actor) -> None:
    model_version_transition_stage(version=version, to_stage=stage, actor=actor, entry_point=ENTRY_POINT,
                                   reason=SEED_REASON, force_reason=SEED_REASON)
    if stage == Stage.PRODUCTION:
        registered_model_alias_set(registered_model=version.registered_model, alias=spec.alias,
                                   version_number=version.version, actor=actor, entry_point=ENTRY_POINT,
                                   force_reason=SEED_REASON)


def _metrics_summary(metrics: dict[str, float]) -> str:
    return ", ".join(f"{key}={value:.3f}" for key, value in metrics.items())
