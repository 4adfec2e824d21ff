"""Score a validation dataset with an MLflow model, inside the process `sandbox.score_in_sandbox` limits.

Standalone on purpose: it imports nothing from Django or the registry (only the standard library, pandas, numpy,
sklearn.metrics and mlflow), so the model's code never runs next to the registry's settings or connections.

Protocol: one JSON job on stdin, one JSON result on stdout. Progress goes to stderr as lines starting with
PHASE_MARKER, so the parent can say what was running when it had to stop the process.
"""
import json
import math
import os
import sys
import traceback

# Keep in step with sandbox.PHASE_MARKER (this script cannot import it).
PHASE_MARKER = "score_child phase: "
CLASSIFICATION = "classification"

_current_phase = "starting the scoring process"


class ScoringFailed(Exception):
    """The model or the dataset is wrong: status "failed"."""


class ScoringError(Exception):
    """The scoring could not be done (the model cannot be loaded): status "error"."""


def phase(description: str) -> None:
    global _current_phase
    _current_phase = description
    # On a line of its own even when the model left a line unfinished.
    print(f"\n{PHASE_MARKER}{description}", file=sys.stderr, flush=True)


def caused_by_memory(error: BaseException) -> bool:
    """mlflow and pandas may wrap a MemoryError in their own exceptions."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, MemoryError):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def read_dataset(path: str, file_format: str):
    import pandas as pd

    try:
        if file_format == "parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except Exception as error:
        if caused_by_memory(error):
            raise
        raise ScoringFailed(f"the dataset could not be read as {file_format}: {first_line(error)}") from error


def signature_features(features, schema):
    """The feature columns the model's input signature names, in its order; extra dataset columns are dropped."""
    if schema is None or not schema.has_input_names():
        return features
    missing = [name for name in schema.required_input_names() if name not in features.columns]
    if missing:
        raise ScoringFailed(f"dataset lacks columns the model's signature needs: {', '.join(map(str, missing))}")
    return features[[name for name in schema.input_names() if name in features.columns]]


def prediction_values(predictions, rows: int):
    """One prediction per row, as a 1-D numpy array."""
    import numpy as np
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        if predictions.shape[1] != 1:
            raise ScoringFailed(f"the model returned {predictions.shape[1]} columns per row; one prediction per row "
                                "is needed")
        predictions = predictions.iloc[:, 0]
    values = np.asarray(predictions)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values.ravel()
    if values.ndim != 1:
        raise ScoringFailed(f"the model's predictions have shape {values.shape}; one prediction per row is needed")
    if len(values) != rows:
        raise ScoringFailed(f"the model returned {len(values)} predictions for {rows} rows")
    return values


def classification_metrics(target, predicted) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

    weighted = {"average": "weighted", "zero_division": 0}
    return {
        "accuracy": accuracy_score(target, predicted),
        "precision": precision_score(target, predicted, **weighted),
        "recall": recall_score(target, predicted, **weighted),
        "f1": f1_score(target, predicted, **weighted),
    }


def regression_metrics(target, predicted) -> dict[str, float]:
    import numpy as np
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    try:
        target = np.asarray(target, dtype=float)
    except (TypeError, ValueError) as error:
        raise ScoringFailed(f"the target column is not numeric: {first_line(error)}") from error
    try:
        predicted = np.asarray(predicted, dtype=float)
    except (TypeError, ValueError) as error:
        raise ScoringFailed(f"the model's predictions are not numbers: {first_line(error)}") from error
    unusable = int((~np.isfinite(predicted)).sum())
    if unusable:
        raise ScoringFailed(f"the model returned {unusable} predictions that are NaN or infinite")
    return {
        "rmse": math.sqrt(mean_squared_error(target, predicted)),
        "mae": mean_absolute_error(target, predicted),
        "r2": r2_score(target, predicted),
    }


def score(job: dict) -> dict:
    task_type = job["task_type"]
    target_column = job["target_column"]

    phase("reading the dataset")
    dataset = read_dataset(job["dataset_path"], job["dataset_format"])
    if target_column not in dataset.columns:
        raise ScoringFailed(f"dataset has no target column '{target_column}'")
    rows = len(dataset)
    if rows == 0:
        raise ScoringFailed("dataset has no rows")
    missing_targets = int(dataset[target_column].isna().sum())
    if missing_targets:
        raise ScoringFailed(f"target column '{target_column}' is empty in {missing_targets} rows")
    features = dataset.drop(columns=[target_column])

    phase("importing mlflow")
    import mlflow.pyfunc

    phase("loading the model")
    try:
        model = mlflow.pyfunc.load_model(job["model_dir"])
    except Exception as error:
        if caused_by_memory(error):
            raise
        raise ScoringError(f"the model could not be loaded: {first_line(error)}") from error
    features = signature_features(features, model.metadata.get_input_schema())

    phase("scoring the dataset")
    try:
        predictions = model.predict(features)
    except Exception as error:
        if caused_by_memory(error):
            raise
        raise ScoringFailed(f"the model could not score the dataset: {first_line(error)}") from error
    predicted = prediction_values(predictions, rows)

    phase("computing the metrics")
    compute = classification_metrics if task_type == CLASSIFICATION else regression_metrics
    try:
        metrics = {name: float(value) for name, value in compute(dataset[target_column], predicted).items()}
    except (TypeError, ValueError) as error:
        raise ScoringFailed(f"the predictions cannot be compared with the target: {first_line(error)}") from error
    not_finite = [name for name, value in metrics.items() if not math.isfinite(value)]
    if not_finite:
        raise ScoringFailed(f"the metrics are not finite numbers: {', '.join(not_finite)}")
    return {"status": "ok", "metrics": metrics, "message": f"scored {rows} rows", "rows": rows}


def main() -> int:
    # Everything but the result goes to stderr, also what C code or the model writes to file descriptor 1,
    # so a stray print cannot corrupt the JSON the parent reads.
    result_stream = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    out_of_memory = False
    try:
        result = score(json.loads(sys.stdin.read()))
    except MemoryError:
        # Answered after the except block: until then the traceback keeps the frames that hold the memory.
        out_of_memory = True
    except ScoringFailed as failure:
        result = {"status": "failed", "metrics": {}, "message": str(failure)}
    except ScoringError as error:
        traceback.print_exc()
        result = {"status": "error", "metrics": {}, "message": str(error)}
    except Exception as error:
        out_of_memory = caused_by_memory(error)
        if not out_of_memory:
            traceback.print_exc()
            result = {"status": "error", "metrics": {},
                      "message": f"{_current_phase} crashed: {type(error).__name__}: {first_line(error)}"}
    if out_of_memory:
        result = {"status": "error", "metrics": {}, "out_of_memory": True, "phase": _current_phase,
                  "message": f"out of memory while {_current_phase}"}
    result_stream.write(json.dumps(result))
    result_stream.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
