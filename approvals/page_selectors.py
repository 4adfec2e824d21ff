"""Reads for the approvals pages: review requests with the evidence a reviewer needs, and validation runs with
their checks, each in a bounded number of queries."""
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery

from models_app.choices import Stage
from models_app.exceptions import NotFound
from models_app.models import ModelVersion, RegisteredModelAlias

from .choices import OPEN_REVIEW_STATUSES, CheckKind, CheckStatus, ReviewDecision, ReviewRequestStatus
from .models import Review, ReviewRequest, ValidationCheck, ValidationRun
from .policy_text import policy_terms
from .selectors import policy_effective, validation_runs_visible

RECENT_LIMIT = 20
# A version's section shows this many runs; the API lists them all.
VERSION_RUNS_SHOWN = 20
CHAMPION_CHECK_KINDS = (CheckKind.CHAMPION_COMPARISON, CheckKind.SCORE_CHAMPION_COMPARISON)
UNSUCCESSFUL_CHECK_STATUSES = (CheckStatus.FAILED, CheckStatus.ERROR)


def _with_evidence(queryset: QuerySet[ReviewRequest]) -> QuerySet[ReviewRequest]:
    latest_run = (ValidationRun.objects.filter(review_request=OuterRef("pk")).order_by("-created_at", "-id")
                  .values("pk")[:1])
    return (queryset.select_related("registered_model", "requester")
            .prefetch_related(Prefetch("reviews", queryset=Review.objects.order_by("created_at", "id")))
            .annotate(latest_validation_id=Subquery(latest_run)))


def review_requests_with_evidence(queryset: QuerySet[ReviewRequest]) -> list[ReviewRequest]:
    """Attach to each request: approvals so far and required, the figures recorded when it was opened (the
    candidate's and the champion's then: never recomputed), the target's occupant now, its latest validation."""
    requests = list(_with_evidence(queryset))
    occupants = _occupants_of(requests)
    validations = _validation_runs_by_id([request.latest_validation_id for request in requests])
    for request in requests:
        request.approval_count = sum(1 for review in request.reviews.all()
                                     if review.decision == ReviewDecision.APPROVE)
        request.approvals_required = request.policy_snapshot.get("required_approvals", 1)
        target = request.target_stage or f"@{request.target_alias}"
        request.occupant = occupants.get((request.registered_model_id, target))
        recorded = request.evidence or {}
        request.candidate_metrics = (recorded.get("candidate") or {}).get("metrics", {})
        request.champion_recorded = recorded.get("champion")
        request.champion_metrics = (request.champion_recorded or {}).get("metrics", {})
        request.metric_keys = sorted(set(request.candidate_metrics) | set(request.champion_metrics))
        request.validation = validations.get(request.latest_validation_id)
    return requests


def _checks_ordered() -> Prefetch:
    return Prefetch("checks", queryset=ValidationCheck.objects.order_by("position"))


def _validation_runs_by_id(run_ids: list[int | None]) -> dict[int, ValidationRun]:
    """{id: run} with its checks, progress, failing checks and champion comparisons, in two queries for all."""
    wanted = {run_id for run_id in run_ids if run_id is not None}
    if not wanted:
        return {}
    runs = ValidationRun.objects.filter(pk__in=wanted).prefetch_related(_checks_ordered())
    return {run.pk: validation_run_digest(run) for run in runs}


def validation_run_digest(run: ValidationRun) -> ValidationRun:
    """Attach what the evidence shows (from the prefetched checks, no query): progress, failures, comparisons."""
    checks = list(run.checks.all())
    run.checks_total = len(checks)
    run.checks_done = sum(1 for check in checks if check.status != CheckStatus.PENDING)
    run.failing_checks = [check for check in checks if check.status in UNSUCCESSFUL_CHECK_STATUSES]
    run.champion_checks = [check for check in checks if check.kind in CHAMPION_CHECK_KINDS]
    return run


