"""Enumerations of the approvals domain."""
from django.db import models


class ReviewRequestStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    APPROVED = "APPROVED", "Approved"
    APPLIED = "APPLIED", "Applied"
    REJECTED = "REJECTED", "Rejected"
    CANCELLED = "CANCELLED", "Cancelled"
    SUPERSEDED = "SUPERSEDED", "Superseded"


# A request still waiting for something: reviews (PENDING) or its application (APPROVED).
OPEN_REVIEW_STATUSES = (ReviewRequestStatus.PENDING, ReviewRequestStatus.APPROVED)
CLOSED_REVIEW_STATUSES = (
    ReviewRequestStatus.APPLIED,
    ReviewRequestStatus.REJECTED,
    ReviewRequestStatus.CANCELLED,
    ReviewRequestStatus.SUPERSEDED,
)


class ReviewAction(models.TextChoices):
    """What a review request asks for. MOVE covers entering a protected stage or alias and leaving a protected
    stage (demoting, archiving); the others are the exits that take a model or version out of governance."""

    MOVE = "move", "Move"
    REMOVE_ALIAS = "remove_alias", "Remove alias"
    DELETE_VERSION = "delete_version", "Delete version"
    DELETE_MODEL = "delete_model", "Delete model"
    RENAME_MODEL = "rename_model", "Rename model"


# Requests about the model as a whole: no version, at most one open per model and action.
MODEL_LEVEL_ACTIONS = (ReviewAction.DELETE_MODEL, ReviewAction.RENAME_MODEL)


class ReviewDecision(models.TextChoices):
    APPROVE = "APPROVE", "Approve"
    REJECT = "REJECT", "Reject"


# Version tags only the registry writes, when it applies an approved review request (compared after name_normalize).
RESERVED_TAG_KEYS = frozenset({"approved_by", "approved_at", "review_request"})


class ValidationStatus(models.TextChoices):
    QUEUED = "QUEUED", "Queued"
    RUNNING = "RUNNING", "Running"
    PASSED = "PASSED", "Passed"
    FAILED = "FAILED", "Failed"
    ERROR = "ERROR", "Error"


UNFINISHED_VALIDATION_STATUSES = (ValidationStatus.QUEUED, ValidationStatus.RUNNING)


class CheckStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    PASSED = "PASSED", "Passed"
    FAILED = "FAILED", "Failed"
    ERROR = "ERROR", "Error"


class CheckKind(models.TextChoices):
    ARTIFACT_INTEGRITY = "artifact_integrity", "Artifact integrity"
    METRIC_THRESHOLD = "metric_threshold", "Metric threshold"
    CHAMPION_COMPARISON = "champion_comparison", "Champion comparison"
    LOAD_AND_SCORE = "load_and_score", "Load and score"
    SCORE_THRESHOLD = "score_threshold", "Score threshold"
    SCORE_CHAMPION_COMPARISON = "score_champion_comparison", "Score against champion"


class TaskType(models.TextChoices):
    CLASSIFICATION = "classification", "Classification"
    REGRESSION = "regression", "Regression"


class DatasetFormat(models.TextChoices):
    CSV = "csv", "CSV"
    PARQUET = "parquet", "Parquet"
