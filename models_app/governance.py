"""The one hook through which governance reaches the registry.

`models_app` defines the questions; the approvals app answers them by registering its own
`Governance` from `ApprovalsConfig.ready()`. With nothing registered every question is answered
"allowed", so the registry works and is tested on its own. Services ask; nothing else does.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:
    from .models import Experiment, ModelVersion, RegisteredModel


class PermissionLevel(models.IntegerChoices):
    """Per-model permission levels, each including the ones below it."""

    NONE = 0, "No access"
    CAN_READ = 10, "Can read"
    CAN_EDIT = 20, "Can edit"
    CAN_MANAGE_STAGING_VERSIONS = 30, "Can manage Staging versions"
    CAN_MANAGE_PRODUCTION_VERSIONS = 40, "Can manage Production versions"
    CAN_MANAGE = 50, "Can manage"


class ExperimentLevel(models.IntegerChoices):
    """Per-experiment permission levels (the names of MLflow's auth app), each including the ones below it.

    Runs, their metrics, params, tags, inputs and artifacts, and logged models inherit their experiment's level.
    """

    NO_PERMISSIONS = 0, "No permissions"
    READ = 10, "Read"
    EDIT = 20, "Edit"
    MANAGE = 30, "Manage"


def level_for_stage_change(from_stage: str, to_stage: str) -> PermissionLevel:
    """Moving a version into or out of Production needs the Production level; other moves the Staging one."""
    if "Production" in (from_stage, to_stage):
        return PermissionLevel.CAN_MANAGE_PRODUCTION_VERSIONS
    return PermissionLevel.CAN_MANAGE_STAGING_VERSIONS


@dataclass(frozen=True)
class StageChange:
    version: ModelVersion
    from_stage: str
    to_stage: str
    actor: Any
    entry_point: str
    review_request_id: int | None = None
    force_reason: str = ""


@dataclass(frozen=True)
class AliasChange:
    registered_model: RegisteredModel
    alias: str
    version: ModelVersion | None  # None: the alias is deleted
    actor: Any
    entry_point: str
    review_request_id: int | None = None
    force_reason: str = ""
    from_version: ModelVersion | None = None  # the version the alias points to now, when deleting it


class DeploymentJobRunState(models.TextChoices):
    """MLflow 3's ModelVersionDeploymentJobState.DeploymentJobRunState values that governance reports."""

    PENDING = "PENDING", "Pending"
    RUNNING = "RUNNING", "Running"
    APPROVAL = "APPROVAL", "Awaiting approval"
    SUCCEEDED = "SUCCEEDED", "Succeeded"
    FAILED = "FAILED", "Failed"


@dataclass(frozen=True)
class DeploymentJobState:
    """MLflow 3's ModelVersionDeploymentJobState: a version's promotion seen as a deployment job's run."""

    job_id: str
    run_id: str
    run_state: DeploymentJobRunState
    current_task_name: str
    job_state: str = "CONNECTED"  # MLflow's DeploymentJobConnection.State: the job exists and is reachable

    def as_json(self) -> dict:
        return {"job_id": self.job_id, "run_id": self.run_id, "job_state": self.job_state,
                "run_state": str(self.run_state), "current_task_name": self.current_task_name}


class ModelChangeKind(models.TextChoices):
    """Changes that remove or rename what a policy governs (stage and alias moves have their own records)."""

    DELETE_VERSION = "delete_version", "Delete version"
    DELETE_MODEL = "delete_model", "Delete model"
    RENAME_MODEL = "rename_model", "Rename model"


@dataclass(frozen=True)
class ModelChange:
    kind: ModelChangeKind
    registered_model: RegisteredModel
    actor: Any
    entry_point: str
    version: ModelVersion | None = None  # DELETE_VERSION
    new_name: str = ""  # RENAME_MODEL
    review_request_id: int | None = None
    force_reason: str = ""


@dataclass(frozen=True)
class Protection:
    """What a policy protects on one model, for pages to mark before anyone is refused."""

    policy_name: str
    stages: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    archive_previous: bool = False  # a promotion archives the stage's previous occupant (its aliases stay)

    def protects_stage(self, stage: str) -> bool:
        return stage in self.stages

    def protects_alias(self, alias: str) -> bool:
        return alias in self.aliases


class Governance:
    """Default answers: everything allowed. Methods raise a RegistryError to refuse."""

    def authorize(self, *, actor, registered_model: RegisteredModel | None, level: PermissionLevel) -> None:
        """Refuse unless `actor` holds `level` on the model (None: creating a new model)."""

    def readable_models_filter(self, actor) -> models.Q | None:
        """A Q over RegisteredModel limiting reads to what `actor` may see; None means all."""
        return None

    def authorize_experiment(self, *, actor, experiment: Experiment | None, level: ExperimentLevel) -> None:
        """Refuse unless `actor` holds `level` on the experiment (None: creating a new experiment)."""

    def readable_experiments_filter(self, actor) -> models.Q | None:
        """A Q over Experiment limiting reads to what `actor` may see; None means all."""
        return None

    def sees_whole_audit_log(self, actor) -> bool:
        """Whether `actor` sees every audit event, registry-wide ones and those of deleted objects included."""
        return True

    def on_experiment_created(self, *, experiment: Experiment, actor) -> None:
        """Inside the creating transaction (e.g. grant the creator MANAGE)."""

    def check_stage_change(self, change: StageChange) -> None:
        """The gate for stages, entering and leaving; called under the model's lock, before the change."""

    def check_alias_change(self, change: AliasChange) -> None:
        """The gate for aliases, pointing and removing; called under the model's lock, before the change."""

    def check_model_change(self, change: ModelChange) -> None:
        """The gate for deleting a version or a model and renaming a model; called under the model's lock."""

    def check_tag_write(
        self, *, actor, entry_point: str, key: str, registered_model: RegisteredModel | None
    ) -> None:
        """Refuse writes of reserved tags by clients (`registered_model` None: the model is being created)."""

    def check_artifact_write(self, *, actor, path: str, entry_point: str = "") -> None:
        """Refuse writes under the artifacts of a version in a protected stage (or void what they change).

        Called inside the writing transaction, after the write's artifact lock is held."""

    def version_verdicts(self, versions: list) -> dict[int, str]:
        """The latest validation verdict per version primary key, for listings (one query for all of them)."""
        return {}

    def pending_review_counts(self, registered_models: list) -> dict[int, int]:
        """Open review requests per registered model primary key, for listings (one query for all of them)."""
        return {}

    def deployment_job_states(self, versions: list) -> dict[int, DeploymentJobState]:
        """Where each version's governed promotion stands, per version primary key, in MLflow 3's terms.

        For listings: a fixed number of queries whatever the number of versions. Versions without one are left out.
        """
        return {}

    def deployment_job_ids(self, registered_models: list) -> dict[int, str]:
        """The id of the governed promotion workflow each model is connected to (its policy), per model primary key."""
        return {}

    def audit_object_url(self, event) -> str:
        """The page of an audit event's object of a kind governance records (review requests, policies…); ""
        when it has none. From the event's columns alone: the audit log calls it once per row."""
        return ""

    def protection_of(self, registered_model: RegisteredModel) -> Protection | None:
        """What protects the model's stages and aliases (None: nothing; every change applies directly)."""
        return None

    def review_request_open(self, *, version: ModelVersion, actor, entry_point: str, stage: str = "",
                            alias: str = "", remove_alias: bool = False, comment: str = "") -> str:
        """Ask for a governed change of `version` (into or out of `stage`, pointing or removing `alias`); returns
        what was opened, in words, for the page."""
        from .exceptions import InvalidParameter

        raise InvalidParameter("Nothing governs this registry: change stages and aliases directly.")

    def on_audit_recorded(self, event) -> None:
        """Inside the transaction that recorded `event` (an AuditEvent): e.g. write its webhook outbox rows."""

    def on_registered_model_created(self, *, registered_model: RegisteredModel, actor) -> None:
        """Inside the creating transaction (e.g. grant the creator CAN_MANAGE)."""

    def on_stage_changed(self, change: StageChange) -> None:
        """Inside the transaction that applied the change (e.g. supersede stale requests)."""

    def on_alias_changed(self, change: AliasChange) -> None:
        """Inside the transaction that moved the alias."""

    def on_model_version_deleting(self, *, version: ModelVersion, actor, entry_point: str,
                                  review_request_id: int | None = None) -> None:
        """Inside the deleting transaction, before the row goes (e.g. close requests about the version)."""

    def on_registered_model_deleting(self, *, registered_model: RegisteredModel, actor, entry_point: str,
                                     review_request_id: int | None = None) -> None:
        """Inside the deleting transaction, before the rows go (e.g. close requests about the model)."""


_registered: Governance = Governance()


def register_governance(governance: Governance) -> None:
    global _registered
    _registered = governance


def current_governance() -> Governance:
    return _registered
