"""Small helpers shared by the services."""
from collections.abc import Iterable

from django.db import models

from ..exceptions import InvalidParameter, NotFound
from ..governance import ExperimentLevel, current_governance
from ..models import RegisteredModel

MAX_TAG_KEY_LENGTH = 250
MAX_TAG_VALUE_LENGTH = 8000
MAX_PARAM_VALUE_LENGTH = 6000
MAX_NAME_LENGTH = 256
# Free text. Descriptions: MLflow's registry stores them in String(5000) columns. Comments and reasons (stage
# changes, break-glass, reviews, requests): what a reviewer reads in one go.
MAX_DESCRIPTION_LENGTH = 5000
MAX_COMMENT_LENGTH = 2000


def experiment_authorize(*, actor, experiment, level: ExperimentLevel = ExperimentLevel.EDIT) -> None:
    """Refuse unless `actor` holds `level` on `experiment` (None: creating one); runs and logged models inherit it."""
    current_governance().authorize_experiment(actor=actor, experiment=experiment, level=level)


def require_text(value, field: str, *, max_length: int | None = None) -> str:
    """A non-empty string, or a 400 naming the field."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidParameter(f"Missing value for required parameter '{field}'.")
    if not isinstance(value, str):
        raise InvalidParameter(f"Parameter '{field}' must be a string, got {type(value).__name__}.")
    if max_length is not None and len(value) > max_length:
        raise InvalidParameter(f"Parameter '{field}' is longer than {max_length} characters.")
    return value


def limit_text(value, field: str, *, max_length: int) -> str:
    """Optional free text ("" when absent), or a 400 naming the field and its limit."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidParameter(f"Parameter '{field}' must be a string, got {type(value).__name__}.")
    if len(value) > max_length:
        raise InvalidParameter(f"Parameter '{field}' is {len(value)} characters long; the limit is {max_length}.")
    return value


def description_limit(value) -> str:
    return limit_text(value, "description", max_length=MAX_DESCRIPTION_LENGTH)


def comment_limit(value, field: str = "comment") -> str:
    """A comment or a reason (of a stage change, a break-glass, a review)."""
    return limit_text(value, field, max_length=MAX_COMMENT_LENGTH)


def validate_key_value(key, value, *, what: str, max_value_length: int = MAX_TAG_VALUE_LENGTH) -> tuple[str, str]:
    key = require_text(key, f"{what} key", max_length=MAX_TAG_KEY_LENGTH)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidParameter(f"{what.capitalize()} '{key}' must have a string value, got {type(value).__name__}.")
    if len(value) > max_value_length:
        raise InvalidParameter(f"{what.capitalize()} '{key}' has a value longer than {max_value_length} characters.")
    return key, value


def upsert_key_values(model: type[models.Model], owner_field: str, owner, pairs: Iterable[tuple[str, str]]) -> None:
    """Insert or overwrite tags of one owner in a single statement."""
    rows = {key: value for key, value in pairs}
    if not rows:
        return
    model.objects.bulk_create(
        [model(**{owner_field: owner, "key": key, "value": value}) for key, value in rows.items()],
        update_conflicts=True,
        unique_fields=[owner_field, "key"],
        update_fields=["value"],
    )


def registered_model_lock(name: str):
    """Lock a model's row for the current transaction.

    Every write that numbers versions or moves stages and aliases takes this lock first, which
    serialises them per model (and fixes the lock order: model row, then version rows).
    """
    try:
        return RegisteredModel.objects.select_for_update().get(name=name)
    except RegisteredModel.DoesNotExist:
        raise NotFound(f"Registered Model with name={name} not found") from None


def user_or_none(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def username_of(actor) -> str:
    return actor.get_username() if getattr(actor, "is_authenticated", False) else ""
