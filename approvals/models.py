"""Governance records: per-model permissions, approval policies, review requests and reviews."""
import fnmatch

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models

from models_app.governance import ExperimentLevel, PermissionLevel
from models_app.models import Experiment, ModelVersion, RegisteredModel
from models_app.naming import name_normalize

from .choices import (
    MODEL_LEVEL_ACTIONS,
    OPEN_REVIEW_STATUSES,
    CheckKind,
    CheckStatus,
    DatasetFormat,
    ReviewAction,
    ReviewDecision,
    ReviewRequestStatus,
    TaskType,
    ValidationStatus,
)


class ModelPermission(models.Model):
    """A permission level on one registered model, granted to one user or one group."""

    registered_model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="permissions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="model_permissions")
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="model_permissions")
    level = models.PositiveSmallIntegerField(choices=PermissionLevel.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["registered_model", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, group__isnull=True)
                | models.Q(user__isnull=True, group__isnull=False),
                name="model_permission_one_principal",
            ),
            models.UniqueConstraint(fields=["registered_model", "user"], name="model_permission_unique_user"),
            models.UniqueConstraint(fields=["registered_model", "group"], name="model_permission_unique_group"),
        ]

    def __str__(self) -> str:
        principal = f"user {self.user}" if self.user_id else f"group {self.group}"
        return f"{principal}: {PermissionLevel(self.level).name} on {self.registered_model}"


class ExperimentPermission(models.Model):
    """A permission level on one experiment (and so on its runs, logged models and artifacts), granted to one
    user or one group."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="permissions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="experiment_permissions")
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="experiment_permissions")
    level = models.PositiveSmallIntegerField(choices=ExperimentLevel.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["experiment", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, group__isnull=True)
                | models.Q(user__isnull=True, group__isnull=False),
                name="experiment_permission_one_principal",
            ),
            models.UniqueConstraint(fields=["experiment", "user"], name="experiment_permission_unique_user"),
            models.UniqueConstraint(fields=["experiment", "group"], name="experiment_permission_unique_group"),
        ]

    def __str__(self) -> str:
        principal = f"user {self.user}" if self.user_id else f"group {self.group}"
        return f"{principal}: {ExperimentLevel(self.level).name} on experiment {self.experiment}"


class ValidationDataset(models.Model):
    """A labelled dataset uploaded to the registry, scored by the load-and-score check of the policies using it."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    # Path in the validation dataset storage (datasets_storage.dataset_storage), outside the artifact store.
    storage_path = models.CharField(max_length=1000)
    file_format = models.CharField(max_length=10, choices=DatasetFormat.choices)
    target_column = models.CharField(max_length=256)
    task_type = models.CharField(max_length=20, choices=TaskType.choices)
    columns = models.JSONField(default=list)
    row_count = models.PositiveIntegerField(default=0)
    size_bytes = models.PositiveBigIntegerField(default=0)
    content_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="validation_datasets")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def snapshot(self) -> dict:
        return {"id": self.pk, "name": self.name, "target_column": self.target_column, "task_type": self.task_type,
                "file_format": self.file_format, "content_hash": self.content_hash}


