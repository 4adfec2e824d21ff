"""MLflow's request checks, declared once per endpoint and run by one validator.

MLflow's server checks each request against a per-handler schema before it looks anything up, so a
client gets the same 400 INVALID_PARAMETER_VALUE whether or not the run or model exists. This module
reproduces its rules:

- Fields are checked in the schema's order, each field's checks in their order; the first failure answers.
- A field is checked when the request has it, or when it is required.
- Type checks run only when the request does not parse as MLflow's protobuf message (some field has a
  value of the wrong JSON type); otherwise the message parsed and the types are right by construction.
  MLflow's type checks are looser than the protobuf types (an integer check takes "5"), and we keep that.
- Messages: "Missing value for required parameter 'x'." or "Invalid value <json> for parameter 'x'
  supplied: Hint: Value was of type 't'.", each followed by MLflow's pointer to the API docs.
"""
import contextlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..exceptions import InvalidParameter

DOCS_POINTER = " See the API docs for more information about request parameters."


class Problem(Exception):
    """A check's refusal; the validator adds MLflow's pointer to the docs."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def missing_value(path: str) -> str:
    return f"Missing value for required parameter '{path}'."


def invalid_value(path: str, value) -> str:
    shown = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return f"Invalid value {shown} for parameter '{path}' supplied:  Hint: Value was of type '{type(value).__name__}'."


@dataclass(frozen=True)
class Check:
    """One rule for one field. `passes(value)` is MLflow's check; `parses` (type checks only) is protobuf's."""

    passes: Callable[[Any], bool]
    parses: Callable[[Any], bool] | None = None
    required: bool = False

    def run(self, name: str, value) -> None:
        try:
            passed = self.passes(value)
        except (TypeError, ValueError, OverflowError):
            passed = False
        if not passed:
            raise Problem(missing_value(name) if self.required else invalid_value(name, value))


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _intlike(value) -> bool:
    # MLflow's _assert_intlike: int(value) when that works, else the value itself must be an int.
    with contextlib.suppress(ValueError):
        value = int(value)
    return isinstance(value, int)


def _floatlike(value) -> bool:
    with contextlib.suppress(ValueError):
        value = float(value)
    return isinstance(value, float)


def _parses_as_int(value) -> bool:
    if isinstance(value, float):
        return math.isfinite(value) and value.is_integer()
    if isinstance(value, str):
        return value.strip().lstrip("+-").isdigit()
    return _is_int(value)


def _parses_as_float(value) -> bool:
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return False
        return True
    return isinstance(value, int | float) and not isinstance(value, bool)


def _parses_as_enum(value) -> bool:
    # Protobuf's JSON takes an enum by name or by number.
    return isinstance(value, str) or _parses_as_int(value)


REQUIRED = Check(lambda value: value is not None and value != "", required=True)
STRING = Check(lambda value: isinstance(value, str), parses=lambda value: isinstance(value, str))
INT = Check(_intlike, parses=_parses_as_int)
ENUM = Check(_intlike, parses=_parses_as_enum)  # MLflow checks enums as integers, protobuf also takes names
FLOAT = Check(_floatlike, parses=_parses_as_float)
BOOL = Check(lambda value: isinstance(value, bool),
             parses=lambda value: isinstance(value, bool) or value in ("true", "false"))
ARRAY = Check(lambda value: isinstance(value, list), parses=lambda value: isinstance(value, list))
STRING_ITEMS = Check(lambda value: all(isinstance(item, str) for item in value),
                     parses=lambda value: isinstance(value, list) and all(isinstance(item, str) for item in value))


def at_most(limit: int) -> Check:
    return Check(lambda value: value is None or int(value) <= limit)


def items_require(array: str, *keys: str) -> Check:
    """Each object of the list has each key (log-batch's metrics[i].key, …), named by its path."""

    def passes(items) -> bool:
        for index, item in enumerate(items if isinstance(items, list) else ()):
            for key in keys:
                found = item.get(key) if isinstance(item, dict) else None
                if found is None or found == "":
                    raise Problem(missing_value(f"{array}[{index}].{key}"))
        return True

    return Check(passes)


class Schema:
    """The checks of one endpoint: `Schema(name=(REQUIRED, STRING), tags=(ARRAY,))`, in MLflow's order.

    `.then(field=rule)` adds the domain rules MLflow's handler or store applies after the schema and before
    any lookup (a stage name, an alias name); each rule raises its own InvalidParameter.
    """

    def __init__(self, **fields: tuple[Check, ...]):
        self.fields = fields
        self.arrays = frozenset(name for name, checks in fields.items() if ARRAY in checks)
        self.rules: tuple[tuple[str, Callable[[Any], object]], ...] = ()

    def then(self, **rules: Callable[[Any], object]) -> "Schema":
        self.rules = (*self.rules, *rules.items())
        return self

    def validate(self, values: dict) -> None:
        parses = all(
            check.parses(values[name])
            for name, checks in self.fields.items() if values.get(name) is not None
            for check in checks if check.parses is not None
        )
        for name, checks in self.fields.items():
            if name not in values and REQUIRED not in checks:
                continue
            value = values.get(name)
            if name == "run_id" and value is None:
                # The client sends the older run_uuid beside run_id; either one names the run.
                value = values.get("run_uuid")
            for check in checks:
                if check.parses is not None and parses:
                    continue
                try:
                    check.run(name, value)
                except Problem as problem:
                    raise InvalidParameter(problem.message + DOCS_POINTER) from None
        for name, rule in self.rules:
            if values.get(name) is not None:
                rule(values[name])
