"""Rollback: the previous occupant of a stage or alias goes back, through the same gate as any promotion."""
from dataclasses import dataclass

from models_app.choices import ARCHIVE_EXISTING_ALLOWED_STAGES
from models_app.exceptions import InvalidParameter, InvalidState
from models_app.models import AliasTransition, ModelVersion, RegisteredModel, RegisteredModelAlias, StageTransition
from models_app.services.common import comment_limit
from models_app.services.stages import (
    alias_validate,
    model_version_transition_stage,
    registered_model_alias_set,
    stage_parse,
)

from ..models import ReviewRequest
from ..selectors import policy_protecting_alias, policy_protecting_stage
from .review_requests import review_request_create


@dataclass(frozen=True)
class RollbackResult:
    """Either the change was made (`review_request` None) or a review request was opened for it."""

    version: ModelVersion
    review_request: ReviewRequest | None = None


def rollback(*, registered_model: RegisteredModel, actor, entry_point: str, stage: str | None = None,
             alias: str | None = None, comment: str = "") -> RollbackResult:
    """Put back the version that held `stage` (or `alias`) before the current one.

    Directly when no policy protects the target; otherwise a review request is opened and returned,
    and the change happens when it is approved.
    """
    if bool(stage) == bool(alias):
        raise InvalidParameter("A rollback targets exactly one of 'stage' or 'alias'.")
    comment = comment_limit(comment)
    reason = f"rollback: {comment}" if comment else "rollback"
    if stage:
        target = stage_parse(stage).value
        previous = _previous_stage_occupant(registered_model, target)
        if policy_protecting_stage(registered_model=registered_model, stage=target) is not None:
            return _request(previous, actor=actor, entry_point=entry_point, stage=target, comment=reason)
        version = model_version_transition_stage(
            version=previous, to_stage=target, actor=actor, entry_point=entry_point,
            archive_existing=target in ARCHIVE_EXISTING_ALLOWED_STAGES, reason=reason)
        return RollbackResult(version=version)
    alias = alias_validate(alias)
    previous = _previous_alias_target(registered_model, alias)
    if policy_protecting_alias(registered_model=registered_model, alias=alias) is not None:
        return _request(previous, actor=actor, entry_point=entry_point, alias=alias, comment=reason)
    registered_model_alias_set(registered_model=registered_model, alias=alias, version_number=previous.version,
                               actor=actor, entry_point=entry_point)
    return RollbackResult(version=previous)


def _request(version, *, actor, entry_point, comment, stage=None, alias=None) -> RollbackResult:
    request = review_request_create(version=version, actor=actor, entry_point=entry_point, stage=stage, alias=alias,
                                    comment=comment)
    return RollbackResult(version=version, review_request=request)


def _previous_stage_occupant(registered_model: RegisteredModel, stage: str) -> ModelVersion:
    """The version that entered `stage` most recently before the latest entrant, and still exists."""
    entries = StageTransition.objects.filter(registered_model=registered_model, to_stage=stage)
    numbers = list(entries.order_by("-created_at", "-id").values_list("version", flat=True))
    current = numbers[0] if numbers else None
    existing = set(registered_model.versions.filter(version__in=numbers).values_list("version", flat=True))
    for number in numbers:
        if number != current and number in existing:
            return registered_model.versions.get(version=number)
    raise InvalidState(f"No earlier version of model '{registered_model.name}' was in {stage}; "
                       "there is nothing to roll back to.")


def _previous_alias_target(registered_model: RegisteredModel, alias: str) -> ModelVersion:
    """The version the alias pointed to before its current target, and that still exists."""
    current = RegisteredModelAlias.objects.filter(registered_model=registered_model, alias=alias).first()
    if current is None:
        raise InvalidState(f"Alias @{alias} of model '{registered_model.name}' is not set; there is nothing to "
                           "roll back.")
    moves = AliasTransition.objects.filter(registered_model=registered_model, alias=alias,
                                           to_version__isnull=False).order_by("-created_at", "-id")
    current_number = current.model_version.version
    numbers = [number for number in moves.values_list("to_version", flat=True) if number != current_number]
    existing = set(registered_model.versions.filter(version__in=numbers).values_list("version", flat=True))
    for number in numbers:
        if number in existing:
            return registered_model.versions.get(version=number)
    raise InvalidState(f"Alias @{alias} of model '{registered_model.name}' never pointed to another version; "
                       "there is nothing to roll back to.")
