"""Enumerations of the registry domain, with MLflow's spellings on the wire."""
from django.db import models


class LifecycleStage(models.TextChoices):
    ACTIVE = "active", "Active"
    DELETED = "deleted", "Deleted"


class RunStatus(models.TextChoices):
    RUNNING = "RUNNING", "Running"
    SCHEDULED = "SCHEDULED", "Scheduled"
    FINISHED = "FINISHED", "Finished"
    FAILED = "FAILED", "Failed"
    KILLED = "KILLED", "Killed"


RUN_TERMINAL_STATUSES = frozenset({RunStatus.FINISHED, RunStatus.FAILED, RunStatus.KILLED})


class LoggedModelStatus(models.TextChoices):
    PENDING = "LOGGED_MODEL_PENDING", "Pending"
    READY = "LOGGED_MODEL_READY", "Ready"
    UPLOAD_FAILED = "LOGGED_MODEL_UPLOAD_FAILED", "Upload failed"


class ModelVersionStatus(models.TextChoices):
    PENDING_REGISTRATION = "PENDING_REGISTRATION", "Pending registration"
    FAILED_REGISTRATION = "FAILED_REGISTRATION", "Failed registration"
    READY = "READY", "Ready"


class Stage(models.TextChoices):
    NONE = "None", "None"
    STAGING = "Staging", "Staging"
    PRODUCTION = "Production", "Production"
    ARCHIVED = "Archived", "Archived"

    @classmethod
    def canonical(cls, name: str) -> "Stage | None":
        """MLflow matches stage names case-insensitively and stores them canonically."""
        for stage in cls:
            if stage.value.lower() == (name or "").strip().lower():
                return stage
        return None


# Stages that, with REGISTRY_SINGLE_OCCUPANCY_STAGES on, hold at most one version per model.
SINGLE_OCCUPANCY_STAGES = frozenset({Stage.STAGING, Stage.PRODUCTION})
# MLflow allows archive_existing_versions only when moving into an active stage.
ARCHIVE_EXISTING_ALLOWED_STAGES = frozenset({Stage.STAGING, Stage.PRODUCTION})


class EntryPoint(models.TextChoices):
    """Through which interface a change arrived (recorded in history and audit)."""

    MLFLOW_API = "mlflow_api", "MLflow API"
    NATIVE_API = "native_api", "Native API"
    PAGE = "page", "Web page"
    ADMIN = "admin", "Admin"
    REVIEW_REQUEST = "review_request", "Approved review request"
    COMMAND = "command", "Management command"
    SYSTEM = "system", "System"


class AuditAction(models.TextChoices):
    EXPERIMENT_CREATED = "experiment.created"
    EXPERIMENT_DELETED = "experiment.deleted"
    EXPERIMENT_RESTORED = "experiment.restored"
    EXPERIMENT_RENAMED = "experiment.renamed"
    RUN_DELETED = "run.deleted"
    RUN_RESTORED = "run.restored"
    REGISTERED_MODEL_CREATED = "registered_model.created"
    REGISTERED_MODEL_RENAMED = "registered_model.renamed"
    REGISTERED_MODEL_DELETED = "registered_model.deleted"
    REGISTERED_MODEL_DESCRIPTION_CHANGED = "registered_model.description_changed"
    REGISTERED_MODEL_TAG_SET = "registered_model.tag_set"
    REGISTERED_MODEL_TAG_DELETED = "registered_model.tag_deleted"
    MODEL_VERSION_CREATED = "model_version.created"
    MODEL_VERSION_DELETED = "model_version.deleted"
    MODEL_VERSION_DESCRIPTION_CHANGED = "model_version.description_changed"
    MODEL_VERSION_TAG_SET = "model_version.tag_set"
    MODEL_VERSION_TAG_DELETED = "model_version.tag_deleted"
    MODEL_VERSION_STAGE_CHANGED = "model_version.stage_changed"
    ALIAS_SET = "alias.set"
    ALIAS_DELETED = "alias.deleted"
    TOKEN_CREATED = "token.created"
    AUDIT_RECHAINED = "audit.rechained"
    # Governance actions (recorded by the approvals app through the same audit service).
    PERMISSION_CHANGED = "permission.changed"
    POLICY_CREATED = "policy.created"
    POLICY_UPDATED = "policy.updated"
    POLICY_DELETED = "policy.deleted"
    REVIEW_REQUESTED = "review_request.created"
    REVIEW_APPROVED = "review_request.approved"
    REVIEW_REJECTED = "review_request.rejected"
    REVIEW_CANCELLED = "review_request.cancelled"
    REVIEW_APPLIED = "review_request.applied"
    REVIEW_SUPERSEDED = "review_request.superseded"
    GATE_BYPASSED = "gate.bypassed"
    VALIDATION_REQUESTED = "validation_run.created"
    VALIDATION_FINISHED = "validation_run.finished"
    VALIDATION_DATASET_CREATED = "validation_dataset.created"
    VALIDATION_DATASET_DELETED = "validation_dataset.deleted"
    VERSION_COMMENT_CREATED = "model_version_comment.created"
