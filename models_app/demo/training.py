"""Train the demo's models with fixed random seeds and save them in MLflow's model format.

Two are the seed articles' workflows: the iris RandomForestClassifier ("Model Registry Fundamentals")
and the house-price LinearRegression ("My MLflow Model Registry Workflow"). The third, a wine
classifier, is the governed one: its Production needs a review, which leaves the seed articles' scripts
free to promote their own models as they do.
"""
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.datasets import load_iris, load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression
from sklearn.metrics import accuracy_score, f1_score, mean_squared_error, r2_score
from sklearn.model_selection import cross_val_score, train_test_split

SEED = 42


@dataclass(frozen=True)
class TrainedModel:
    """One run's outcome: what it logs (params, metrics) and the fitted estimator with a sample of its input."""

    run_name: str
    params: dict[str, str]
    metrics: dict[str, float]
    estimator: BaseEstimator
    sample_input: pd.DataFrame
    tags: dict[str, str] = field(default_factory=dict)


def iris_models() -> list[TrainedModel]:
    """rf_v1 (100 trees, accuracy) and rf_v2_candidate (150 trees, test and cross-validated accuracy)."""
    iris = load_iris(as_frame=True)
    x_train, x_test, y_train, y_test = train_test_split(iris.data, iris.target, test_size=0.2, random_state=SEED)
    v1 = RandomForestClassifier(n_estimators=100, random_state=SEED).fit(x_train, y_train)
    v2 = RandomForestClassifier(n_estimators=150, random_state=SEED).fit(x_train, y_train)
    cv_scores = cross_val_score(RandomForestClassifier(n_estimators=150, random_state=SEED), x_train, y_train, cv=5)
    return [
        TrainedModel("rf_v1", {"n_estimators": "100"},
                     {"accuracy": accuracy_score(y_test, v1.predict(x_test))}, v1, x_test.head(5)),
        TrainedModel("rf_v2_candidate", {"n_estimators": "150"},
                     {"test_accuracy": accuracy_score(y_test, v2.predict(x_test)),
                      "cv_mean_accuracy": float(cv_scores.mean()), "cv_std_accuracy": float(cv_scores.std())},
                     v2, x_test.head(5)),
    ]


def wine_split():
    """scikit-learn's wine data (13 measurements, 3 cultivars), 20% held out: (x_train, x_test, y_train, y_test)."""
    wine = load_wine(as_frame=True)
    return train_test_split(wine.data, wine.target, test_size=0.2, random_state=SEED)


def wine_models() -> list[TrainedModel]:
    """rf_shallow (10 trees of depth 2) and rf_deep (200 unbounded trees), scored on the held-out split."""
    x_train, x_test, y_train, y_test = wine_split()
    trained = []
    for run_name, params in (("rf_shallow", {"n_estimators": 10, "max_depth": 2}),
                             ("rf_deep", {"n_estimators": 200, "max_depth": None})):
        estimator = RandomForestClassifier(random_state=SEED, **params).fit(x_train, y_train)
        predictions = estimator.predict(x_test)
        metrics = {"accuracy": accuracy_score(y_test, predictions),
                   "f1": float(f1_score(y_test, predictions, average="weighted"))}
        trained.append(TrainedModel(run_name, {key: str(value) for key, value in params.items()}, metrics,
                                    estimator, x_test.head(5)))
    return trained


def house_price_models() -> list[TrainedModel]:
    """Linear_Regression_V1 (alpha=0.5) and Linear_Regression_V2 (fit_intercept=False) on the seed's synthetic data."""
    rng = np.random.RandomState(SEED)
    features = rng.rand(100, 3) * 100
    target = 2 * features[:, 0] + 3 * features[:, 1] - 0.5 * features[:, 2] + rng.randn(100) * 10 + 50
    frame = pd.DataFrame(features, columns=["feature_1", "feature_2", "feature_3"])
    x_train, x_test, y_train, y_test = train_test_split(frame, target, test_size=0.2, random_state=SEED)
    trained = []
    for run_name, params, estimator in (
        ("Linear_Regression_V1", {"alpha": "0.5"}, LinearRegression()),
        ("Linear_Regression_V2", {"fit_intercept": "False"}, LinearRegression(fit_intercept=False)),
    ):
        predictions = estimator.fit(x_train, y_train).predict(x_test)
        metrics = {"rmse": float(np.sqrt(mean_squared_error(y_test, predictions))),
                   "r2": float(r2_score(y_test, predictions))}
        trained.append(TrainedModel(run_name, params, metrics, estimator, x_test.head(5)))
    return trained


def model_save(trained: TrainedModel, folder: Path, *, run_id: str, model_id: str) -> Path:
    """Write the estimator as an MLflow model (MLmodel, model file, environment files) into `folder`/model."""
    # Imported here: mlflow takes seconds to import, and only seeding needs it.
    import mlflow
    import mlflow.sklearn
    import sklearn
    from mlflow.models import Model, infer_signature

    target = folder / "model"
    signature = infer_signature(trained.sample_input, trained.estimator.predict(trained.sample_input))
    mlflow.sklearn.save_model(
        trained.estimator,
        str(target),
        signature=signature,
        mlflow_model=Model(run_id=run_id, model_id=model_id),
        # Listing the requirements skips mlflow's inference, which loads the model in a subprocess.
        pip_requirements=[f"mlflow=={mlflow.__version__}", f"scikit-learn=={sklearn.__version__}",
                          f"pandas=={pd.__version__}", f"numpy=={np.__version__}"],
    )
    return target
