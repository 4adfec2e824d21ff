"""Closing review requests that a stage change, an alias move or a deletion made stale."""
from models_app.governance import AliasChange, StageChange

from ..choices import ReviewAction
from ..selectors import review_requests_open
from .common import review_request_supersede


def review_requests_supersede_after_stage_change(change: StageChange) -> None:
    """Inside the change's transaction: supersede open stage requests that no longer make sense.

    A request is stale when its version's stage is no longer the one it had when the request was
    opened (it moved, or was archived as a previous occupant), or when another request for the same
    stage was just applied.
    """
    model = change.version.registered_model
    requests = (review_requests_open(registered_model=model).filter(action=ReviewAction.MOVE).exclude(target_stage="")
                .exclude(pk=change.review_request_id).select_for_update(of=("self",)).select_related("model_version"))
    for request in requests:
        reason = _stage_staleness(request, change)
        if reason:
            review_request_supersede(request, reason=reason, actor=change.actor, entry_point=change.entry_point)


def review_requests_supersede_for_deleted_version(version, *, actor, entry_point: str,
                                                  applying: int | None = None) -> None:
    """Close every open request about a version that is being deleted, so none lingers in an inbox."""
    requests = (review_requests_open(registered_model=version.registered_model).filter(model_version=version)
                .exclude(pk=applying).select_for_update(of=("self",)))
    for request in requests:
        review_request_supersede(request, reason=f"version {version.version} was deleted", actor=actor,
                                 entry_point=entry_point)


def review_requests_supersede_for_deleted_model(registered_model, *, actor, entry_point: str,
                                                applying: int | None = None) -> None:
    """Record the closing of every open request of a model being deleted (the rows go with the model)."""
    requests = (review_requests_open(registered_model=registered_model).exclude(pk=applying)
                .select_for_update(of=("self",)))
    for request in requests:
        review_request_supersede(request, reason=f"model '{registered_model.name}' was deleted", actor=actor,
                                 entry_point=entry_point)


def _stage_staleness(request, change: StageChange) -> str:
    version = request.model_version
    if version is None:
        return f"version {request.version_number} was deleted"
    if version.stage != request.version_stage_at_request:
        return f"version {version.version} moved from {request.version_stage_at_request} to {version.stage}"
    if change.review_request_id is not None and request.target_stage == change.to_stage:
        return (f"review request #{change.review_request_id} put version {change.version.version} "
                f"in {change.to_stage}")
    return ""


def review_requests_supersede_after_alias_change(change: AliasChange) -> None:
    """Supersede requests about the alias that the change settled or made pointless."""
    requests = (review_requests_open(registered_model=change.registered_model).filter(target_alias=change.alias)
                .exclude(pk=change.review_request_id).select_for_update(of=("self",)))
    for request in requests:
        reason = _alias_staleness(request, change)
        if reason:
            review_request_supersede(request, reason=reason, actor=change.actor, entry_point=change.entry_point)


def _alias_staleness(request, change: AliasChange) -> str:
    if request.action == ReviewAction.REMOVE_ALIAS:
        # It asked to remove the alias from the version it pointed to then: any move settles that.
        where = f"version {change.version.version}" if change.version is not None else "nothing (it was removed)"
        return f"@{change.alias} now points to {where}"
    if change.version is None:
        return ""  # a request to point the alias somewhere still makes sense
    if change.review_request_id is not None:
        return f"review request #{change.review_request_id} moved @{change.alias} to version {change.version.version}"
    if request.model_version_id == change.version.pk:
        return f"@{change.alias} was pointed at version {change.version.version} directly"
    return ""