class ApprovalPolicy(models.Model):
    """Which stages and aliases of the models it matches need approved review requests, and whose approvals count.

    `model_pattern` is a model name or a shell-style pattern (`fraud-*`, `?` and `[...]` too), compared after
    name_normalize; `*` is the registry-wide default. A model is governed by the matching policy with the most
    specific pattern (see selectors.policy_for_name), which replaces the others entirely. Policies are matched by
    name, not tied to a model row, so deleting a model and registering the name again stays governed.
    """

    REGISTRY_WIDE_PATTERN = "*"

    name = models.CharField(max_length=200)
    model_pattern = models.CharField(max_length=256)
    # name_normalize(model_pattern): one policy per pattern, however it is spelled.
    normalized_pattern = models.CharField(max_length=256, unique=True)
    protected_stages = models.JSONField(default=list, blank=True)  # canonical stage names
    protected_aliases = models.JSONField(default=list, blank=True)
    required_approvals = models.PositiveSmallIntegerField(default=1)
    # None: any user holding the manage level for the target may approve. PROTECT: deleting the group
    # must not silently widen who may approve.
    approver_group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="approval_policies")
    allow_self_approval = models.BooleanField(default=False)
    require_validation = models.BooleanField(default=False)
    archive_previous = models.BooleanField(default=True)
    # Validation checks. metric_thresholds: [{"metric": "accuracy", "op": ">=", "value": 0.95}], applied to the
    # source run's metrics and to the scores computed on the datasets. champion_thresholds: MLflow MetricThreshold
    # entries [{"metric", "greater_is_better", "threshold"?, "min_absolute_change"?, "min_relative_change"?}],
    # comparing the candidate with the current occupant of the target.
    metric_thresholds = models.JSONField(default=list, blank=True)
    champion_thresholds = models.JSONField(default=list, blank=True)
    validation_datasets = models.ManyToManyField(ValidationDataset, blank=True, related_name="policies")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "approval policies"
        constraints = [
            models.CheckConstraint(condition=models.Q(required_approvals__gte=1),
                                   name="approval_policy_required_approvals_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.normalized_pattern = name_normalize(self.model_pattern)
        super().save(*args, **kwargs)

    @property
    def is_global(self) -> bool:
        return self.normalized_pattern == self.REGISTRY_WIDE_PATTERN

    @property
    def is_pattern(self) -> bool:
        return any(char in self.model_pattern for char in "*?[")

    def matches(self, normalized_name: str) -> bool:
        return fnmatch.fnmatchcase(normalized_name, self.normalized_pattern)

    def protects_stage(self, stage: str) -> bool:
        return stage in self.protected_stages

    def protects_alias(self, alias: str) -> bool:
        return alias in self.protected_aliases

    def snapshot(self) -> dict:
        """The settings a review request is judged by, frozen when it is opened."""
        return {
            "id": self.pk, "name": self.name, "model_pattern": self.model_pattern, "global": self.is_global,
            "protected_stages": list(self.protected_stages), "protected_aliases": list(self.protected_aliases),
            "required_approvals": self.required_approvals,
            "approver_group_id": self.approver_group_id,
            "approver_group": self.approver_group.name if self.approver_group_id else None,
            "allow_self_approval": self.allow_self_approval, "require_validation": self.require_validation,
            "archive_previous": self.archive_previous, **self.validation_config(),
        }

    def validation_config(self) -> dict:
        """The checks a validation run under this policy executes (datasets as snapshots: they may be deleted)."""
        return {
            "metric_thresholds": list(self.metric_thresholds), "champion_thresholds": list(self.champion_thresholds),
            "validation_datasets": [dataset.snapshot() for dataset in self.validation_datasets.all()]
            if self.pk else [],
        }


class ReviewRequest(models.Model):
    """A request for a governed change: moving a version into (or out of) a protected stage, pointing or removing a
    protected alias, deleting a governed version or model, renaming a governed model."""

    registered_model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="review_requests")
    action = models.CharField(max_length=20, choices=ReviewAction.choices, default=ReviewAction.MOVE)
    # None for requests about the model as a whole. The number survives the version's deletion, so the request
    # stays readable as history.
    version_number = models.PositiveIntegerField(null=True, blank=True)
    model_version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="review_requests")
    # MOVE: the stage the version goes to, or the alias to point at it. REMOVE_ALIAS: the alias.
    target_stage = models.CharField(max_length=20, blank=True)
    target_alias = models.CharField(max_length=256, blank=True)
    new_name = models.CharField(max_length=256, blank=True)  # RENAME_MODEL
    # The version's stage when the request was opened: a later change makes the request stale.
    version_stage_at_request = models.CharField(max_length=20, blank=True)
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="review_requests")
    requester_name = models.CharField(max_length=256, blank=True)
    comment = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=ReviewRequestStatus.choices, default=ReviewRequestStatus.PENDING)
    # Why the request is where it is when that is not obvious (approved but blocked, superseded by what).
    status_message = models.TextField(blank=True)
    policy = models.ForeignKey(ApprovalPolicy, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="review_requests")
    policy_snapshot = models.JSONField(default=dict)
    content_hash = models.CharField(max_length=64, blank=True)
    # What the reviewers are shown, frozen when an entry is requested (see selectors.review_request_evidence): the
    # candidate's source-run metrics and the champion then (the target's occupant) with its metrics. Pages show
    # these, never the current occupant: the evidence of a decision does not change after it.
    evidence = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                # A move targets a stage, an alias, or both (Production + @champion, applied together).
                condition=(models.Q(action=ReviewAction.MOVE)
                           & (~models.Q(target_stage="") | ~models.Q(target_alias="")))
                | (models.Q(action=ReviewAction.REMOVE_ALIAS) & models.Q(target_stage="") & ~models.Q(target_alias=""))
                | (models.Q(action__in=[ReviewAction.DELETE_VERSION, ReviewAction.DELETE_MODEL])
                   & models.Q(target_stage="", target_alias=""))
                | (models.Q(action=ReviewAction.RENAME_MODEL) & models.Q(target_stage="", target_alias="")
                   & ~models.Q(new_name="")),
                name="review_request_target_shape",
            ),
            models.CheckConstraint(condition=models.Q(status__in=ReviewRequestStatus.values),
                                   name="review_request_status_valid"),
            # One open request per version, action and target; a race between two creators ends in AlreadyExists.
            models.UniqueConstraint(
                fields=["model_version", "action", "target_stage", "target_alias"],
                condition=models.Q(status__in=list(OPEN_REVIEW_STATUSES)),
                name="review_request_one_open_per_target",
            ),
            models.UniqueConstraint(
                fields=["registered_model", "action"],
                condition=models.Q(status__in=list(OPEN_REVIEW_STATUSES), action__in=list(MODEL_LEVEL_ACTIONS)),
                name="review_request_one_open_per_model_action",
            ),
        ]
        indexes = [
            # the gate and supersession: open requests of a model
            models.Index(fields=["registered_model", "status"], name="review_request_status_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.registered_model.name}: {self.target_label}"

    @property
    def is_stage_exit(self) -> bool:
        """A stage move whose destination the policy does not protect: the version leaves a protected stage."""
        return is_stage_exit(self.action, self.target_stage, self.policy_snapshot.get("protected_stages", []))

    @property
    def is_entry(self) -> bool:
        """A move into a protected stage or alias: what validation and the content hash are about."""
        return self.action == ReviewAction.MOVE and not self.is_stage_exit

    @property
    def target_label(self) -> str:
        return change_label(self.action, stage=self.target_stage, alias=self.target_alias, new_name=self.new_name,
                            version_number=self.version_number, stage_at_request=self.version_stage_at_request,
                            protected_stages=self.policy_snapshot.get("protected_stages", []))

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REVIEW_STATUSES


def is_stage_exit(action: str, stage: str, protected_stages: list[str]) -> bool:
    return action == ReviewAction.MOVE and bool(stage) and stage not in protected_stages


def change_label(action: str, *, stage: str, alias: str, new_name: str, version_number: int | None,
                 stage_at_request: str, protected_stages: list[str]) -> str:
    """What a request asks for, in a few words ("Production", "@champion", "remove from Production (to None)")."""
    if action == ReviewAction.MOVE:
        if is_stage_exit(action, stage, protected_stages):
            return f"remove from {stage_at_request} (to {stage})"
        return " + ".join(target for target in (stage, f"@{alias}" if alias else "") if target)
    return {
        ReviewAction.REMOVE_ALIAS: f"remove @{alias}",
        ReviewAction.DELETE_VERSION: f"delete version {version_number}",
        ReviewAction.DELETE_MODEL: "delete the model",
        ReviewAction.RENAME_MODEL: f"rename to '{new_name}'",
    }[action]


class Review(models.Model):
    """One reviewer's decision on a request; each reviewer decides once."""

    request = models.ForeignKey(ReviewRequest, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="reviews")
    reviewer_name = models.CharField(max_length=256)
    decision = models.CharField(max_length=10, choices=ReviewDecision.choices)
    comment = models.TextField(blank=True)
    # What the reviewer looked at: the version's artifacts hash at the moment of the decision.
    content_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "reviewer"], name="review_one_per_reviewer"),
            models.CheckConstraint(condition=models.Q(decision__in=ReviewDecision.values),
                                   name="review_decision_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer_name}: {self.decision} on #{self.request_id}"


class ValidationRun(models.Model):
    """One execution of a policy's checks against one version, by a Celery worker; evidence for approval."""

    registered_model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="validation_runs")
    version_number = models.PositiveIntegerField()
    model_version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="validation_runs")
    review_request = models.ForeignKey(ReviewRequest, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="validation_runs")
    # The target whose current occupant is the champion to compare with (none: no comparison).
    target_stage = models.CharField(max_length=20, blank=True)
    target_alias = models.CharField(max_length=256, blank=True)
    champion_version_number = models.PositiveIntegerField(null=True, blank=True)
    policy_name = models.CharField(max_length=200, blank=True)
    config = models.JSONField(default=dict)
    # The version's artifacts hash when the run was created; a PASSED run vouches for these files only.
    content_hash = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=ValidationStatus.choices, default=ValidationStatus.QUEUED)
    summary = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="validation_runs")
    requested_by_name = models.CharField(max_length=256, blank=True)
    # Claiming: the worker executing the run holds claim_token and refreshes heartbeat_at while it works.
    claim_token = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    deadline_at = models.DateTimeField(null=True, blank=True)  # set when a worker claims it
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=ValidationStatus.values),
                                   name="validation_run_status_valid"),
        ]
        indexes = [
            # the dispatcher and the sweeper: unfinished runs
            models.Index(fields=["status", "dispatched_at"], name="validation_run_status_idx"),
        ]

    def __str__(self) -> str:
        return f"validation #{self.pk} of {self.registered_model.name} v{self.version_number}: {self.status}"

    @property
    def target_label(self) -> str:
        return self.target_stage or (f"@{self.target_alias}" if self.target_alias else "")

    @property
    def is_finished(self) -> bool:
        return self.status not in (ValidationStatus.QUEUED, ValidationStatus.RUNNING)


class ValidationCheck(models.Model):
    """One check of a run, planned when the run is created (PENDING) and recorded as the worker executes it."""

    run = models.ForeignKey(ValidationRun, on_delete=models.CASCADE, related_name="checks")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=30, choices=CheckKind.choices)
    name = models.CharField(max_length=300)
    # What the check needs beyond the run's config: the metric, the dataset.
    spec = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=CheckStatus.choices, default=CheckStatus.PENDING)
    observed = models.CharField(max_length=500, blank=True)
    expected = models.CharField(max_length=500, blank=True)
    message = models.TextField(blank=True)
    # Evidence beyond the figures, e.g. for scoring checks the sandbox used ("isolation": "bubblewrap" or
    # "subprocess", with what it confined and its limits) and the dataset hash that was verified.
    details = models.JSONField(default=dict, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="validation_check_unique_position"),
            models.CheckConstraint(condition=models.Q(status__in=CheckStatus.values),
                                   name="validation_check_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.status}"

# Models of their own modules, registered with the app here.
from .comment_models import VersionComment  # noqa: E402,F401
from .notification_models import NotificationPreference  # noqa: E402,F401
from .webhook_models import Webhook, WebhookDelivery, WebhookDeliveryAttempt  # noqa: E402,F401
