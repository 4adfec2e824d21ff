"""Reads of the approvals domain: effective permission levels, policies, review requests, validation runs."""
from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet

from models_app.governance import ExperimentLevel, PermissionLevel, level_for_stage_change
from models_app.models import Experiment, LatestMetric, ModelVersion, RegisteredModel
from models_app.naming import name_normalize
from models_app.services.artifacts import artifact_uri_to_path, artifacts_content_hash

from .choices import (
    MODEL_LEVEL_ACTIONS,
    OPEN_REVIEW_STATUSES,
    CheckStatus,
    ReviewAction,
    ReviewDecision,
    ReviewRequestStatus,
    ValidationStatus,
)
from .models import ApprovalPolicy, ExperimentPermission, ModelPermission, ReviewRequest, ValidationRun


def is_registry_admin(user) -> bool:
    """Staff superusers can do everything (and their bypasses are audited)."""
    return bool(getattr(user, "is_authenticated", False) and user.is_staff and user.is_superuser)


def is_governance_admin(user) -> bool:
    """Staff superusers and members of REGISTRY_GOVERNANCE_ADMIN_GROUP govern policies and datasets."""
    if is_registry_admin(user):
        return True
    if not getattr(user, "is_authenticated", False) or not settings.REGISTRY_GOVERNANCE_ADMIN_GROUP:
        return False
    return user.groups.filter(name=settings.REGISTRY_GOVERNANCE_ADMIN_GROUP).exists()


def approval_level(*, action: str, from_stage: str = "", to_stage: str = "") -> PermissionLevel:
    """The level a reviewer needs to decide a change: the one the change itself needs, at least Staging's.

    Deleting and renaming need CAN_MANAGE; stage moves the level of the move; aliases Production's.
    """
    if action in (ReviewAction.DELETE_VERSION, *MODEL_LEVEL_ACTIONS):
        return PermissionLevel.CAN_MANAGE
    if to_stage:
        return level_for_stage_change(from_stage, to_stage)
    return PermissionLevel.CAN_MANAGE_PRODUCTION_VERSIONS


def default_permission_level() -> PermissionLevel:
    return PermissionLevel[settings.REGISTRY_DEFAULT_PERMISSION]


def permission_level_of(*, user, registered_model: RegisteredModel | None) -> PermissionLevel:
    """The effective level: the highest of the user's grants, their groups' grants and the default.

    None is the system (everything); anonymous users get at most CAN_READ, and only when allowed.
    """
    if user is None or is_registry_admin(user):
        return PermissionLevel.CAN_MANAGE
    default = default_permission_level()
    if not getattr(user, "is_authenticated", False):
        allowed = settings.REGISTRY_ALLOW_ANONYMOUS
        return PermissionLevel(min(default, PermissionLevel.CAN_READ)) if allowed else PermissionLevel.NONE
    if registered_model is None:
        return default
    granted = ModelPermission.objects.filter(
        _grants_of(user), registered_model=registered_model
    ).aggregate(level=Max("level"))["level"]
    return PermissionLevel(max(default, granted or PermissionLevel.NONE))


def _grants_of(user) -> Q:
    return Q(user=user) | Q(group__in=user.groups.all())


def readable_models_filter(user) -> Q | None:
    """A Q limiting RegisteredModel to what `user` may read; None when the default already allows all."""
    if user is None or is_registry_admin(user):
        return None
    if permission_level_of(user=user, registered_model=None) >= PermissionLevel.CAN_READ:
        return None
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    readable = ModelPermission.objects.filter(_grants_of(user), level__gte=PermissionLevel.CAN_READ)
    return Q(pk__in=readable.values("registered_model_id"))


def model_permissions(*, registered_model: RegisteredModel) -> QuerySet[ModelPermission]:
    return ModelPermission.objects.filter(registered_model=registered_model).select_related("user", "group")


def default_experiment_level() -> ExperimentLevel:
    return ExperimentLevel[settings.REGISTRY_DEFAULT_EXPERIMENT_PERMISSION]


