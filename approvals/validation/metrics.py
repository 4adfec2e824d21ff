"""The figures of the load-and-score check, computed in the worker from the labels it kept.

The scoring child returns predictions only; this module, which no model code ever runs next to, reads the
dataset, hands out its features and compares the predictions with the target column.
"""
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    mean_squared_error,
    precision_score,
    r2_score,
    recall_score,
)

CLASSIFICATION = "classification"
CLASSIFICATION_METRICS = ("accuracy", "precision", "recall", "f1")
REGRESSION_METRICS = ("rmse", "mae", "r2")
METRICS_BY_TASK = {CLASSIFICATION: CLASSIFICATION_METRICS, "regression": REGRESSION_METRICS}
DATASET_FORMATS = ("csv", "parquet")
# numpy kinds a prediction array may have: bool, integers, floats, text. Anything else (objects) is refused.
PREDICTION_KINDS = "biufUS"


class ScoringFailed(Exception):
    """The model or the dataset is wrong: the check fails with this message."""


@dataclass(frozen=True)
class LabelledDataset:
    features: pd.DataFrame
    target: pd.Series


def metrics_for_task(task_type: str) -> tuple[str, ...]:
    try:
        return METRICS_BY_TASK[task_type]
    except KeyError:
        raise ValueError(f"unknown task type {task_type!r}; expected one of {', '.join(METRICS_BY_TASK)}") from None


def dataset_read(path: Path, *, file_format: str, target_column: str) -> LabelledDataset:
    """Split a validation dataset into its features (for the child) and its target (kept here)."""
    try:
        frame = pd.read_parquet(path) if file_format == "parquet" else pd.read_csv(path)
    except (MemoryError, OSError):
        raise
    except Exception as error:  # pandas and pyarrow raise many parser error types
        raise ScoringFailed(f"the dataset could not be read as {file_format}: {_first_line(error)}") from error
    if target_column not in frame.columns:
        raise ScoringFailed(f"dataset has no target column '{target_column}'")
    if frame.empty:
        raise ScoringFailed("dataset has no rows")
    missing_targets = int(frame[target_column].isna().sum())
    if missing_targets:
        raise ScoringFailed(f"target column '{target_column}' is empty in {missing_targets} rows")
    return LabelledDataset(features=frame.drop(columns=[target_column]), target=frame[target_column])


def features_write(features: pd.DataFrame, folder: Path, *, file_format: str) -> Path:
    """The features alone, in the dataset's own format (column names and types as the model's signature sees them)."""
    path = folder / f"features.{file_format}"
    if file_format == "parquet":
        features.to_parquet(path, index=False)
    else:
        features.to_csv(path, index=False)
    return path


def predictions_read(path: Path, *, rows: int, max_bytes: int) -> np.ndarray:
    """The child's predictions file as one plain value per row; never unpickled."""
    if not path.is_file():
        raise ScoringFailed("the model returned no predictions file")
    if path.stat().st_size > max_bytes:
        raise ScoringFailed(f"the predictions file is larger than {max_bytes} bytes")
    try:
        values = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise ScoringFailed(f"the predictions are not a plain numpy array: {_first_line(error)}") from error
    if not isinstance(values, np.ndarray) or values.dtype.kind not in PREDICTION_KINDS:
        raise ScoringFailed("the predictions are neither numbers nor text")
    if values.ndim == 2 and values.shape[1] == 1:
        values = values.ravel()
    if values.ndim == 2:
        raise ScoringFailed(f"the model returned {values.shape[1]} columns per row; one prediction per row is needed")
    if values.ndim != 1:
        raise ScoringFailed(f"the model's predictions have shape {values.shape}; one prediction per row is needed")
    if len(values) != rows:
        raise ScoringFailed(f"the model returned {len(values)} predictions for {rows} rows")
    return values


def metrics_compute(task_type: str, target: pd.Series, predicted: np.ndarray) -> dict[str, float]:
    compute = _classification if task_type == CLASSIFICATION else _regression
    try:
        metrics = {name: float(value) for name, value in compute(target, predicted).items()}
    except (TypeError, ValueError) as error:
        raise ScoringFailed(f"the predictions cannot be compared with the target: {_first_line(error)}") from error
    not_finite = [name for name, value in metrics.items() if not math.isfinite(value)]
    if not_finite:
        raise ScoringFailed(f"the metrics are not finite numbers: {', '.join(not_finite)}")
    return metrics


def _classification(target, predicted) -> dict[str, float]:
    weighted = {"average": "weighted", "zero_division": 0}
    return {
        "accuracy": accuracy_score(target, predicted),
        "precision": precision_score(target, predicted, **weighted),
        "recall": recall_score(target, predicted, **weighted),
        "f1": f1_score(target, predicted, **weighted),
    }


def _regression(target, predicted) -> dict[str, float]:
    try:
        target = np.asarray(target, dtype=float)
    except (TypeError, ValueError) as error:
        raise ScoringFailed(f"the target column is not numeric: {_first_line(error)}") from error
    try:
        predicted = np.asarray(predicted, dtype=float)
    except (TypeError, ValueError) as error:
        raise ScoringFailed(f"the model's predictions are not numbers: {_first_line(error)}") from error
    unusable = int((~np.isfinite(predicted)).sum())
    if unusable:
        raise ScoringFailed(f"the model returned {unusable} predictions that are NaN or infinite")
    return {
        "rmse": math.sqrt(mean_squared_error(target, predicted)),
        "mae": mean_absolute_error(target, predicted),
        "r2": r2_score(target, predicted),
    }


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
