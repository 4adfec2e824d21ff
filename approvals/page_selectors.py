"""Reads for the approvals pages: review requests with the evidence a reviewer needs, in a bounded number of queries."""
from django.db.models import Prefetch, Q, QuerySet

from models_app.models import ModelVersion, RegisteredModelAlias

from .choices import ReviewDecision, ReviewRequestStatus
from .models import Review, ReviewRequest

RECENT_LIMIT = 20


def _with_evidence(queryset: QuerySet[ReviewRequest]) -> QuerySet[ReviewRequest]:
    return queryset.select_related("registered_model", "requester", "model_version__run").prefetch_related(
        "model_version__run__latest_metrics",
        Prefetch("reviews", queryset=Review.objects.order_by("created_at", "id")),
    )


def review_requests_with_evidence(queryset: QuerySet[ReviewRequest]) -> list[ReviewRequest]:
    """Attach to each request: approvals so far and required, its version's metrics and the target's occupant's."""
    requests = list(_with_evidence(queryset))
    occupants = _occupants_of(requests)
    for request in requests:
        request.approval_count = sum(1 for review in request.reviews.all()
                                     if review.decision == ReviewDecision.APPROVE)
        request.approvals_required = request.policy_snapshot.get("required_approvals", 1)
        request.candidate_metrics = _metrics_of(request.model_version)
        occupant = occupants.get((request.registered_model_id, request.target_label))
        request.occupant = occupant
        request.occupant_metrics = _metrics_of(occupant)
        request.metric_keys = sorted(set(request.candidate_metrics) | set(request.occupant_metrics))
    return requests


def _metrics_of(version: ModelVersion | None) -> dict[str, float]:
    if version is None or version.run is None:
        return {}
    return {row.key: row.value for row in version.run.latest_metrics.all()}


def _occupants_of(requests: list[ReviewRequest]) -> dict[tuple[int, str], ModelVersion]:
    """{(model id, "Production" or "@alias"): the version there now}, in two queries for all requests."""
    model_ids = {request.registered_model_id for request in requests}
    stages = {request.target_stage for request in requests if request.target_stage}
    aliases = {request.target_alias for request in requests if request.target_alias}
    found: dict[tuple[int, str], ModelVersion] = {}
    if not model_ids:
        return found
    in_stage = (ModelVersion.objects.filter(registered_model_id__in=model_ids, stage__in=stages)
                .select_related("run").prefetch_related("run__latest_metrics").order_by("version"))
    for version in in_stage:
        found[(version.registered_model_id, version.stage)] = version  # the newest wins, as MLflow's latest
    pointers = (RegisteredModelAlias.objects.filter(registered_model_id__in=model_ids, alias__in=aliases)
                .select_related("model_version__run").prefetch_related("model_version__run__latest_metrics"))
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