def experiment_level_of(*, user, experiment: Experiment | None) -> ExperimentLevel:
    """The effective level on an experiment: the highest of the user's grant, their groups' grants and the default.

    None is the system, staff superusers and governance admins: MANAGE. Anonymous users get at most READ, and only
    when the deployment allows anonymous access. `experiment` None: the default alone.
    """
    if user is None or is_registry_admin(user):
        return ExperimentLevel.MANAGE
    default = default_experiment_level()
    if not getattr(user, "is_authenticated", False):
        allowed = settings.REGISTRY_ALLOW_ANONYMOUS
        return ExperimentLevel(min(default, ExperimentLevel.READ)) if allowed else ExperimentLevel.NO_PERMISSIONS
    if default == ExperimentLevel.MANAGE or is_governance_admin(user):
        return ExperimentLevel.MANAGE
    if experiment is None:
        return default
    granted = ExperimentPermission.objects.filter(
        _grants_of(user), experiment=experiment).aggregate(level=Max("level"))["level"]
    return ExperimentLevel(max(default, granted or ExperimentLevel.NO_PERMISSIONS))


def readable_experiments_filter(user) -> Q | None:
    """A Q limiting Experiment to what `user` may read (one subquery); None when the default already allows all.

    Asks the database nothing when the default decides (signed-in users and READ or more by default)."""
    if user is None or is_registry_admin(user):
        return None
    signed_in = getattr(user, "is_authenticated", False)
    if signed_in and default_experiment_level() >= ExperimentLevel.READ:
        return None
    if experiment_level_of(user=user, experiment=None) >= ExperimentLevel.READ:
        return None
    if not signed_in:
        return Q(pk__in=[])
    readable = ExperimentPermission.objects.filter(_grants_of(user), level__gte=ExperimentLevel.READ)
    return Q(pk__in=readable.values("experiment_id"))


def experiment_permissions(*, experiment: Experiment) -> QuerySet[ExperimentPermission]:
    return ExperimentPermission.objects.filter(experiment=experiment).select_related("user", "group")


def policies_all() -> list[ApprovalPolicy]:
    return list(ApprovalPolicy.objects.select_related("approver_group").order_by("id"))


def policy_for_name(name: str, *, policies: list[ApprovalPolicy] | None = None) -> ApprovalPolicy | None:
    """The policy governing a model called `name`: of the policies whose pattern matches it, the most specific.

    Specific means more literal characters, then fewer wildcards (an exact name beats `fraud-*`, which beats
    `*`), then the older policy. None: the model is ungoverned.
    """
    normalized = name_normalize(name)
    matching = [policy for policy in (policies if policies is not None else policies_all())
                if policy.matches(normalized)]
    return min(matching, key=_specificity, default=None)


def _specificity(policy: ApprovalPolicy) -> tuple[int, int, int]:
    literals = wildcards = 0
    pattern = policy.normalized_pattern
    position = 0
    while position < len(pattern):
        char = pattern[position]
        closing = pattern.find("]", position + 2) if char == "[" else -1
        if char in "*?":
            wildcards += 1
        elif closing != -1:
            # A one-character class such as the escaped '[*]' is a literal; a real class is a wildcard.
            literals, wildcards = (literals + 1, wildcards) if closing == position + 2 else (literals, wildcards + 1)
            position = closing
        else:
            literals += 1
        position += 1
    return -literals, wildcards, policy.pk


def policy_effective(*, registered_model: RegisteredModel | None) -> ApprovalPolicy | None:
    """The policy governing the model (None while creating one: the registry-wide policy, if any)."""
    if registered_model is None:
        return next((policy for policy in policies_all() if policy.is_global), None)
    return policy_for_name(registered_model.name)


def policy_protecting_stage(*, registered_model: RegisteredModel, stage: str) -> ApprovalPolicy | None:
    policy = policy_effective(registered_model=registered_model)
    return policy if policy is not None and policy.protects_stage(stage) else None


def policy_protecting_alias(*, registered_model: RegisteredModel, alias: str) -> ApprovalPolicy | None:
    policy = policy_effective(registered_model=registered_model)
    return policy if policy is not None and policy.protects_alias(alias) else None


def policy_matched_models(policy: ApprovalPolicy, *, user) -> QuerySet[RegisteredModel]:
    """Models `user` may read that `policy` governs (another, more specific policy may govern some it matches)."""
    policies = policies_all()
    names = registered_models_readable(user).values_list("pk", "name")
    governed = [pk for pk, name in names
                if (governing := policy_for_name(name, policies=policies)) is not None and governing.pk == policy.pk]
    return RegisteredModel.objects.filter(pk__in=governed)


def version_protection(version: ModelVersion, policy: ApprovalPolicy | None) -> str:
    """Why `version` is governed as it stands ("it is in Production", "alias @champion points to it"), or ""."""
    if policy is None:
        return ""
    if policy.protects_stage(version.stage):
        return f"it is in {version.stage}"
    for alias in version.aliases.all():
        if policy.protects_alias(alias.alias):
            return f"alias @{alias.alias} points to it"
    return ""