def _occupants_of(requests: list[ReviewRequest]) -> dict[tuple[int, str], ModelVersion]:
    """{(model id, "Production" or "@alias"): the version there now}, in two queries for all requests (a request for
    both is keyed by its stage)."""
    model_ids = {request.registered_model_id for request in requests}
    stages = {request.target_stage for request in requests if request.target_stage}
    aliases = {request.target_alias for request in requests if request.target_alias}
    found: dict[tuple[int, str], ModelVersion] = {}
    if not model_ids:
        return found
    in_stage = ModelVersion.objects.filter(registered_model_id__in=model_ids, stage__in=stages).order_by("version")
    for version in in_stage:
        found[(version.registered_model_id, version.stage)] = version  # the newest wins, as MLflow's latest
    pointers = (RegisteredModelAlias.objects.filter(registered_model_id__in=model_ids, alias__in=aliases)
                .select_related("model_version"))
    for pointer in pointers:
        found[(pointer.registered_model_id, f"@{pointer.alias}")] = pointer.model_version
    return found


def review_requests_mine(user) -> QuerySet[ReviewRequest]:
    return ReviewRequest.objects.filter(requester=user).order_by("-created_at", "-id")[:RECENT_LIMIT]


def review_requests_recently_decided(user) -> QuerySet[ReviewRequest]:
    """Requests that are no longer pending which `user` asked for or reviewed, newest decision first."""
    decided = ReviewRequest.objects.exclude(status=ReviewRequestStatus.PENDING)
    mine = decided.filter(Q(requester=user) | Q(reviews__reviewer=user)).values("pk")
    return ReviewRequest.objects.filter(pk__in=mine).order_by("-decided_at", "-created_at", "-id")[:RECENT_LIMIT]


def review_requests_of_version(version: ModelVersion) -> QuerySet[ReviewRequest]:
    return ReviewRequest.objects.filter(model_version=version).order_by("-created_at", "-id")


def validation_runs_of_version(*, version: ModelVersion, user) -> QuerySet[ValidationRun]:
    """The version's runs `user` may read, newest first, with progress annotated and checks prefetched."""
    return (validation_runs_visible(user).filter(model_version=version).prefetch_related(_checks_ordered())
            .order_by("-created_at", "-id"))


def validation_run_of_version(*, version: ModelVersion, user, pk: int) -> ValidationRun:
    found = validation_runs_visible(user).filter(model_version=version, pk=pk).first()
    if found is None:
        raise NotFound(f"Validation run #{pk} of {version.registered_model.name} v{version.version} does not exist "
                       "or is not visible to you.")
    return found


def validation_targets_of(version: ModelVersion) -> list[str]:
    """What an on-demand run can be aimed at: the active stages, then "@alias" for the model's aliases and the
    aliases its policy protects (the target decides which policy's checks run and who the champion is)."""
    model = version.registered_model
    policy = policy_effective(registered_model=model)
    aliases = set(RegisteredModelAlias.objects.filter(registered_model=model).values_list("alias", flat=True))
    aliases |= set(policy.protected_aliases if policy is not None else [])
    return [Stage.STAGING.value, Stage.PRODUCTION.value, *(f"@{alias}" for alias in sorted(aliases))]


def policy_panel_of(registered_model) -> dict:
    """What protects a model, for its pages: the governing policy in words, who holds each protected stage and
    alias now (with a warning for an alias on an Archived version), and the open requests. Five queries at most."""
    policy = policy_effective(registered_model=registered_model)
    if policy is None:
        return {"policy": None}
    holders = ModelVersion.objects.filter(registered_model=registered_model, stage__in=policy.protected_stages)
    pointers = (RegisteredModelAlias.objects.filter(registered_model=registered_model,
                                                    alias__in=policy.protected_aliases).select_related("model_version"))
    by_alias = {pointer.alias: pointer.model_version for pointer in pointers}
    by_stage: dict[str, list[int]] = {}
    for version in holders.order_by("version"):
        by_stage.setdefault(version.stage, []).append(version.version)
    open_requests = (ReviewRequest.objects.filter(registered_model=registered_model, status__in=OPEN_REVIEW_STATUSES)
                     .annotate(approval_count=Count("reviews", filter=Q(reviews__decision=ReviewDecision.APPROVE)))
                     .order_by("created_at", "id"))
    return {
        "policy": policy, "terms": policy_terms(policy.snapshot()),
        "stage_holders": [(stage, by_stage.get(stage, [])) for stage in policy.protected_stages],
        "alias_holders": [(alias, by_alias.get(alias)) for alias in policy.protected_aliases],
        "open_requests": list(open_requests),
    }
