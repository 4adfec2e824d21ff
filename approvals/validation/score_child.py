"""Predict a validation dataset's features with an MLflow model, inside the sandbox `sandbox.score_in_sandbox` starts.

Standalone on purpose: it imports nothing from Django or the registry (only the standard library, pandas, numpy
and mlflow), so the model's code never runs next to the registry's settings or connections. It never sees the
labels and computes no metric: it writes the predictions to a .npy file (no pickle) that the worker reads.

Protocol: one JSON job on stdin ({"model_dir", "features_path", "features_format", "predictions_path"}), one JSON
answer on stdout ({"status", "message"}). Progress goes to stderr as lines starting with PHASE_MARKER, so the
parent can say what was running when it had to stop the process.
"""
import json
import os
import sys
import traceback

# Keep in step with sandbox.PHASE_MARKER (this script cannot import it).
PHASE_MARKER = "score_child phase: "

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
        raise ScoringFailed(f"the features could not be read as {file_format}: {first_line(error)}") from error


def signature_features(features, schema):
    """The feature columns the model's input signature names, in its order; extra dataset columns are dropped."""
    if schema is None or not schema.has_input_names():
        return features
    missing = [name for name in schema.required_input_names() if name not in features.columns]
    if missing:
        raise ScoringFailed(f"dataset lacks columns the model's signature needs: {', '.join(map(str, missing))}")
    return features[[name for name in schema.input_names() if name in features.columns]]


def prediction_array(predictions):
    """The predictions as a plain numpy array that np.save writes without pickle (text or numbers)."""
    import numpy as np
    import pandas as pd

    if isinstance(predictions, pd.DataFrame) and predictions.shape[1] == 1:
        predictions = predictions.iloc[:, 0]
    values = np.asarray(predictions)
    if values.dtype.kind == "O":
        texts = all(isinstance(value, str) for value in values.ravel())
        try:
            values = values.astype(str if texts else float)
        except (TypeError, ValueError) as error:
            raise ScoringFailed(f"the model's predictions are neither numbers nor text: {first_line(error)}") from error
    return values


def predict(job: dict) -> dict:
    import numpy as np

    phase("reading the features")
    features = read_dataset(job["features_path"], job["features_format"])
    rows = len(features)

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

    phase("writing the predictions")
    np.save(job["predictions_path"], prediction_array(predictions), allow_pickle=False)
    return {"status": "ok", "message": f"predicted {rows} rows"}


def main() -> int:
    # Everything but the result goes to stderr, also what C code or the model writes to file descriptor 1,
    # so a stray print cannot corrupt the JSON the parent reads.
    result_stream = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    out_of_memory = False
    try:
        result = predict(json.loads(sys.stdin.read()))
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