def policies_visible(user) -> QuerySet[ApprovalPolicy]:
    """Governance admins see every policy; others the registry-wide ones and those matching a model they may read."""
    queryset = ApprovalPolicy.objects.select_related("approver_group").prefetch_related("validation_datasets")
    if is_governance_admin(user) or readable_models_filter(user) is None:
        return queryset
    policies = policies_all()
    names = [name_normalize(name) for name in registered_models_readable(user).values_list("name", flat=True)]
    visible = [policy.pk for policy in policies if policy.is_global or any(policy.matches(name) for name in names)]
    return queryset.filter(pk__in=visible)


def registered_models_readable(user) -> QuerySet[RegisteredModel]:
    condition = readable_models_filter(user)
    return RegisteredModel.objects.filter(condition) if condition is not None else RegisteredModel.objects.all()


def review_requests_open(*, registered_model: RegisteredModel) -> QuerySet[ReviewRequest]:
    return ReviewRequest.objects.filter(registered_model=registered_model, status__in=OPEN_REVIEW_STATUSES)


def review_request_open_for(*, registered_model: RegisteredModel, version: ModelVersion | None = None,
                            action: str = ReviewAction.MOVE, stage: str = "", alias: str = "") -> ReviewRequest | None:
    """The open request asking for the same change (model-level actions: for the same model)."""
    found = ReviewRequest.objects.filter(registered_model=registered_model, action=action,
                                         status__in=OPEN_REVIEW_STATUSES)
    if action not in MODEL_LEVEL_ACTIONS:
        found = found.filter(model_version=version, target_stage=stage, target_alias=alias)
    return found.first()


def review_request_inbox_for(user) -> QuerySet[ReviewRequest]:
    """Pending requests `user` could decide: in their policy's approver group (or none named), not their own
    unless the policy allows it, not yet reviewed by them, on models they can read. The level needed is
    checked again when they decide."""
    if not getattr(user, "is_authenticated", False):
        return ReviewRequest.objects.none()
    queryset = ReviewRequest.objects.filter(status=ReviewRequestStatus.PENDING).exclude(reviews__reviewer=user)
    if not is_registry_admin(user):
        group_ids = list(user.groups.values_list("pk", flat=True))
        queryset = queryset.filter(Q(policy_snapshot__approver_group_id=None)
                                   | Q(policy_snapshot__approver_group_id__in=group_ids))
    queryset = queryset.exclude(Q(requester=user) & ~Q(policy_snapshot__allow_self_approval=True))
    condition = readable_models_filter(user)
    if condition is not None:
        queryset = queryset.filter(registered_model__in=RegisteredModel.objects.filter(condition).values("pk"))
    return queryset.select_related("registered_model", "requester").order_by("created_at", "id")


def review_request_approvers(request: ReviewRequest) -> list[str]:
    """Usernames of the approvals recorded on `request`, in the order they came."""
    return list(request.reviews.filter(decision=ReviewDecision.APPROVE).order_by("created_at", "id")
                .values_list("reviewer_name", flat=True))


def version_content_hash(version: ModelVersion) -> str:
    """The hash of the version's artifacts now (the registration hash when its files are not ours)."""
    path = artifact_uri_to_path(version.storage_location or "")
    return artifacts_content_hash(path) if path is not None else version.content_hash


def review_requests_visible(user) -> QuerySet[ReviewRequest]:
    """Review requests on models `user` may read, with what their list shows already joined."""
    queryset = ReviewRequest.objects.select_related("registered_model")
    condition = readable_models_filter(user)
    if condition is not None:
        queryset = queryset.filter(registered_model__in=RegisteredModel.objects.filter(condition).values("pk"))
    return queryset


def review_requests_filtered(user, *, status: str = "", model: str = "", stage: str = "", mine: bool = False,
                             awaiting_me: bool = False) -> QuerySet[ReviewRequest]:
    """The list filters of the API: by status, model name, target stage, own requests, or the user's inbox."""
    queryset = review_request_inbox_for(user) if awaiting_me else review_requests_visible(user)
    if status:
        queryset = queryset.filter(status=status)
    if model:
        queryset = queryset.filter(registered_model__name=model)
    if stage:
        queryset = queryset.filter(target_stage__iexact=stage)
    if mine:
        queryset = queryset.filter(requester=user) if getattr(user, "is_authenticated", False) else queryset.none()
    return queryset


def target_occupant(*, registered_model: RegisteredModel, stage: str = "", alias: str = "",
                    excluding: ModelVersion | None = None) -> ModelVersion | None:
    """The champion: the newest version in `stage`, or the version behind `alias` (other than `excluding`)."""
    versions = ModelVersion.objects.filter(registered_model=registered_model).select_related("registered_model")
    if excluding is not None:
        versions = versions.exclude(pk=excluding.pk)
    if stage:
        return versions.filter(stage=stage).order_by("-version").first()
    if alias:
        return versions.filter(aliases__alias=alias).first()
    return None


def review_request_evidence(*, version: ModelVersion, stage: str = "", alias: str = "") -> dict:
    """The figures a request for `version` into `stage` (or behind `alias`) is judged on, as they are now: its
    source-run metrics, and the champion (the target's occupant, the stage's when both are named) with its own.
    Recorded on the request when it is opened; three queries."""
    champion = target_occupant(registered_model=version.registered_model, stage=stage, alias=alias,
                               excluding=version)
    return {
        "target": stage or f"@{alias}",
        "candidate": {"version": version.version, "metrics": _latest_metrics(version)},
        "champion": ({"version": champion.version, "stage": champion.stage, "metrics": _latest_metrics(champion)}
                     if champion is not None else None),
    }


def _latest_metrics(version: ModelVersion) -> dict[str, float]:
    if version.run_id is None:
        return {}
    rows = LatestMetric.objects.filter(run_id=version.run_id).values_list("key", "value")
    return {key: value for key, value in sorted(rows)}


def validation_runs_visible(user) -> QuerySet[ValidationRun]:
    """Validation runs on models `user` may read, with what their lists show already joined."""
    queryset = ValidationRun.objects.select_related("registered_model").annotate(
        checks_total=Count("checks"),
        checks_done=Count("checks", filter=~Q(checks__status=CheckStatus.PENDING)),
    )
    condition = readable_models_filter(user)
    if condition is not None:
        queryset = queryset.filter(registered_model__in=RegisteredModel.objects.filter(condition).values("pk"))
    return queryset


def validation_run_latest(*, review_request: ReviewRequest) -> ValidationRun | None:
    return ValidationRun.objects.filter(review_request=review_request).order_by("-created_at", "-id").first()


def validation_blocker(request: ReviewRequest, *, content_hash: str) -> str:
    """Why the request's validation does not allow applying it yet ("" when its latest run PASSED for these files)."""
    policy_name = request.policy_snapshot.get("name", "")
    latest = validation_run_latest(review_request=request)
    if latest is None:
        return f"policy '{policy_name}' requires a passed validation run and none exists for this request"
    if latest.status != ValidationStatus.PASSED:
        state = {ValidationStatus.QUEUED: "is queued", ValidationStatus.RUNNING: "is running"}.get(
            latest.status, f"{latest.status}: {latest.summary.rstrip('.')}")
        return f"policy '{policy_name}' requires a passed validation run; validation run #{latest.pk} {state}"
    if latest.content_hash != content_hash:
        return (f"validation run #{latest.pk} passed for other artifacts (content hash {latest.content_hash[:12]}, "
                f"now {content_hash[:12]}); repeat the validation")
    return ""


def validation_runs_filtered(user, *, model: str = "", version: int | None = None,
                             review_request: int | None = None, status: str = "") -> QuerySet[ValidationRun]:
    queryset = validation_runs_visible(user)
    if model:
        queryset = queryset.filter(registered_model__name=model)
    if version:
        queryset = queryset.filter(version_number=version)
    if review_request:
        queryset = queryset.filter(review_request_id=review_request)
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def latest_validation_statuses(versions) -> dict[int, str]:
    """{version pk: status of its newest validation run}, in one query."""
    rows = (ValidationRun.objects.filter(model_version__in=[version.pk for version in versions])
            .order_by("model_version_id", "-created_at", "-id").values_list("model_version_id", "status"))
    latest: dict[int, str] = {}
    for version_id, status in rows:
        latest.setdefault(version_id, status)
    return latest


def open_review_request_counts(registered_models) -> dict[int, int]:
    """{registered model pk: number of PENDING or APPROVED review requests}, in one query."""
    rows = (ReviewRequest.objects.filter(registered_model__in=[model.pk for model in registered_models],
                                         status__in=OPEN_REVIEW_STATUSES)
            .values("registered_model_id").annotate(open_count=Count("id")))
    return {row["registered_model_id"]: row["open_count"] for row in rows}
